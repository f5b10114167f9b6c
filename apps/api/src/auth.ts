/**
 * API keys, projects and the per-key rate limit of every `/v1` route.
 *
 * - Keys come from `RUNLEDGER_API_KEYS` (`project:key,...`) and from Redis (`runledger keys
 *   create`, stored as sha256 only). A request presents one as `Authorization: Bearer <key>`
 *   and acts for the key's project; runs of other projects answer 404, never 403.
 * - Keys are required once any exists (env, or Redis: that check is cached for
 *   `hasKeysCacheMs`), and always when `required` is set (the server listens beyond loopback).
 *   Without keys every request acts for project `default`.
 * - Env keys are compared in constant time (`timingSafeEqual` over sha256 digests, every entry
 *   compared); Redis keys are looked up by their sha256, so the lookup leaks nothing about the
 *   key. Keys are never logged.
 * - Each key has a role (`read`, `write`, `admin`; `admin` when it names none); which role each
 *   route needs is decided in ./routes/access.ts.
 * - `/metrics` is guarded by `createMetricsGuard` once keys exist (a key or
 *   `RUNLEDGER_METRICS_TOKEN`).
 * - Each key may make `RUNLEDGER_RATE_LIMIT_PER_SECOND` requests per second (rate-limiter-flexible,
 *   counters in Redis, shared by every API process); beyond: 429 with `Retry-After` (seconds).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_PROJECT,
  DEFAULT_ROLE,
  hashApiKey,
  NotFoundError,
  parseApiKeys,
  type Role,
} from '@runledger/shared';
import { createMiddleware } from 'hono/factory';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppDeps, AppEnv } from './context.js';
import { ProblemError } from './problem.js';

/** Options of the auth middleware (`AppDeps.auth`). */
export interface AuthOptions {
  /**
   * Require a key on every `/v1` route even when none is configured (then every request is
   * refused): set by `startApi` when it listens beyond loopback.
   * @defaultValue false
   */
  required?: boolean;
  /** How long the answer to "does Redis hold any API key" is reused, ms. @defaultValue 2000 */
  hasKeysCacheMs?: number;
}

/** Who a request acts for: its project, the id of its key (null without keys) and its role. */
export interface Caller {
  project: string;
  /** `env:<project>:<n>` for the project's n-th key (from 0) in `RUNLEDGER_API_KEYS`, the stored key's id, or null. */
  keyId: string | null;
  /** The key's role (`admin` without keys; see @runledger/shared roles.ts). */
  role: Role;
}

/** `WWW-Authenticate` challenge of 401 answers. */
const CHALLENGE = 'Bearer realm="runledger"';
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** A 401 problem with its `WWW-Authenticate` challenge. */
export function unauthorized(detail: string, invalidToken: boolean): ProblemError {
  return new ProblemError(401, detail, {
    kind: 'unauthorized',
    headers: {
      'WWW-Authenticate': invalidToken ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE,
    },
  });
}

/** The bearer token of an `Authorization` header, null when there is none, undefined when malformed. */
export function bearerToken(header: string | undefined): string | null | undefined {
  if (header === undefined) return null;
  return BEARER.exec(header)?.[1];
}

/** sha256 of a secret, for constant-time comparison of equal-length digests. */
const digestOf = (secret: string) => createHash('sha256').update(secret).digest();

/** What `createAuthenticator` returns: who a key is, and whether keys are required at all. */
export interface Authenticator {
  /** True once any key is configured (env, or Redis: cached `hasKeysCacheMs`), or always with `required`. */
  keysRequired(): Promise<boolean>;
  /** The caller of a presented key, or null when no key matches. */
  identify(key: string): Promise<Caller | null>;
  /**
   * The caller of a request's `Authorization` header: the default project (role `admin`) when
   * no key is required and none is sent.
   * @throws ProblemError 401 (missing key while required, malformed header, unknown key).
   */
  authenticate(header: string | undefined): Promise<Caller>;
}

