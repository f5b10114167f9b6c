/**
 * The `iris-knn` target: leave-one-out k-nearest-neighbours on Iris. For the item with
 * `input.row = i` it trains `ml-knn` (Euclidean) on the other 149 flowers and predicts the
 * species of `input.features`. `config.k` (default 5, an integer in [1, 149]) sets k; its
 * `configSchema` lets the API refuse any other config at submit. Models are built once per
 * (k, row) and cached; a model of 149 points builds in well under a millisecond.
 *
 * Load it in a worker with `RUNLEDGER_TARGETS=examples/iris/targets.ts` (under tsx).
 */
import { defineTarget, NonRetryableError, z } from '@runledger/shared';
import KNN from 'ml-knn';
import { irisClasses, irisFeatures } from './dataset.js';

const features = irisFeatures();
const classes = irisClasses();
const models = new Map<string, KNN>();

/** The leave-one-out model for `row` with `k` neighbours (cached). */
function modelFor(row: number, k: number): KNN {
  const key = `${k}:${row}`;
  let model = models.get(key);
  if (!model) {
    model = new KNN(
      features.filter((_, i) => i !== row),
      classes.filter((_, i) => i !== row),
      { k },
    );
    models.set(key, model);
  }
  return model;
}

function parseInput(input: unknown): { row: number; features: number[] } {
  const value = (input ?? {}) as { row?: unknown; features?: unknown };
  const row = value.row;
  if (typeof row !== 'number' || !Number.isInteger(row) || row < 0 || row >= features.length) {
    throw new NonRetryableError(
      `input.row must be an integer in [0, ${features.length - 1}]`,
      'invalid_input',
    );
  }
  const f = value.features;
  if (!Array.isArray(f) || f.length !== 4 || !f.every((x) => typeof x === 'number')) {
    throw new NonRetryableError('input.features must be 4 numbers', 'invalid_input');
  }
  return { row, features: f as number[] };
}

/** Config of `iris-knn`: `k`, the number of neighbours (default 5). */
export const IrisKnnConfigSchema = z
  .object({
    k: z
      .number()
      .int()
      .min(1)
      .max(features.length - 1)
      .default(5),
  })
  .strict();

/** `iris-knn`: leave-one-out k-NN on Iris; output is the predicted species name. */
export const irisKnn = defineTarget({
  name: 'iris-knn',
  description:
    'Leave-one-out k-nearest-neighbours on Iris (ml-knn, Euclidean); config.k, default 5',
  configSchema: IrisKnnConfigSchema,
  async run(input, context) {
    const { row, features: point } = parseInput(input);
    return { output: modelFor(row, context.config.k).predict(point) };
  },
});

/** The targets this module registers (see RUNLEDGER_TARGETS). */
export const targets = [irisKnn];
