/**
 * The API at Redis's limits: admission control of new work by Redis memory (a middleware in
 * front of the routes that create runs and dataset versions) and the Redis error metrics.
 */
import type { RedisErrorKind, RedisMemoryGuard } from '@runledger/shared';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';

/**
 * `POST` paths that create runs or dataset versions, the work admission control refuses above
 * the high-water mark: `/v1/runs`, `/v1/runs/:id/rerun`, `/v1/runs/:id/replay`, `/v1/datasets`,
 * `/v1/datasets/:id/items`, `/v1/experiments`. Cancel is never refused (it frees memory).
 */
export const ADMITTED_PATHS =
  /^\/v1\/(runs\/?|runs\/[^/]+\/(rerun|replay)|datasets\/?|datasets\/[^/]+\/items|experiments\/?)$/;

/**
 * Middleware: a `POST` to one of `ADMITTED_PATHS` first passes `guard.admit()` (one `INFO
 * memory` per second at most), so above the high-water mark it answers 503 `unavailable` with
 * `Retry-After` before reading the body or writing anything. `onRefused` counts refusals.
 */
export function admissionControl(
  guard: RedisMemoryGuard,
  onRefused: () => void = () => {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === 'POST' && ADMITTED_PATHS.test(c.req.path)) {
      try {
        await guard.admit();
      } catch (err) {
        onRefused();
        throw err;
      }
    }
    await next();
  };
}

/** What the error handler reports about Redis errors it translated (metrics). */
export interface RedisErrorHooks {
  /** Called once per request that failed on a Redis error of `kind`. */
  onRedisError?: (kind: RedisErrorKind) => void;
}

/** What `documentRedisUnavailable` needs of an OpenAPIHono registry. */
interface RouteRegistry {
  definitions: readonly {
    type: string;
    route?: { method: string; path: string; responses: Record<string, unknown> };
  }[];
}

/**
 * Documents the 503 of every `/v1` write (POST, PUT, PATCH, DELETE) in the OpenAPI document:
 * Redis out of memory, read-only or unreachable, with `Retry-After`; on the operations of
 * `ADMITTED_PATHS` also the refusal above the memory high-water mark. Call on the app's
 * registry after every route is mounted; routes that document their own 503 keep it.
 */
export function documentRedisUnavailable(
  registry: RouteRegistry,
  problemSchema: unknown,
  mediaType: string,
): void {
  for (const def of registry.definitions) {
    const route = def.route;
    if (def.type !== 'route' || !route || !route.path.startsWith('/v1/')) continue;
    if (!['post', 'put', 'patch', 'delete'].includes(route.method)) continue;
    if (route.responses['503'] !== undefined) continue;
    const admitted =
      route.method === 'post' && ADMITTED_PATHS.test(route.path.replace(/\{[^}]+\}/g, 'x'));
    const detail = admitted
      ? 'Redis memory is at 93.5% of maxmemory (979369574 of 1047527424 bytes), above the ' +
        'high-water mark of 90% (RUNLEDGER_REDIS_MEMORY_HIGH_WATER): new runs and dataset ' +
        'versions are refused so running runs can finish; nothing was written'
      : 'Redis is out of memory (maxmemory reached); nothing was written';
    route.responses['503'] = {
      description:
        'Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a ' +
        'failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. ' +
        (admitted
          ? 'Also answered before anything is written while Redis memory is above ' +
            '`RUNLEDGER_REDIS_MEMORY_HIGH_WATER` of `maxmemory` (admission control). '
          : '') +
        'Retry after `Retry-After` seconds.',
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before retrying',
          schema: { type: 'integer' },
        },
      },
      content: {
        [mediaType]: {
          schema: problemSchema,
          example: {
            type: 'urn:runledger:problem:unavailable',
            title: 'Service Unavailable',
            status: 503,
            detail,
          },
        },
      },
    };
  }
}