/**
 * Builds the key checks of the API (env keys compared in constant time, stored keys looked up
 * by sha256; see the module doc).
 * @throws Error when `RUNLEDGER_API_KEYS` is invalid (loadConfig validated it already).
 */
export function createAuthenticator(deps: AppDeps): Authenticator {
  const { config, store } = deps;
  const options = deps.auth ?? {};
  const cacheMs = options.hasKeysCacheMs ?? 2000;
  const perProject = new Map<string, number>();
  const envKeys = parseApiKeys(config.RUNLEDGER_API_KEYS).map((k) => {
    const n = perProject.get(k.project) ?? 0;
    perProject.set(k.project, n + 1);
    return {
      project: k.project,
      id: `env:${k.project}:${n}`,
      role: k.role,
      digest: digestOf(k.key),
    };
  });

  let storedKeys: { any: boolean; at: number } | null = null;
  const anyStoredKey = async (): Promise<boolean> => {
    const now = Date.now();
    if (storedKeys && now - storedKeys.at < cacheMs) return storedKeys.any;
    const any = (await store.apiKeys.countApiKeys()) > 0;
    storedKeys = { any, at: now };
    return any;
  };

  const keysRequired = async () =>
    Boolean(options.required) || envKeys.length > 0 || (await anyStoredKey());

  const identify = async (key: string): Promise<Caller | null> => {
    const digest = digestOf(key);
    let match: Caller | null = null;
    for (const entry of envKeys) {
      // every entry is compared: the time taken does not depend on which one matches
      if (timingSafeEqual(digest, entry.digest) && !match) {
        match = { project: entry.project, keyId: entry.id, role: entry.role };
      }
    }
    if (match) return match;
    const stored = await store.apiKeys.findApiKey(hashApiKey(key));
    return stored ? { project: stored.project, keyId: stored.id, role: stored.role } : null;
  };

  const authenticate = async (header: string | undefined): Promise<Caller> => {
    const token = bearerToken(header);
    if (token === null) {
      if (await keysRequired())
        throw unauthorized('an API key is required: Authorization: Bearer <key>', false);
      return { project: DEFAULT_PROJECT, keyId: null, role: DEFAULT_ROLE };
    }
    if (token === undefined) {
      throw unauthorized('the Authorization header must be "Bearer <key>"', true);
    }
    const found = await identify(token);
    if (!found) throw unauthorized('invalid or revoked API key', true);
    return found;
  };

  return { keysRequired, identify, authenticate };
}

/**
 * Builds the `/v1` middleware: authenticates (401), rate-limits (429) and sets the request's
 * `project`, `apiKeyId` and `role` variables.
 */
export function createAuthMiddleware(deps: AppDeps, authenticator = createAuthenticator(deps)) {
  const { config, store } = deps;
  const limiter =
    config.RUNLEDGER_RATE_LIMIT_PER_SECOND > 0
      ? new RateLimiterRedis({
          storeClient: store.redis,
          keyPrefix: store.keys.rateLimitPrefix,
          points: config.RUNLEDGER_RATE_LIMIT_PER_SECOND,
          duration: 1,
        })
      : null;

  return createMiddleware<AppEnv>(async (c, next) => {
    const caller = await authenticator.authenticate(c.req.header('authorization'));
    if (limiter && caller.keyId !== null) {
      try {
        await limiter.consume(caller.keyId);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw new ProblemError(
          429,
          `rate limit: at most ${config.RUNLEDGER_RATE_LIMIT_PER_SECOND} requests per second per API key`,
          { kind: 'too_many_requests', headers: { 'Retry-After': String(seconds) } },
        );
      }
    }
    c.set('project', caller.project);
    c.set('apiKeyId', caller.keyId);
    c.set('role', caller.role);
    await next();
  });
}

