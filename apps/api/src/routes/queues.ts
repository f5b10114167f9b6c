/**
 * `GET /v1/queues`: per target, the depth of its chunk queue (BullMQ job counts), the items its
 * active runs still have to run, and its throughput (items recorded per minute, from the Redis
 * counters the workers increment; packages/shared/src/queue-stats.ts). The dashboard's workers
 * page polls it.
 */
import { z } from '@hono/zod-openapi';
import {
  pendingItemsByTarget,
  QueueListSchema,
  type QueueStats,
  recentItemsPerSecond,
  THROUGHPUT_BUCKET_MS,
  THROUGHPUT_MAX_MINUTES,
  ThroughputCounters,
} from '@runledger/shared';
import { type AppDeps, createRouter } from '../context.js';
import { problems, v1Route } from './openapi.js';

const QueuesQuery = z.strictObject({
  minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(THROUGHPUT_MAX_MINUTES)
    .default(15)
    .openapi({
      description: `Throughput buckets to return: the last N minutes, the current one included (1-${THROUGHPUT_MAX_MINUTES})`,
      example: 15,
    }),
});

const queuesRoute = v1Route('workers', 'get', '/v1/queues', {
  operationId: 'listQueues',
  summary: 'Queue depth and throughput per target',
  description:
    'For every target ever submitted or served by a live worker: chunk jobs in its queue by ' +
    'state, the items its `queued`/`running` runs still have to run, the live workers serving ' +
    'it, and items recorded per minute over the last `minutes` minutes. Fleet-wide (all ' +
    'projects), like `GET /v1/workers`.',
  request: { query: QueuesQuery },
  responses: {
    200: {
      description: 'One entry per target, by name',
      content: {
        'application/json': {
          schema: QueueListSchema,
          example: {
            at: '2026-12-01T15:30:12.000Z',
            bucketMs: 60000,
            queues: [
              {
                target: 'echo',
                workers: 1,
                jobs: { waiting: 0, prioritized: 12, active: 2, delayed: 0 },
                pending: { runs: 1, items: 1400 },
                throughput: {
                  itemsPerSecond: 23.5,
                  buckets: [
                    { start: '2026-12-01T15:29:00.000Z', items: 1410 },
                    { start: '2026-12-01T15:30:00.000Z', items: 282 },
                  ],
                },
              },
            ],
          },
        },
      },
    },
    ...problems(400),
  },
});

/** The router holding `GET /v1/queues` (mounted at `/`). */
export function createQueueRoutes(deps: AppDeps) {
  const { store, queues, config } = deps;
  const counters = new ThroughputCounters(store.redis, store.keys);
  return createRouter().openapi(queuesRoute, async (c) => {
    const { minutes } = c.req.valid('query');
    const now = Date.now();
    const [submitted, workers, pending] = await Promise.all([
      store.fleet.listTargets(),
      store.fleet.listWorkers(3 * config.WORKER_HEARTBEAT_MS),
      pendingItemsByTarget(store.active),
    ]);
    const servedBy = new Map<string, number>();
    for (const w of workers) {
      for (const t of w.targets) servedBy.set(t.name, (servedBy.get(t.name) ?? 0) + 1);
    }
    const targets = [...new Set([...submitted, ...servedBy.keys(), ...pending.keys()])].sort();
    const [depth, buckets] = await Promise.all([
      queues.depth(targets),
      Promise.all(targets.map((t) => counters.read(t, minutes, now))),
    ]);
    const list: QueueStats[] = targets.map((target, i) => {
      const jobs = depth[target] ?? {};
      const perMinute = buckets[i]!;
      return {
        target,
        workers: servedBy.get(target) ?? 0,
        jobs: {
          waiting: jobs.waiting ?? 0,
          prioritized: jobs.prioritized ?? 0,
          active: jobs.active ?? 0,
          delayed: jobs.delayed ?? 0,
        },
        pending: pending.get(target) ?? { runs: 0, items: 0 },
        throughput: {
          itemsPerSecond: recentItemsPerSecond(perMinute, now),
          buckets: perMinute.map((b) => ({
            start: new Date(b.start).toISOString(),
            items: b.items,
          })),
        },
      };
    });
    return c.json(
      { at: new Date(now).toISOString(), bucketMs: THROUGHPUT_BUCKET_MS, queues: list },
      200,
    );
  });
}
