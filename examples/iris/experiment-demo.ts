import { fileURLToPath } from 'node:url';
import {
  compareVariants,
  createClient,
  formatExperimentTable,
  formatVariantComparisons,
  isEntryPoint,
  loadExperimentFile,
  type RunningServices,
  watchExperiment,
} from '@runledger/cli';
import type { Compare, Config, ExperimentSummary, Logger } from '@runledger/shared';
import { connectOrStart, runAsScript } from './services.js';

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
  let services: RunningServices | null = null;
  try {
    let baseUrl: string;
    ({ baseUrl, services } = await connectOrStart({
      env,
      config: options.config,
      remote: env.RUNLEDGER_URL,
      workers: options.workers,
      logger: options.logger,
      name: 'iris-experiment',
    }));
    const client = createClient({ baseUrl });
    const spec = await loadExperimentFile(IRIS_EXPERIMENT_FILE);
    const created = await client.experiments.create(spec);
    out.write(
      `Created experiment ${created.id}: ${created.variants.map((v) => v.name).join(' vs ')} ` +
        `over ${created.variants[0]?.totalItems ?? 0} flowers.\n`,
    );
    const summary = await watchExperiment(client, created.id, { progress });
    out.write(formatExperimentTable(summary));
    // k5 against k1 (the first variant): what `runledger experiment-status ID` prints
    const comparisons = await compareVariants(client, summary);
    out.write(formatVariantComparisons(comparisons));
    const compare = comparisons[0]?.compare;
    if (!compare) throw new Error(`no k5 vs k1 comparison: ${comparisons[0]?.skipped ?? 'none'}`);
    return { summary, compare };
  } finally {
    await services?.close();
  }
}

if (isEntryPoint(import.meta.url)) {
  runAsScript(runIrisExperiment(), ({ summary }) => summary.status === 'completed');
}
