/**
 * Fault: stalled jobs. A worker whose event loop is blocked longer than its lock (a target that
 * busy-loops 5 x WORKER_LOCK_MS on chosen items in one of the three worker processes,
 * test/faults/fixtures/blocking-target.ts) loses its chunks to the other workers; when it wakes
 * up it goes on with them too. Promised: exactly one result per item, exact counters; reported:
 * items executed twice.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitRunDirect } from '../helpers/submit.js';
import type { Cluster } from './harness.js';
import {
  accounting,
  expectIntact,
  faultItems,
  poll,
  startCluster,
  waitTerminal,
} from './harness.js';

const LOCK_MS = 1000;
/** Long enough that another worker's stalled check surely takes the chunk over while it blocks. */
const BLOCK_MS = 5 * LOCK_MS;
let cluster: Cluster;
let markerDir: string;

beforeAll(async () => {
  cluster = await startCluster({
    label: 'stalled',
    workerEnv: { WORKER_LOCK_MS: String(LOCK_MS) },
  });
  markerDir = mkdtempSync(join(tmpdir(), 'runledger-blocking-'));
});

afterAll(async () => {
  await cluster?.close();
  rmSync(markerDir, { recursive: true, force: true });
});

describe('fault: a worker blocked longer than its lock', () => {
  it('its chunks are taken over; exactly one result per item', async () => {
    const c = cluster;
    const total = 300;
    const chunkSize = 20;
    const blocked = [5, 147, 233];
    const workers = await Promise.all([c.spawnWorker(), c.spawnWorker(), c.spawnWorker()]);
    const runId = await submitRunDirect(
      c.store,
      c.queues,
      {
        target: {
          name: 'blocking',
          config: { url: c.target.url, blockMs: BLOCK_MS, markerDir },
        },
        dataset: { items: faultItems(total, 20, (i) => ({ block: blocked.includes(i) })) },
      },
      { chunkSize },
    );
    const status = await waitTerminal(c, runId, 120_000);
    // the one process that blocked, and the items it blocked on (marker files)
    const blockerPid = Number(readFileSync(join(markerDir, 'blocker'), 'utf8'));
    const blockedOn = readdirSync(markerDir)
      .filter((f) => f.startsWith(`${runId}.`))
      .map((f) => Number(f.slice(runId.length + 1)))
      .sort((a, b) => a - b);
    const lastBlockEnd =
      Math.max(
        ...blockedOn.map((i) => Number(readFileSync(join(markerDir, `${runId}.${i}`), 'utf8'))),
      ) + BLOCK_MS;
    // let the blocker wake up and go on with the chunks it lost (its late attempts and writes)
    const blocker = workers.find((w) => w.pid === blockerPid)!;
    await poll(
      async () => {
        if (Date.now() < lastBlockEnd + 1500) return false;
        const live = await c.store.fleet.listWorkers(1500);
        return live.some((w) => w.pid === blockerPid);
      },
      'the blocked worker awake again (heartbeat)',
      60_000,
      100,
    );
    await poll(
      () => c.target.requests.every((r) => r.status !== null || r.aborted),
      'its late attempts answered',
    );
    const attempts = c.attempts(runId);
    // a chunk was taken over when another process executed the item the blocker blocked on
    const takenOver = blockedOn.filter((index) =>
      attempts.some((a) => a.itemIndex === index && a.pid !== blockerPid),
    );
    const row = await accounting(
      c,
      runId,
      `event loop blocked ${BLOCK_MS} ms (lock ${LOCK_MS} ms)`,
      {
        notes: `items blocked on: ${blockedOn.join(', ')}; taken over by another worker: ${takenOver.length} of ${blockedOn.length}`,
      },
    );
    expect(status).toBe('completed');
    // the blocker's late results changed nothing: still exactly one result per item
    expectIntact(row, total);
    expect(await c.store.runs.getRun(runId)).toMatchObject({
      succeededCount: total,
      failedCount: 0,
    });
    expect(blockedOn.length).toBeGreaterThan(0);
    expect(blockedOn.every((i) => blocked.includes(i))).toBe(true);
    expect(takenOver).toEqual(blockedOn);
    // the attempts the blocker had started before it blocked went out after it woke up
    expect(row.executedTwice).toBeGreaterThan(0);
    expect(attempts.some((a) => a.pid === blockerPid && a.arrivedAt > lastBlockEnd - 100)).toBe(
      true,
    );
    // every worker survived it
    expect(workers.map((w) => w.alive())).toEqual([true, true, true]);
    expect(blocker.alive()).toBe(true);
  });
});
