/**
 * The API server and in-process workers of one config, started together: what the end-to-end
 * test files (e2e, cluster) run against over real HTTP; and the checks both make of it.
 */
import { type ApiServer, startApi } from '@runledger/api';
import { type Config, createLogger, loadConfig } from '@runledger/shared';
import { startWorker, type WorkerHandle } from '@runledger/worker';
import { expect } from 'vitest';
import { readSse } from './api-http.js';

/** A started API and its workers. */
export interface ApiStack {
  config: Config;
  api: ApiServer;
  workers: WorkerHandle[];
  /** Closes the workers (1 s each to finish their items), then the API. */
  close(): Promise<void>;
}

/**
 * Starts the API on a free port and `workerCount` workers (default 2), all with one config:
 * Redis `redisUrl`, key prefix `prefix`, 16 items in flight per worker, silent logs; `extra`
 * (env-style strings, e.g. `REDIS_CLUSTER`) on top.
 * @throws what `loadConfig` throws for a bad `extra`, or a start failure of the API or a worker.
 */
export async function startApiStack(
  redisUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
  workerCount = 2,
): Promise<ApiStack> {
  const config = loadConfig({
    REDIS_URL: redisUrl,
    RUNLEDGER_PREFIX: prefix,
    PORT: '0',
    WORKER_CONCURRENCY: '16',
    LOG_LEVEL: 'silent',
    ...extra,
  });
  const logger = createLogger({ level: 'silent' });
  const api = await startApi({ config, logger });
  const workers = await Promise.all(
    Array.from({ length: workerCount }, () => startWorker({ config, logger })),
  );
  return {
    config,
    api,
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close(1000)));
      await api.close();
    },
  };
}

/**
 * Asserts the event stream of finished run `runId` at the API `apiUrl` (`GET
 * /v1/runs/:id/events`): replayed whole, its status events are queued, running, completed and
 * its progress events count up to `total` done items; resumed with `Last-Event-ID` of a middle
 * event, it sends exactly the events after that one.
 */
export async function expectSseReplayAndResume(
  apiUrl: string,
  runId: string,
  total: number,
): Promise<void> {
  const url = `${apiUrl}/v1/runs/${runId}/events`;
  const events = await readSse(await fetch(url));
  const statuses = events.filter((e) => e.event === 'status').map((e) => e.data.status);
  expect(statuses).toEqual(['queued', 'running', 'completed']);
  const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.done as number);
  expect(progress.at(-1)).toBe(total);
  expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  // resume after a middle event: exactly the later events
  const middle = events[Math.floor(events.length / 2)]!;
  const resumed = await readSse(await fetch(url, { headers: { 'Last-Event-ID': middle.id } }));
  expect(resumed.map((e) => e.id)).toEqual(
    events.slice(events.indexOf(middle) + 1).map((e) => e.id),
  );
}
