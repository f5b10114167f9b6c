import { fileURLToPath } from 'node:url';
import {
  createClient,
  formatCompare,
  formatExperimentTable,
  isEntryPoint,
  loadExperimentFile,
  type RunningServices,
  startServices,
  watchExperiment,
} from '@runledger/cli';
import {
  type Compare,
  type Config,
  createLogger,
  type ExperimentSummary,
  type Logger,
  loadConfig,
} from '@runledger/shared';
import { irisKnn } from './targets.js';

/** The experiment file of the demo. */
export const IRIS_EXPERIMENT_FILE = fileURLToPath(new URL('./experiment.yaml', import.meta.url));

/** Options of `runIrisExperiment`. */
export interface IrisExperimentOptions {
  /** Environment (config; `RUNLEDGER_URL` selects a remote API). @defaultValue process.env */
  env?: Record<string, string | undefined>;
  /** Config overrides on top of `env` (tests set `REDIS_URL` and `RUNLEDGER_PREFIX`). */
  config?: Partial<Config>;
  /** In-process workers when no API URL is given. @defaultValue 2 */
  workers?: number;
  /** Where the table goes. @defaultValue process.stdout */
  out?: NodeJS.WritableStream;
  /** Where the progress bars go; null: none. @defaultValue process.stderr */
  progress?: NodeJS.WritableStream | null;
  /** Logger of the in-process services. @defaultValue level `LOG_LEVEL` or `warn` */
  logger?: Logger;
}

/**
 * Runs the experiment end to end; returns its final summary and the k5-vs-k1 comparison.
 * Everything it started is stopped before it returns or throws.
 */
export async function runIrisExperiment(
  options: IrisExperimentOptions = {},
): Promise<{ summary: ExperimentSummary; compare: Compare }> {
  const env = options.env ?? process.env;
  const out = options.out ?? process.stdout;
  const progress = options.progress === undefined ? process.stderr : options.progress;
  const config: Config = { ...loadConfig(env), ...options.config };
  const remote = env.RUNLEDGER_URL;
  let services: RunningServices | null = null;
  try {
    let baseUrl: string;
    if (remote) {
      baseUrl = remote;
    } else {
      const logger =
        options.logger ?? createLogger({ level: env.LOG_LEVEL ?? 'warn', name: 'iris-experiment' });
      services = await startServices({
        config: { ...config, PORT: 0, HOST: '127.0.0.1', RUNLEDGER_TARGETS: '' },
        logger,
        api: true,
        workers: options.workers ?? 2,
        redisUrlGiven: Boolean(options.config?.REDIS_URL ?? env.REDIS_URL),
        launchRedis: true,
        targets: [irisKnn],
      });
      baseUrl = services.apiUrl ?? '';
    }
    const client = createClient({ baseUrl });
    const spec = await loadExperimentFile(IRIS_EXPERIMENT_FILE);
    const created = await client.createExperiment(spec);
    out.write(
      `Created experiment ${created.id}: ${created.variants.map((v) => v.name).join(' vs ')} ` +
        `over ${created.variants[0]?.totalItems ?? 0} flowers.\n`,
    );
    const summary = await watchExperiment(client, created.id, { progress });
    out.write(formatExperimentTable(summary));
    const [k1, k5] = summary.variants;
    const compare = await client.compareRuns(k1!.runIds[0]!, k5!.runIds[0]!);
    out.write(formatCompare(compare));
    return { summary, compare };
  } finally {
    await services?.close();
  }
}

if (isEntryPoint(import.meta.url)) {
  runIrisExperiment().then(
    ({ summary }) => {
      process.exitCode = summary.status === 'completed' ? 0 : 1;
      setTimeout(() => process.exit(process.exitCode), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
