/**
 * What the in-process benchmarks share (bench/throughput.ts, bench/encryption.ts): the config of
 * an API + workers on a prefix of their own, and one timed echo run through the HTTP API.
 */
import { type Config, loadConfig, type Run, TERMINAL_STATUSES } from '@runledger/shared';

/**
 * The config of a benchmark's API and workers on `redisUrl` and key prefix `prefix`: port 0
 * (any free one), `concurrency` items in flight per worker, warn logs, 64 MiB request bodies;
 * `env` (env-style strings) on top.
 */
export function benchConfig(
  redisUrl: string,
  prefix: string,
  concurrency: number,
  env: Record<string, string> = {},
): Config {
  return loadConfig({
    REDIS_URL: redisUrl,
    RUNLEDGER_PREFIX: prefix,
    PORT: '0',
    WORKER_CONCURRENCY: String(concurrency),
    LOG_LEVEL: 'warn',
    RUNLEDGER_MAX_BODY_BYTES: String(64 * 1024 * 1024),
    ...env,
  });
}

/**
 * POSTs a run of `items` on the `echo` target scored by `exact_match` to the API at `apiUrl`
 * (one JSON body, or with `ndjson` the spec on line 1 then one item a line), then polls
 * `GET /v1/runs/:id` every 20 ms until the run is terminal.
 * @returns the terminal run and the seconds from the POST to the run's `completedAt` (to the
 *   terminal answer when it has none).
 * @throws Error when the POST does not answer 201.
 */
export async function timedEchoRun(
  apiUrl: string,
  items: unknown[],
  options: { ndjson?: boolean } = {},
): Promise<{ run: Run; seconds: number }> {
  const spec = { target: { name: 'echo' }, scorers: [{ name: 'exact_match' }] };
  const body = options.ndjson
    ? `${[JSON.stringify(spec), ...items.map((item) => JSON.stringify(item))].join('\n')}\n`
    : JSON.stringify({ ...spec, dataset: { items } });
  const started = performance.now();
  const startedAt = Date.now();
  const res = await fetch(`${apiUrl}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': options.ndjson ? 'application/x-ndjson' : 'application/json' },
    body,
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as Run;
  let run: Run;
  for (;;) {
    run = (await (await fetch(`${apiUrl}/v1/runs/${id}`)).json()) as Run;
    if (TERMINAL_STATUSES.includes(run.status)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // timed to the run's own completedAt (set by the worker's record of its last result, on this
  // machine's clock): the 20 ms polling would add up to 20 ms to a run of ~1 s
  // (used only when it lies between the POST and the poll that saw it: else the poll's time)
  const polled = performance.now() - started;
  const byRun = run.completedAt ? Date.parse(run.completedAt) - startedAt : Number.NaN;
  const ms = byRun > 0 && byRun <= polled ? byRun : polled;
  return { run, seconds: ms / 1000 };
}
