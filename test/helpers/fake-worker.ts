/**
 * A worker record in the real Redis of a run store, without a worker process: what the API's
 * submit-time checks read (`store.fleet.listWorkers`). For tests about submission only: nothing
 * executes the runs they create.
 */
import type { RunStore, WorkerInfo } from '@runledger/shared';

/** A worker's served target as its heartbeat advertises it. */
export type FakeTarget = string | { name: string; configSchema?: Record<string, unknown> };

/**
 * Writes the heartbeat of a worker `id` serving `targets` and `scorers`. Its `heartbeatAt` is
 * dated an hour ahead, so it stays live for the whole test file whatever the machine's speed.
 * Remove it with `store.fleet.removeWorker(id)`.
 */
export async function advertiseWorker(
  store: RunStore,
  targets: readonly FakeTarget[],
  options: { id?: string; scorers?: readonly string[] } = {},
): Promise<WorkerInfo> {
  const now = new Date().toISOString();
  const info: WorkerInfo = {
    id: options.id ?? 'fake-worker',
    host: 'test',
    pid: 0,
    targets: targets.map((t) =>
      typeof t === 'string'
        ? { name: t, description: 'advertised by a test' }
        : {
            name: t.name,
            description: 'advertised by a test',
            ...(t.configSchema ? { configSchema: t.configSchema } : {}),
          },
    ),
    scorers: (options.scorers ?? []).map((name) => ({ name, description: 'test' })),
    concurrency: 1,
    inFlight: 0,
    startedAt: now,
    heartbeatAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
  await store.fleet.heartbeatWorker(info);
  return info;
}
