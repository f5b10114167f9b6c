/**
 * Where the built-in `http` target may connect (`RUNLEDGER_HTTP_TARGET_ALLOW`), enforced twice:
 * - before each request and each redirect hop, on the URL (`HttpGuard.check`): scheme, listed
 *   host and port, blocked metadata names, address literals;
 * - when a connection is made, on every address the host resolves to (`HttpGuard.lookup`, the
 *   DNS lookup of the guard's undici `Agent`): a host that is not listed must resolve only to
 *   public addresses. Checking at connect time, not before, defeats DNS rebinding (a name that
 *   resolves to a public address for the check and to 127.0.0.1 for the connection).
 *
 * Empty allowlist (or one holding the keyword `public`, besides its listed hosts): any host
 * whose addresses are all public (ipaddr.js range `unicast`); refused
 * are private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback (127/8, ::1), link-local
 * (169.254/16 with the cloud metadata address 169.254.169.254, fe80::/10), unspecified
 * (0.0.0.0, ::), carrier-grade NAT, multicast, broadcast, reserved and IPv4-embedding IPv6
 * ranges, IPv4-mapped IPv6 as their IPv4 address, and the names `metadata.google.internal`
 * and `metadata`. Listed hosts (and ports, when the pattern has one) are allowed whatever their
 * addresses: listing a host is the operator's decision. A non-empty allowlist without `public`
 * allows only its listed hosts (`public,127.0.0.1`: public hosts plus loopback).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import {
  BLOCKED_HOSTNAMES,
  type HostPattern,
  hostMatches,
  isPublicAddress,
  NonRetryableError,
  normalizeHost,
  parseTargetAllow,
  redactUrl,
  urlAllowed,
} from '@runledger/shared';
import { Agent } from 'undici';

/** Re-exported from @runledger/shared (the API's submit-time check uses the same ones). */
export { BLOCKED_HOSTNAMES, isPublicAddress };

/** The `http` target was pointed at a host it may not call: the item fails at once. */
export class TargetNotAllowedError extends NonRetryableError {
  override name = 'TargetNotAllowedError';
  constructor(message: string) {
    super(message, 'target_not_allowed');
  }
}

/**
 * The guard of one `http` target: the parsed allowlist, `check(url)` and an undici `Agent`
 * (`dispatcher`) whose DNS lookup refuses addresses the allowlist does not permit.
 *
 * @example
 * const guard = new HttpGuard('api.example.com,*.internal.example');
 * guard.check(new URL('http://10.0.0.1/')); // throws TargetNotAllowedError
 * await fetch(url, { dispatcher: guard.dispatcher }); // undici's fetch
 */
export class HttpGuard {
  readonly patterns: readonly HostPattern[];
  /** True when hosts that are not listed may be called if all their addresses are public. */
  readonly publicHosts: boolean;
  /** Connection pool of this target; its connections pass `lookup`. */
  readonly dispatcher: Agent;

  /**
   * @param allow `RUNLEDGER_HTTP_TARGET_ALLOW` syntax (see packages/shared/src/host-allowlist.ts),
   *   or parsed patterns (public hosts allowed only when there are none).
   * @throws Error when a pattern is invalid.
   */
  constructor(allow: string | readonly HostPattern[] = '') {
    if (typeof allow === 'string') {
      ({ patterns: this.patterns, publicHosts: this.publicHosts } = parseTargetAllow(allow));
    } else {
      this.patterns = allow;
      this.publicHosts = allow.length === 0;
    }
    this.dispatcher = new Agent({ connect: { lookup: this.lookup } });
  }

  /**
   * Refuses URLs the target may not call (scheme, allowlist, metadata names, address literals).
   * Hosts given by name are checked again, on their addresses, when connecting.
   * @throws TargetNotAllowedError
   */
  check(url: URL): void {
    const shown = redactUrl(url.href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TargetNotAllowedError(`${shown}: only http and https URLs may be called`);
    }
    if (this.patterns.length > 0 && urlAllowed(this.patterns, url)) return;
    if (!this.publicHosts) {
      throw new TargetNotAllowedError(
        `${shown}: host not in RUNLEDGER_HTTP_TARGET_ALLOW (${this.patterns.map((p) => p.source).join(', ')})`,
      );
    }
    const host = normalizeHost(url.hostname);
    if (BLOCKED_HOSTNAMES.has(host)) {
      throw new TargetNotAllowedError(`${shown}: metadata hosts may not be called`);
    }
    const literal = host.startsWith('[') ? host.slice(1, -1) : host;
    if (isIP(literal) !== 0 && !isPublicAddress(literal)) {
      throw new TargetNotAllowedError(
        `${shown}: ${literal} is not a public address (allow it with RUNLEDGER_HTTP_TARGET_ALLOW)`,
      );
    }
  }

  /** True when connections to `hostname` may use non-public addresses (it is listed). */
  private listed(hostname: string): boolean {
    return this.patterns.some((p) => hostMatches(p, hostname));
  }

  /**
   * `dns.lookup` for the agent's connections: resolves every address of `hostname` and fails
   * with `TargetNotAllowedError` when the host is not listed and any address is not public.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      if (!this.listed(hostname)) {
        const bad = addresses.find((a) => !isPublicAddress(a.address));
        if (!this.publicHosts || bad) {
          const why = bad ? `resolves to ${bad.address}, not a public address` : 'is not listed';
          callback(
            new TargetNotAllowedError(
              `${hostname} ${why} (allow it with RUNLEDGER_HTTP_TARGET_ALLOW)`,
            ) as unknown as NodeJS.ErrnoException,
            '',
            0,
          );
          return;
        }
      }
      if (options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        return;
      }
      const first = addresses[0];
      if (!first) {
        callback(
          Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }),
          '',
          0,
        );
        return;
      }
      callback(null, first.address, first.family);
    });
  };

  /** Closes the agent's idle connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** The `TargetNotAllowedError` somewhere in `err`'s cause chain (fetch wraps lookup errors), or null. */
export function findNotAllowed(err: unknown): TargetNotAllowedError | null {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e; depth++) {
    if (e instanceof TargetNotAllowedError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
