/**
 * `npm run bench:upload`: what a large NDJSON upload does to the API's other requests. Another
 * process POSTs a run of `--items` items (200,000) as one NDJSON body while this process reads
 * `GET /v1/runs/:id` of another run in a loop (one read at a time, 5 ms apart), with the item
 * lines parsed in a worker thread (`RUNLEDGER_PARSE_THREADS=1`, the default) and, as the baseline
 * in the same run, on the API's event loop (`RUNLEDGER_PARSE_THREADS=0`), alternately for
 * `--rounds` rounds. Prints, per setting, the medians over the rounds of the upload's seconds
 * and of the reads' p50, p99 and max during it. The run waits for workers
 * (`execution.waitForWorkers`): none runs here, only submission is measured.
 *
 * Usage: npm run bench:upload -- [--items 200000] [--rounds 3]
 * Uses REDIS_URL when set, else a private redis-server on a free port.
 */
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { type ApiServer, startApi } from '@runledger/api';
import { createLogger, type Run } from '@runledger/shared';
import { benchFlags, benchRedis, median, printCommand, printTable } from './bench-setup.js';
import { benchConfig } from './echo-run.js';

const flags = benchFlags({ items: 200_000, rounds: 3 });
const bench = await benchRedis();
const logger = createLogger({ level: 'warn', name: 'bench' });
const prefix = `upload${Date.now()}`;
const spec = {
  target: { name: 'echo' },
  scorers: [{ name: 'exact_match' }],
  execution: { waitForWorkers: true },
};
const body = `${[
  JSON.stringify(spec),
  ...Array.from({ length: flags.items }, (_, i) =>
    JSON.stringify({
      id: `i${i}`,
      input: { n: i, prompt: `Question ${i}: what is the capital of country number ${i}?` },
      expectedOutput: { n: i },
    }),
  ),
].join('\n')}\n`;
const bodyFile = join(tmpdir(), `runledger-upload-${process.pid}.ndjson`);
await writeFile(bodyFile, body);

/**
 * POSTs the body file to `url` from a child Node process (so the upload's client does not share
 * this event loop). @returns the HTTP status. @throws Error when the child fails.
 */
function upload(url: string): Promise<number> {
  const script = `const b = require('node:fs').readFileSync(process.argv[1]);
fetch(process.argv[2], { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: b })
  .then(async (r) => { await r.arrayBuffer(); console.log(r.status); }, (e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, bodyFile, url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`upload exited ${code}`)),
    );
  });
}

/** The reads' and the upload's figures of one round. */
interface Round {
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  reads: number;
}

/** One upload to `api` with reads of run `readId` during it. */
async function round(api: ApiServer, readId: string): Promise<Round> {
  const started = performance.now();
  let done = false;
  const posted = upload(`${api.url}/v1/runs`).finally(() => {
    done = true;
  });
  // read latencies in microseconds (perf_hooks records integers)
  const latencies = createHistogram();
  while (!done) {
    const t = performance.now();
    const res = await fetch(`${api.url}/v1/runs/${readId}`);
    await res.arrayBuffer();
    latencies.record(Math.max(1, Math.round((performance.now() - t) * 1000)));
    await new Promise((r) => setTimeout(r, 5));
  }
  const status = await posted;
  if (status !== 201) throw new Error(`upload answered ${status}`);
  const ms = (us: number) => us / 1000;
  return {
    seconds: (performance.now() - started) / 1000,
    p50: ms(latencies.percentile(50)),
    p99: ms(latencies.percentile(99)),
    max: ms(latencies.max),
    reads: latencies.count,
  };
}

const settings = ['1', '0'] as const;
const apis = new Map<string, ApiServer>();
for (const threads of settings) {
  const config = benchConfig(bench.url, prefix, 50, { RUNLEDGER_PARSE_THREADS: threads });
  apis.set(threads, await startApi({ config, logger }));
}
const first = apis.get('1')!;
const small = await fetch(`${first.url}/v1/runs`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ ...spec, dataset: { items: [{ input: 1, expectedOutput: 1 }] } }),
});
const readId = ((await small.json()) as Run).id;
const rounds = new Map<string, Round[]>(settings.map((s) => [s, []]));
console.log(
  `benchmark: ${flags.items} items uploaded as NDJSON (${(body.length / 1e6).toFixed(1)} MB) x ${flags.rounds} rounds per setting, reads of GET /v1/runs/:id during each`,
);
// a warm-up upload on each (threads started, code compiled), not measured
for (const threads of settings) await round(apis.get(threads)!, readId);
for (let r = 0; r < flags.rounds; r++) {
  for (const threads of settings) {
    const figures = await round(apis.get(threads)!, readId);
    rounds.get(threads)!.push(figures);
    console.log(
      `round ${r + 1}, RUNLEDGER_PARSE_THREADS=${threads}: upload ${figures.seconds.toFixed(2)} s, ${figures.reads} reads, p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms`,
    );
  }
}
const row = (threads: string, label: string): string[] => {
  const list = rounds.get(threads)!;
  const m = (pick: (r: Round) => number, digits: number) => median(list.map(pick)).toFixed(digits);
  return [
    label,
    m((r) => r.seconds, 2),
    m((r) => r.reads, 0),
    m((r) => r.p50, 1),
    m((r) => r.p99, 1),
    m((r) => r.max, 1),
  ];
};
printTable(
  ['item lines parsed', 'upload s', 'reads', 'read p50 ms', 'read p99 ms', 'read max ms'],
  [
    row('1', 'in a worker thread (RUNLEDGER_PARSE_THREADS=1)'),
    row('0', 'on the event loop (RUNLEDGER_PARSE_THREADS=0)'),
  ],
);
console.log('(medians over the rounds)');
printCommand();
for (const api of apis.values()) await api.close();
await rm(bodyFile, { force: true });
await bench.close(prefix);
process.exit(0);
