/**
 * Host allowlist of the built-in `http` and `openai` targets (`RUNLEDGER_HTTP_TARGET_ALLOW`):
 * parsing and matching of host patterns against URLs, and the static check of a URL
 * (`checkTargetUrl`, used by the API at submit). No DNS here: the worker adds the address checks
 * at connect time (apps/worker/src/http-guard.ts), which also catch names resolving to
 * non-public addresses (rebinding-safe).
 *
 * Pattern syntax, comma-separated:
 * - `api.example.com`: that host, any port
 * - `*.internal.example`: any subdomain of `internal.example` (not `internal.example` itself)
 * - `127.0.0.1`, `[::1]` (or `::1`): that address literal
 * - any of the above with `:port`: that port only (`localhost:8080`; the URL's default port counts)
 * - `public`: besides the listed hosts, any host whose addresses are all public, as with an
 *   empty list (`public,127.0.0.1` = public hosts plus loopback; what `runledger start` uses).
 *   `parseHostAllowlist` leaves it out; `parseTargetAllow` reports it.
 *
 * Hosts are compared after WHATWG URL normalization (lowercase, IPv4 in dotted form, IPv6
 * compressed, trailing dot removed), so `http://0x7f.1/` is `127.0.0.1`.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** One parsed pattern. `host` is normalized (IPv6 in brackets); `port` null = any port. */
export interface HostPattern {
  /** The entry as written (for messages). */
  source: string;
  host: string;
  /** True for `*.` patterns: `host` is the parent domain, matched by subdomains only. */
  wildcard: boolean;
  port: number | null;
}

/** The allowlist keyword that keeps public hosts allowed beside the listed ones. */
export const PUBLIC_HOSTS_KEYWORD = 'public';

/** A parsed `RUNLEDGER_HTTP_TARGET_ALLOW`: listed hosts, and whether public hosts are allowed too. */
export interface TargetAllow {
  patterns: HostPattern[];
  /** True when the list is empty or has `public`: hosts with only public addresses may be called. */
  publicHosts: boolean;
}

/**
 * Parses `RUNLEDGER_HTTP_TARGET_ALLOW` with its `public` keyword.
 * @throws Error naming the first invalid entry.
 * @example
 * parseTargetAllow('public,127.0.0.1'); // { patterns: [127.0.0.1], publicHosts: true }
 */
export function parseTargetAllow(value: string): TargetAllow {
  const patterns = parseHostAllowlist(value);
  const keyword = value
    .split(',')
    .some((entry) => entry.trim().toLowerCase() === PUBLIC_HOSTS_KEYWORD);
  return { patterns, publicHosts: keyword || patterns.length === 0 };
}

/**
 * Parses a comma-separated allowlist; blank entries and the `public` keyword are left out (see
 * `parseTargetAllow`).
 * @throws Error naming the first invalid entry.
 */
export function parseHostAllowlist(value: string): HostPattern[] {
  const patterns: HostPattern[] = [];
  for (const raw of value.split(',')) {
    const source = raw.trim();
    if (source === '' || source.toLowerCase() === PUBLIC_HOSTS_KEYWORD) continue;
    let rest = source.toLowerCase();
    const wildcard = rest.startsWith('*.');
    if (wildcard) rest = rest.slice(2);
    // a bare IPv6 literal (two or more colons, no brackets) gets its brackets
    if (!rest.startsWith('[') && (rest.match(/:/g) ?? []).length > 1) rest = `[${rest}]`;
    let url: URL;
    try {
      if (!/^[a-z0-9.[\]:_-]+$/.test(rest)) throw new Error('bad characters');
      url = new URL(`http://${rest}`);
    } catch {
      throw new Error(`invalid host pattern "${source}"`);
    }
    if (url.pathname !== '/' || url.username || url.password || url.search || url.hash) {
      throw new Error(`invalid host pattern "${source}"`);
    }
    const host = normalizeHost(url.hostname);
    if (wildcard && (host.startsWith('[') || /^[\d.]+$/.test(host) || !host.includes('.'))) {
      throw new Error(`invalid host pattern "${source}": "*." needs a domain with a dot`);
    }
    // URL drops the default port (80): keep an explicit one
    const explicitPort = /:(\d{1,5})$/.exec(rest);
    const port = explicitPort ? Number(explicitPort[1]) : null;
    if (port !== null && (port < 1 || port > 65535)) {
      throw new Error(`invalid host pattern "${source}": bad port`);
    }
    patterns.push({ source, host, wildcard, port });
  }
  return patterns;
}

