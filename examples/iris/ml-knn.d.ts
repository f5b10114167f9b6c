/** Types of `ml-knn` 3 (the package ships none): k-nearest-neighbours over a KD-tree. */
declare module 'ml-knn' {
  /** Options of a KNN model; `k` defaults to the number of classes + 1, `distance` to Euclidean. */
  export interface KnnOptions {
    k?: number;
    distance?: (a: number[], b: number[]) => number;
  }

  /** A KNN classifier trained on `dataset` (rows of numbers) with one label per row. */
  export default class KNN {
    constructor(dataset: number[][], labels: Array<string | number>, options?: KnnOptions);
    /** The majority label among the `k` nearest rows (the first class to reach the top count wins a tie). */
    predict(point: number[]): string | number;
    predict(points: number[][]): Array<string | number>;
    toJSON(): unknown;
  }
}