/**
 * Guards `/metrics` (see README "Access control"):
 * - `RUNLEDGER_METRICS_LISTEN` set (`separateListener`): on the API's own port it answers 404
 *   problem (the figures are served by the separate listener);
 * - no key configured anywhere: open, as before;
 * - keys configured: needs `Authorization: Bearer <token>` with `RUNLEDGER_METRICS_TOKEN` or any
 *   valid API key (any role), else 401.
 * On the separate listener (`place` `separate`, ../metrics-server.ts), only
 * `RUNLEDGER_METRICS_TOKEN` is checked, when set. `authenticator` may be null there.
 */
export function createMetricsGuard(
  deps: Pick<AppDeps, 'config'>,
  authenticator: Authenticator | null,
  place: 'api' | 'separate',
) {
  const { config } = deps;
  const tokenDigest = config.RUNLEDGER_METRICS_TOKEN
    ? digestOf(config.RUNLEDGER_METRICS_TOKEN)
    : null;
  const isScrapeToken = (token: string) =>
    tokenDigest !== null && timingSafeEqual(digestOf(token), tokenDigest);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (place === 'api' && config.RUNLEDGER_METRICS_LISTEN !== '') {
      throw new NotFoundError(
        `metrics are served on RUNLEDGER_METRICS_LISTEN (${config.RUNLEDGER_METRICS_LISTEN}), not on this port`,
      );
    }
    const required =
      place === 'separate' ? tokenDigest !== null : await authenticator!.keysRequired();
    if (!required) return next();
    const token = bearerToken(c.req.header('authorization'));
    if (token === null) {
      throw unauthorized(
        '/metrics needs Authorization: Bearer <API key or RUNLEDGER_METRICS_TOKEN>',
        false,
      );
    }
    if (token === undefined) {
      throw unauthorized('the Authorization header must be "Bearer <token>"', true);
    }
    if (isScrapeToken(token)) return next();
    if (place === 'api' && (await authenticator!.identify(token)) !== null) return next();
    throw unauthorized('invalid metrics token or API key', true);
  });
}

/** True for hosts that only this machine can reach: `localhost`, 127.0.0.0/8, `::1`. */
function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Where `startApi` binds and whether keys are required regardless (see `bindPolicy`). */
export interface BindPolicy {
  hostname: string;
  authRequired: boolean;
}

/**
 * Decides the API's bind address. With no API key configured (none in `RUNLEDGER_API_KEYS`,
 * none in Redis; Redis unreachable counts as none) the API is open to anyone who reaches it, so
 * it binds to 127.0.0.1 whatever `HOST` says, and warns loudly. With keys and a non-loopback
 * `HOST`, keys stay required even if every key is revoked later.
 */
export async function bindPolicy(
  config: AppDeps['config'],
  store: AppDeps['store'],
  logger: AppDeps['logger'],
): Promise<BindPolicy> {
  const loopback = isLoopbackHost(config.HOST);
  let keys = parseApiKeys(config.RUNLEDGER_API_KEYS).length > 0;
  if (!keys)
    keys = await store.apiKeys.countApiKeys().then(
      (n) => n > 0,
      () => false,
    );
  if (keys) return { hostname: config.HOST, authRequired: !loopback };
  if (!loopback) {
    logger.warn(
      { host: config.HOST, boundTo: '127.0.0.1' },
      `NO API KEYS CONFIGURED: refusing to serve an open API on ${config.HOST}; listening on 127.0.0.1 only. ` +
        'Set RUNLEDGER_API_KEYS=project:key or run "runledger keys create --project <p>", then restart.',
    );
    return { hostname: '127.0.0.1', authRequired: false };
  }
  logger.warn(
    { host: config.HOST },
    'NO API KEYS CONFIGURED: the API is open to every local user and process (loopback only); ' +
      'set RUNLEDGER_API_KEYS or run "runledger keys create" to require keys',
  );
  return { hostname: config.HOST, authRequired: false };
}
