/**
 * Operational routes: `/healthz` (process up), `/readyz` (Redis reachable), `/metrics`
 * (Prometheus text) and `/v1/workers` (live workers from their heartbeats).
 */
import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import {
  type RedisMemoryGuard,
  RedisUnavailableError,
  readRedisMemory,
  WorkerInfoSchema,
} from '@runledger/shared';
import { type AppDeps, createRouter } from '../context.js';
import type { ApiMetrics } from '../metrics.js';
import { ProblemSchema } from '../problem.js';
import { NO_SECURITY, ok, problems, v1Route } from './openapi.js';

/**
 * `createRoute` for an operational `GET` route (`/healthz`, `/readyz`, `/metrics`; OpenAPI tag
 * `system`) named `operationId`: it needs no API key (`security: NO_SECURITY`) and its
 * responses document `4XX` (any client error, as a problem) after `route.responses`.
 */
function operationalRoute<
  P extends string,
  R extends Omit<RouteConfig, 'method' | 'path' | 'operationId' | 'tags' | 'security'>,
>(path: P, operationId: string, route: R) {
  return createRoute({
    method: 'get',
    path,
    operationId,
    tags: ['system'],
    security: NO_SECURITY,
    ...route,
    responses: { ...route.responses, ...problems('4XX') },
  });
}

/** How long `/readyz` waits for Redis to answer PING, ms. */
export const READY_TIMEOUT_MS = 2000;

const healthRoute = operationalRoute('/healthz', 'health', {
  summary: 'Liveness: the process is up',
  description: 'No API key needed. Answers 200 while the process runs; it does not touch Redis.',
  responses: {
    200: {
      description: 'Up',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
    },
  },
});

const readyRoute = operationalRoute('/readyz', 'ready', {
  summary: 'Readiness: Redis answers PING and has memory left',
  description:
    `No API key needed. 503 when Redis does not answer PING within ${READY_TIMEOUT_MS} ms, or ` +
    'is out of memory (`used_memory` >= `maxmemory`: writes are refused). The answer reports ' +
    "Redis's memory and whether new runs are admitted (`RUNLEDGER_REDIS_MEMORY_HIGH_WATER`).",
  responses: {
    200: {
      description: 'Ready',
      content: {
        'application/json': {
          schema: z
            .object({
              status: z.literal('ready'),
              redis: z
                .object({
                  usedMemoryBytes: z.number().int().openapi({ example: 52_428_800 }),
                  maxMemoryBytes: z.number().int().openapi({
                    example: 1_073_741_824,
                    description: '`maxmemory`; 0: no limit',
                  }),
                  admitting: z.boolean().openapi({
                    description:
                      'False above the high-water mark: new runs and dataset versions get 503',
                  }),
                })
                .openapi({ description: 'Redis memory (`INFO memory`)' }),
            })
            .openapi('Readiness'),
        },
      },
    },
    503: {
      description:
        'Redis unreachable or out of memory (`detail` says which; `Retry-After` in seconds)',
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before retrying',
          schema: { type: 'integer' },
        },
      },
      content: {
        'application/problem+json': {
          schema: ProblemSchema,
          example: {
            type: 'urn:runledger:problem:unavailable',
            title: 'Service Unavailable',
            status: 503,
            detail: 'Redis is out of memory (used_memory 104857600 >= maxmemory 104857600)',
            instance: '/readyz',
          },
        },
      },
    },
  },
});

const metricsRoute = operationalRoute('/metrics', 'metrics', {
  summary: 'Prometheus metrics',
  description:
    'Runs by status, queue depths, HTTP latency. Open while no API key is configured; once keys ' +
    'exist it needs `Authorization: Bearer` with any API key (any role) or ' +
    '`RUNLEDGER_METRICS_TOKEN` (401 otherwise). With `RUNLEDGER_METRICS_LISTEN` it is served on that ' +
    'address instead and answers 404 here.',
  responses: {
    200: {
      description: 'Prometheus text exposition format 0.0.4',
      content: { 'text/plain': { schema: z.string() } },
    },
    ...problems(401, 404),
  },
});

const workersRoute = v1Route('workers', 'get', '/v1/workers', {
  operationId: 'listWorkers',
  summary: 'Live workers (heartbeat within 3 heartbeat intervals)',
  responses: ok(
    'Live workers',
    z.object({ workers: z.array(WorkerInfoSchema) }).openapi('WorkerList'),
  ),
});

/** The operational router (mounted at `/`). */
export function createSystemRoutes(deps: AppDeps, metrics: ApiMetrics, memory?: RedisMemoryGuard) {
  const highWater = deps.config.RUNLEDGER_REDIS_MEMORY_HIGH_WATER;
  const { store, config } = deps;
  return createRouter()
    .openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyRoute, async (c) => {
      let timer: NodeJS.Timeout | undefined;
      let reading: Awaited<ReturnType<typeof readRedisMemory>>;
      try {
        [reading] = await Promise.race([
          Promise.all([
            memory ? memory.memory() : readRedisMemory(store.redis),
            store.redis.ping(),
          ]),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)),
              READY_TIMEOUT_MS,
            );
          }),
        ]);
      } catch (err) {
        c.get('logger').warn({ err }, 'readiness check failed');
        throw new RedisUnavailableError(
          'connection',
          `Redis is unreachable: ${(err as Error).message}`,
        );
      } finally {
        clearTimeout(timer);
      }
      if (reading.max > 0 && reading.used >= reading.max) {
        throw new RedisUnavailableError(
          'oom',
          `Redis is out of memory (used_memory ${reading.used} >= maxmemory ${reading.max})`,
        );
      }
      const admitting = highWater <= 0 || reading.max === 0 || reading.ratio < highWater;
      return c.json(
        {
          status: 'ready' as const,
          redis: { usedMemoryBytes: reading.used, maxMemoryBytes: reading.max, admitting },
        },
        200,
      );
    })
    .openapi(metricsRoute, async (c) => {
      const text = await metrics.registry.metrics();
      return c.text(text, 200, { 'Content-Type': metrics.registry.contentType });
    })
    .openapi(workersRoute, async (c) => {
      const workers = await store.fleet.listWorkers(3 * config.WORKER_HEARTBEAT_MS);
      return c.json({ workers }, 200);
    });
}
