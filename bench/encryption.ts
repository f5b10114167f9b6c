/**
 * `npm run bench:encryption`: the cost of encryption at rest (`RUNLEDGER_ENCRYPTION_KEYS`).
 * Two runledgers in this process (API + 1 worker each, own key prefix) on one Redis, one with a
 * key and one without; echo runs of `--items` items (input `{ n, text }` with a 64-character
 * text, expected output, `exact_match`) submitted through the HTTP API until completed. Rounds
 * alternate between the two (off, on, off, on, ...) so a busy machine slows both alike; each
 * side first runs a 2,000-item warm-up that is not measured. Prints items/s per round, the
 * medians and their ratio, Redis bytes per item (MEMORY USAGE of the run's keys), and the cipher
 * alone (µs per encrypt and decrypt of one stored item).
 *
 * Usage: npm run bench:encryption -- [--items 20000] [--rounds 3] [--concurrency 50]
 * Uses REDIS_URL when set, else a private redis-server on a free port.
 */
import { randomBytes } from 'node:crypto';
import { startApi } from '@runledger/api';
import { createLogger, ValueCipher } from '@runledger/shared';
import { startWorker } from '@runledger/worker';
import { benchFlags, benchRedis, median, printCommand } from './bench-setup.js';
import { benchConfig, timedEchoRun } from './echo-run.js';

const flags = benchFlags({ items: 20_000, rounds: 3, concurrency: 50 });
const KEYS = `kid1:${randomBytes(32).toString('base64')}`;
const TEXT = 'the quick brown fox jumps over the lazy dog, 0123456789 abcdefghij'.slice(0, 64);

const bench = await benchRedis();
const { url: redisUrl, redis } = bench;
const logger = createLogger({ level: 'warn', name: 'bench' });

interface Figures {
  itemsPerSecond: number;
  bytesPerItem: number;
}

/** An API and a worker on a prefix of their own, with `env` on top. */
async function startSide(label: string, env: Record<string, string>) {
  const prefix = `bench-${label}-${Date.now()}`;
  const config = benchConfig(redisUrl, prefix, flags.concurrency, env);
  const api = await startApi({ config, logger });
  const worker = await startWorker({ config, logger });
  const measure = async (n: number): Promise<Figures> => {
    const { run, seconds } = await timedEchoRun(
      api.url,
      Array.from({ length: n }, (_, i) => ({
        id: `i${i}`,
        input: { n: i, text: TEXT },
        expectedOutput: { n: i, text: TEXT },
      })),
    );
    const id = run.id;
    if (run.status !== 'completed' || run.succeededCount !== n) {
      throw new Error(`run ${id} ended ${run.status} with ${run.succeededCount}/${n} succeeded`);
    }
    let bytes = 0;
    for (const key of await redis.keys(`${prefix}:{${id}}:*`)) {
      bytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    }
    return { itemsPerSecond: n / seconds, bytesPerItem: bytes / n };
  };
  return {
    measure,
    async close() {
      await worker.close();
      await api.close();
    },
  };
}

/** µs per encrypt and per decrypt of one stored item's JSON (the cipher alone, 50,000 values). */
function cipherAlone(): { encryptUs: number; decryptUs: number; bytes: number } {
  const cipher = new ValueCipher([{ id: 'kid1', key: randomBytes(32) }]);
  const json = JSON.stringify({ id: 'i1', input: { n: 1, text: TEXT }, expectedOutput: { n: 1 } });
  const n = 50_000;
  const sealed: string[] = [];
  let t = performance.now();
  for (let i = 0; i < n; i++) sealed.push(cipher.encrypt(json));
  const encryptUs = ((performance.now() - t) * 1000) / n;
  t = performance.now();
  for (const s of sealed) cipher.decrypt(s);
  const decryptUs = ((performance.now() - t) * 1000) / n;
  return { encryptUs, decryptUs, bytes: sealed[0]!.length - json.length };
}

console.log(
  `encryption benchmark: ${flags.items} echo items x ${flags.rounds} rounds per side, concurrency ${flags.concurrency}, 1 worker, redis ${redisUrl}`,
);
const off = await startSide('off', {});
const on = await startSide('on', { RUNLEDGER_ENCRYPTION_KEYS: KEYS });
await off.measure(2000);
await on.measure(2000);
const figures: Record<'off' | 'on', Figures[]> = { off: [], on: [] };
for (let round = 1; round <= flags.rounds; round++) {
  for (const [name, side] of [
    ['off', off],
    ['on', on],
  ] as const) {
    const f = await side.measure(flags.items);
    figures[name].push(f);
    console.log(
      `round ${round} encryption ${name.padEnd(3)}: ${f.itemsPerSecond.toFixed(0)} items/s, ${f.bytesPerItem.toFixed(0)} Redis bytes/item`,
    );
  }
}
await off.close();
await on.close();
const mOff = median(figures.off.map((f) => f.itemsPerSecond));
const mOn = median(figures.on.map((f) => f.itemsPerSecond));
const bOff = median(figures.off.map((f) => f.bytesPerItem));
const bOn = median(figures.on.map((f) => f.bytesPerItem));
console.log(
  `median: off ${mOff.toFixed(0)} items/s, on ${mOn.toFixed(0)} items/s (on/off ${(mOn / mOff).toFixed(2)}); Redis bytes/item off ${bOff.toFixed(0)}, on ${bOn.toFixed(0)} (+${(bOn - bOff).toFixed(0)})`,
);
const alone = cipherAlone();
console.log(
  `cipher alone: ${alone.encryptUs.toFixed(1)} µs per encrypt, ${alone.decryptUs.toFixed(1)} µs per decrypt of a ${TEXT.length + 60}-byte item JSON (+${alone.bytes} bytes stored)`,
);
await bench.close();
printCommand();
process.exit(0);
