import { createClient, formatRunSummary, isEntryPoint, type Run, watchRun } from '@runledger/cli';
import { irisRunSpec } from './dataset.js';
import { type IrisDemoBaseOptions, runAsScript, withIrisApi } from './services.js';

/** Options of `runIrisDemo`. */
export interface IrisDemoOptions extends IrisDemoBaseOptions {
  /** Submit to this API instead of starting one. @defaultValue env.RUNLEDGER_URL */
  apiUrl?: string;
  /** Neighbours of the k-NN. @defaultValue 5 */
  k?: number;
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
  const remote = options.apiUrl ?? (options.env ?? process.env).RUNLEDGER_URL;
  return withIrisApi({ ...options, remote, name: 'iris-demo' }, async (demo) => {
    const { baseUrl, services, out } = demo;
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
    const created = await client.runs.create(irisRunSpec(options.k ?? 5));
    out.write(`Submitted run ${created.id}: ${created.totalItems} flowers.\n`);
    const run = await watchRun(client, created.id, { progress: demo.progress });
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
  });
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
