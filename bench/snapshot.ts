/**
 * Size and time of a run snapshot (packages/shared/src/snapshot.ts, store/snapshots.ts) against
 * a real Redis: commits one finished run of N items through the store (echo-like results with a
 * score and a latency), then times the snapshot (read + NDJSON + digest), gzip (what `runledger
 * runs archive` writes), `parseSnapshot` (what `POST /v1/runs/import` checks) and `importRun`,
 * and checks the snapshot after the import is byte-identical. Prints a figure | value table;
 * exits 1 when the snapshot after the import differs.
 *
 * Usage: npx tsx --conditions=@runledger/source bench/snapshot.ts [--items 10000]
 * Uses REDIS_URL when set (keys under the prefix `bench-snapshot`, deleted at the end), else a
 * private redis-server on a free port.
 */
import { gzipSync } from 'node:zlib';
import { parseSnapshot, RunStore } from '@runledger/shared';
import { ulid } from 'ulid';
import { benchFlags, benchRedis, printCommand } from './bench-setup.js';

const { items: n } = benchFlags({ items: 10_000 });
const bench = await benchRedis();
const { redis } = bench;
const store = new RunStore(redis, { prefix: 'bench-snapshot' });
const id = ulid();
/** Commits the run, snapshots it, gzips, parses and imports it: the figures. */
async function measure() {
  const items = Array.from({ length: n }, (_, i) => ({
    id: `q${i}`,
    input: `question number ${i}`,
    expectedOutput: `question number ${i}`,
  }));
  for (let i = 0; i < n; i += 1000) await store.runs.stageItems(id, i, items.slice(i, i + 1000));
  await store.runs.commitRun({
    id,
    target: { name: 'echo' },
    scorers: [{ name: 'exact_match' }],
    execution: { maxAttempts: 1, backoff: { type: 'fixed', delayMs: 10 }, timeoutMs: 1000 },
    datasetVersion: 'v1',
    totalItems: n,
    chunkSize: 100,
    ttlSeconds: 3600,
    tags: [],
    metadata: {},
    createdAt: Date.now(),
  });
  for (let i = 0; i < n; i += 100) {
    await store.execution.recordResults(
      id,
      Array.from({ length: Math.min(100, n - i) }, (_, j) => ({
        index: i + j,
        result: {
          status: 'succeeded' as const,
          attempts: 1,
          latencyMs: (i + j) % 97,
          output: `question number ${i + j}`,
          scores: { exact_match: { score: 1, passed: true } },
        },
      })),
    );
  }
  const read = async (): Promise<string> => {
    let text = '';
    for await (const chunk of await store.snapshots.open(id)) text += chunk;
    return text;
  };
  const timed = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
    const t = performance.now();
    const value = await f();
    return [value, Math.round(performance.now() - t)];
  };
  await read(); // warm up
  const [text, snapshotMs] = await timed(read);
  const [gz, gzipMs] = await timed(() => gzipSync(Buffer.from(text)));
  const [parsed, parseMs] = await timed(() => parseSnapshot(text));
  await store.runs.deleteRun(id);
  const [, importMs] = await timed(() => store.snapshots.importRun(parsed));
  const identical = (await read()) === text;
  return { text, gz, snapshotMs, gzipMs, parseMs, importMs, identical };
}
let measured: Awaited<ReturnType<typeof measure>>;
try {
  measured = await measure();
} finally {
  // on every path: the run's keys deleted, the private redis-server stopped
  await store.runs.deleteRun(id).catch(() => {});
  await bench.close('bench-snapshot');
}
const { text, gz, snapshotMs, gzipMs, parseMs, importMs, identical } = measured;
const figures: [string, string][] = [
  ['items', String(n)],
  ['snapshot bytes', String(Buffer.byteLength(text))],
  ['gzip bytes', String(gz.length)],
  ['snapshot ms (read + NDJSON + digest)', String(snapshotMs)],
  ['gzip ms', String(gzipMs)],
  ['parseSnapshot ms', String(parseMs)],
  ['importRun ms', String(importMs)],
  ['snapshot after import byte-identical', identical ? 'yes' : 'NO'],
];
const width = Math.max(...figures.map(([k]) => k.length));
console.log(`${'figure'.padEnd(width)} | value\n${'-'.repeat(width)}-|------`);
for (const [k, v] of figures) console.log(`${k.padEnd(width)} | ${v}`);
printCommand();
process.exit(identical ? 0 : 1);
