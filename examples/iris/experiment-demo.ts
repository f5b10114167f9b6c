import { fileURLToPath } from 'node:url';
import {
  compareVariants,
  createClient,
  formatExperimentTable,
  formatVariantComparisons,
  isEntryPoint,
  loadExperimentFile,
  watchExperiment,
} from '@runledger/cli';
import type { Compare, ExperimentSummary } from '@runledger/shared';
import { type IrisDemoBaseOptions, runAsScript, withIrisApi } from './services.js';

/** The experiment file of the demo. */
export const IRIS_EXPERIMENT_FILE = fileURLToPath(new URL('./experiment.yaml', import.meta.url));

/** Options of `runIrisExperiment` (`out`: where the table goes). */
export type IrisExperimentOptions = IrisDemoBaseOptions;

/**
 * Runs the experiment end to end; returns its final summary and the k5-vs-k1 comparison.
 * Everything it started is stopped before it returns or throws.
 */
export async function runIrisExperiment(
  options: IrisExperimentOptions = {},
): Promise<{ summary: ExperimentSummary; compare: Compare }> {
  const remote = (options.env ?? process.env).RUNLEDGER_URL;
  return withIrisApi({ ...options, remote, name: 'iris-experiment' }, async (demo) => {
    const { out } = demo;
    const client = createClient({ baseUrl: demo.baseUrl });
    const spec = await loadExperimentFile(IRIS_EXPERIMENT_FILE);
    const created = await client.experiments.create(spec);
    out.write(
      `Created experiment ${created.id}: ${created.variants.map((v) => v.name).join(' vs ')} ` +
        `over ${created.variants[0]?.totalItems ?? 0} flowers.\n`,
    );
    const summary = await watchExperiment(client, created.id, { progress: demo.progress });
    out.write(formatExperimentTable(summary));
    // k5 against k1 (the first variant): what `runledger experiment-status ID` prints
    const comparisons = await compareVariants(client, summary);
    out.write(formatVariantComparisons(comparisons));
    const compare = comparisons[0]?.compare;
    if (!compare) throw new Error(`no k5 vs k1 comparison: ${comparisons[0]?.skipped ?? 'none'}`);
    return { summary, compare };
  });
}

if (isEntryPoint(import.meta.url)) {
  runAsScript(runIrisExperiment(), ({ summary }) => summary.status === 'completed');
}
