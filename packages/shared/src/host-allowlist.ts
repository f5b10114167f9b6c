/**
 * Host allowlist of the built-in `http` target (`RUNLEDGER_HTTP_TARGET_ALLOW`): parsing and
 * matching of host patterns against URLs. Pure string logic; the worker adds the address checks
 * (apps/worker/src/http-guard.ts).
 *
 * Pattern syntax, comma-separated:
 * - `api.example.com`: that host, any port
 * - `*.internal.example`: any subdomain of `internal.example` (not `internal.example` itself)
 * - `127.0.0.1`, `[::1]` (or `::1`): that address literal
 * - any of the above with `:port`: that port only (`localhost:8080`; the URL's default port counts)
 *
 * Hosts are compared after WHATWG URL normalization (lowercase, IPv4 in dotted form, IPv6
 * compressed, trailing dot removed), so `http://0x7f.1/` is `127.0.0.1`.
 */

/** One parsed pattern. `host` is normalized (IPv6 in brackets); `port` null = any port. */
export interface HostPattern {
  /** The entry as written (for messages). */
  source: string;
  host: string;
  /** True for `*.` patterns: `host` is the parent domain, matched by subdomains only. */
  wildcard: boolean;
  port: number | null;
}

/**
 * Parses a comma-separated allowlist; blank entries are ignored.
 * @throws Error naming the first invalid entry.
 */
export function parseHostAllowlist(value: string): HostPattern[] {
  const patterns: HostPattern[] = [];
  for (const raw of value.split(',')) {
    const source = raw.trim();
    if (source === '') continue;
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