/** Lowercased host without a trailing dot (`Example.COM.` -> `example.com`). */
export function normalizeHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/** The URL's port, or its scheme's default (80 for http, 443 for https). */
export function effectivePort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** True when `hostname` (normalized) matches the host part of `pattern`, whatever the port. */
export function hostMatches(pattern: HostPattern, hostname: string): boolean {
  const host = normalizeHost(hostname);
  if (pattern.wildcard) return host.endsWith(`.${pattern.host}`);
  return host === pattern.host;
}

/** True when some pattern matches `url`'s host and port. */
export function urlAllowed(patterns: readonly HostPattern[], url: URL): boolean {
  const port = effectivePort(url);
  return patterns.some((p) => hostMatches(p, url.hostname) && (p.port === null || p.port === port));
}

/** Host names refused without a lookup when the allowlist is empty (cloud metadata services). */
export const BLOCKED_HOSTNAMES: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata',
]);

/**
 * True when `address` (an IPv4 or IPv6 literal) is a public unicast address; IPv4-mapped IPv6
 * addresses are judged as their IPv4 address. False for anything else, including non-addresses.
 */
export function isPublicAddress(address: string): boolean {
  if (isIP(address) === 0) return false;
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
}

/**
 * Checks a target URL without resolving it: scheme (http/https), listed hosts, and, for hosts
 * that are not listed, whether public hosts are allowed and the host is not a metadata name, a
 * non-public address literal or `localhost` (`*.localhost`: loopback by RFC 6761). Returns why
 * the URL is refused (a sentence starting with `shown`, naming `RUNLEDGER_HTTP_TARGET_ALLOW`),
 * or null when it may be called as far as can be told before connecting: names resolving to
 * non-public addresses pass here, the worker refuses them when it connects.
 * @param shown the URL as it should appear in the message (redacted).
 * @example
 * checkTargetUrl(parseTargetAllow(''), new URL('http://127.0.0.1:8000'), 'http://127.0.0.1:8000');
 * // 'http://127.0.0.1:8000 is not allowed: loopback/private addresses are refused unless
 * //  RUNLEDGER_HTTP_TARGET_ALLOW allows them (e.g. RUNLEDGER_HTTP_TARGET_ALLOW=127.0.0.1)'
 */
export function checkTargetUrl(allow: TargetAllow, url: URL, shown: string): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${shown} is not allowed: only http and https URLs may be called`;
  }
  if (allow.patterns.length > 0 && urlAllowed(allow.patterns, url)) return null;
  const host = normalizeHost(url.hostname);
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  const nonPublic =
    BLOCKED_HOSTNAMES.has(host) ||
    loopbackName ||
    (isIP(literal) !== 0 && !isPublicAddress(literal));
  const listed = allow.patterns.map((p) => p.source);
  const suggested = [
    ...(allow.publicHosts && listed.length > 0 ? ['public'] : []),
    ...listed,
    host,
  ];
  const example = `e.g. RUNLEDGER_HTTP_TARGET_ALLOW=${suggested.join(',')}`;
  if (!allow.publicHosts) {
    return `${shown} is not allowed: its host is not in RUNLEDGER_HTTP_TARGET_ALLOW (${listed.join(', ')}); add it (${example})`;
  }
  if (BLOCKED_HOSTNAMES.has(host)) {
    return `${shown} is not allowed: cloud metadata hosts are refused unless RUNLEDGER_HTTP_TARGET_ALLOW allows them (${example})`;
  }
  if (nonPublic) {
    return `${shown} is not allowed: loopback/private addresses are refused unless RUNLEDGER_HTTP_TARGET_ALLOW allows them (${example})`;
  }
  return null;
}
