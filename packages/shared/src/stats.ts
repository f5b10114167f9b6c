/**
 * Statistics of experiments and comparisons: pure functions, no I/O.
 *
 * - `wilsonInterval`: 95% confidence interval of a pass rate (Wilson 1927).
 * - `pairedBootstrapDiff`: confidence interval of the difference in pass rate between two runs over
 *   the same items, by the paired (per-item) percentile bootstrap (Efron & Tibshirani 1993);
 *   `pairedBootstrapDiffYielding` the same, handing the event loop back as it goes.
 * - `passAtK` / `passHatK`: the unbiased pass@k estimator (Chen et al. 2021) and pass^k
 *   (Yao et al. 2024, tau-bench).
 * - `nearestRank`: the nearest-rank percentile, the same definition as lua/read-run-4.lua.
 * - `mulberry32`: the small seeded PRNG the bootstrap uses, so a seed gives the same interval.
 * - `summarizeScore`: THE pass rate of runledger (runs, run lists, effective results, compare,
 *   experiments all call it).
 */
import type { ScoreSummary } from './schemas.js';

/** What `summarizeScore` counts for one scorer over one run (or a set of runs). */
export interface ScoreCounts {
  /** Items scored by this scorer that passed. */
  passed: number;
  /** Items scored by this scorer that did not pass. */
  failed: number;
  /** Sum of the scores (each in [0, 1]) of the scored items (`passed + failed` of them). */
  scoreSum: number;
  /** Items that have a result, whatever its status (succeeded, failed, cancelled). */
  resultCount: number;
  /** Every item of the run(s), with a result or not. */
  totalItems: number;
}

/**
 * The one definition of a pass rate in runledger, per scorer:
 *
 * - `passed`: items scored by the scorer that passed; `failed`: items scored that did not pass;
 * - `errors`: items that have a result but no score from the scorer (the target failed, the item
 *   was cancelled, the scorer threw): `resultCount - passed - failed`;
 * - `passRate = passed / totalItems`: every item of the run is in the denominator, so items that
 *   failed to execute, were cancelled or have no result yet count as not passed (null when the
 *   run has no item);
 * - `passRateOfScored = passed / (passed + failed)`: the rate among scored items only (null when
 *   none was scored), shown beside it, never instead of it;
 * - `mean`: the mean score over scored items (null when none was scored).
 *
 * @example summarizeScore({ passed: 146, failed: 52, scoreSum: 146, resultCount: 200, totalItems: 200 })
 *   // { mean: 0.737..., passed: 146, failed: 52, errors: 2, passRate: 0.73, passRateOfScored: 0.737... }
 * Never throws: counts read from a store are taken as they are (`errors` is never negative).
 */
export function summarizeScore(counts: ScoreCounts): ScoreSummary {
  const { passed, failed, scoreSum, resultCount, totalItems } = counts;
  const scored = passed + failed;
  return {
    mean: scored === 0 ? null : scoreSum / scored,
    passed,
    failed,
    errors: Math.max(0, resultCount - scored),
    passRate: totalItems === 0 ? null : passed / totalItems,
    passRateOfScored: scored === 0 ? null : passed / scored,
  };
}

/**
 * `summarizeScore` over results held in memory: tallies `scorer`'s scores of `results` (each a
 * `{ scores: { [scorer]: { score, passed } } }`) against `totalItems` items (at least
 * `results.length`). Used where figures are computed from results rather than stored counters:
 * compare without stored scores, effective results across reruns, experiment variants.
 */
export function summarizeResultScores(
  results: readonly { scores: Readonly<Record<string, { score: number; passed: boolean }>> }[],
  scorer: string,
  totalItems: number,
): ScoreSummary {
  let passed = 0;
  let failed = 0;
  let scoreSum = 0;
  for (const r of results) {
    const s = r.scores[scorer];
    if (!s) continue;
    scoreSum += s.score;
    if (s.passed) passed++;
    else failed++;
  }
  return summarizeScore({
    passed,
    failed,
    scoreSum,
    resultCount: results.length,
    totalItems: Math.max(totalItems, results.length),
  });
}

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
export const Z_95 = 1.959964;

/**
 * Wilson score interval of a binomial proportion (E. B. Wilson, "Probable inference, the law of
 * succession, and statistical inference", JASA 22, 1927):
 * `(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)` with `p = passed / n`.
 * Unlike the normal (Wald) interval it stays inside [0, 1] and is sensible at p = 0 or 1.
 * @param passed successes, 0..n.  @param n trials; 0 gives `[0, 1]` (nothing known).
 * @returns `[lo, hi]`, both in [0, 1].
 * @throws RangeError when `passed` is not in [0, n] or n < 0.
 */
export function wilsonInterval(passed: number, n: number, z = Z_95): [number, number] {
  if (n < 0 || passed < 0 || passed > n) {
    throw new RangeError(`wilsonInterval: need 0 <= passed (${passed}) <= n (${n})`);
  }
  if (n === 0) return [0, 1];
  const p = passed / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // at p = 0 or 1 the bound is exactly 0 or 1 (rounding would leave 1e-16 off)
  return [
    passed === 0 ? 0 : Math.max(0, (centre - margin) / denominator),
    passed === n ? 1 : Math.min(1, (centre + margin) / denominator),
  ];
}

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state PRNG, fast and good enough for
 * resampling; not for cryptography. Same seed, same sequence.
 * @param seed any integer (taken modulo 2^32).
 * @returns a function giving floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Nearest-rank percentile of `sorted` (ascending): the value at rank `ceil(p / 100 * n)` (1-based;
 * rank 0 is taken as 1), as in lua/read-run-4.lua
 * (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method). null when empty.
 * @param p percentile in (0, 100].
 */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** Options of `pairedBootstrapDiff`. */
export interface BootstrapOptions {
  /** Resamples. @defaultValue 2000 */
  resamples?: number;
  /** PRNG seed (mulberry32). @defaultValue 1 */
  seed?: number;
  /** Confidence level. @defaultValue 0.95 */
  confidence?: number;
}

/** A difference `b - a` with its bootstrap confidence interval. */
export interface BootstrapDiff {
  /** Observed difference in pass rate, `mean(b) - mean(a)`. */
  diff: number;
  /** `[lo, hi]`: percentiles `(1-c)/2` and `(1+c)/2` of the resampled differences (nearest rank). */
  ci: [number, number];
  resamples: number;
  seed: number;
}

/**
 * Paired percentile bootstrap of the difference in pass rate `b - a` over the same items
 * (B. Efron and R. J. Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13): draws
 * `resamples` samples of item indexes with replacement, computes each sample's mean of
 * `b[i] - a[i]`, and takes the percentiles of those means. Pairing by item keeps the
 * correlation between the two runs, so the interval is narrower than two independent ones.
 * Deterministic for a seed. Cost: O(resamples x items).
 * @param a per-item outcomes of run a (1 passed, 0 not; any number in [0, 1] works).
 * @param b per-item outcomes of run b, same length and item order as `a`.
 * @returns `{ diff, ci }`; diff 0 and ci [0, 0] when there are no items.
 * @throws RangeError when the lengths differ.
 */
export function pairedBootstrapDiff(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
): BootstrapDiff {
  const bootstrap = new PairedBootstrap(a, b, options);
  bootstrap.draw(Number.POSITIVE_INFINITY);
  return bootstrap.result();
}

/**
 * `pairedBootstrapDiff` that hands the event loop back (`setImmediate` in Node) after every
 * `drawsPerTurn` index draws, so a process answering other requests (the API) keeps answering
 * them during a large comparison (100,000 items x 2,000 resamples: 1.7-2.9 s of draws on this
 * machine, ~10-15 ns a draw). The same answer as `pairedBootstrapDiff` for the same inputs and
 * seed.
 * @param drawsPerTurn index draws between two yields (rounded up to whole resamples).
 *   @defaultValue 200,000 (a few ms here)
 * @throws RangeError when the lengths differ.
 */
export async function pairedBootstrapDiffYielding(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
  drawsPerTurn = 200_000,
): Promise<BootstrapDiff> {
  const bootstrap = new PairedBootstrap(a, b, options);
  while (!bootstrap.draw(drawsPerTurn)) await nextTurn();
  return bootstrap.result();
}

/**
 * Resolves in a later turn of the event loop: `setImmediate` in Node (after pending I/O), a 0 ms
 * timer where there is none (this module is also bundled into the dashboard).
 */
function nextTurn(): Promise<void> {
  const { setImmediate } = globalThis as { setImmediate?: (callback: () => void) => unknown };
  return new Promise((resolve) => (setImmediate ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** The state of one paired bootstrap, drawn a number of resamples at a time (`draw`). */
class PairedBootstrap {
  private readonly d: Float64Array;
  private readonly sum: number;
  private readonly random: () => number;
  private readonly means: number[];
  private readonly resamples: number;
  private readonly seed: number;
  private readonly confidence: number;
  private next = 0;

  /** @throws RangeError when the lengths differ. */
  constructor(a: readonly number[], b: readonly number[], options: BootstrapOptions) {
    if (a.length !== b.length) {
      throw new RangeError(`pairedBootstrapDiff: ${a.length} vs ${b.length} outcomes`);
    }
    this.resamples = options.resamples ?? 2000;
    this.seed = options.seed ?? 1;
    this.confidence = options.confidence ?? 0.95;
    const n = a.length;
    this.d = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      this.d[i] = (b[i] ?? 0) - (a[i] ?? 0);
      sum += this.d[i]!;
    }
    this.sum = sum;
    this.random = mulberry32(this.seed);
    this.means = new Array<number>(this.resamples);
  }

  /**
   * Draws resamples until at least `maxDraws` item indexes were drawn or every resample is done.
   * Returns true when every resample is done.
   */
  draw(maxDraws: number): boolean {
    const { d, random, means } = this;
    const n = d.length;
    if (n === 0) return true;
    let draws = 0;
    while (this.next < this.resamples && draws < maxDraws) {
      let s = 0;
      for (let i = 0; i < n; i++) s += d[Math.floor(random() * n)]!;
      means[this.next++] = s / n;
      draws += n;
    }
    return this.next >= this.resamples;
  }

  /** `{ diff, ci }` once every resample is drawn; diff 0 and ci [0, 0] with no items. */
  result(): BootstrapDiff {
    const { resamples, seed } = this;
    const n = this.d.length;
    if (n === 0) return { diff: 0, ci: [0, 0], resamples, seed };
    const means = this.means;
    means.sort((x, y) => x - y);
    const tail = ((1 - this.confidence) / 2) * 100;
    return {
      diff: this.sum / n,
      ci: [nearestRank(means, tail) ?? 0, nearestRank(means, 100 - tail) ?? 0],
      resamples,
      seed,
    };
  }
}

/**
 * Unbiased pass@k for one item with `n` samples of which `c` passed (M. Chen et al., "Evaluating
 * Large Language Models Trained on Code", 2021, eq. 1): `1 - C(n-c, k) / C(n, k)`, the chance that
 * at least one of k samples drawn without replacement passes. Computed as the stable product
 * `1 - prod_{i=n-c+1..n} (1 - k / i)` (the paper's numerically stable form).
 * @throws RangeError unless 0 <= c <= n and 1 <= k <= n.
 */
export function passAtK(n: number, c: number, k: number): number {
  checkNck(n, c, k, 'passAtK');
  if (n - c < k) return 1;
  let product = 1;
  for (let i = n - c + 1; i <= n; i++) product *= 1 - k / i;
  return 1 - product;
}

/**
 * pass^k for one item with `n` samples of which `c` passed (S. Yao et al., "tau-bench", 2024):
 * `C(c, k) / C(n, k)`, the chance that all of k samples drawn without replacement pass.
 * Computed as the product `prod_{i=0..k-1} (c - i) / (n - i)`.
 * @throws RangeError unless 0 <= c <= n and 1 <= k <= n.
 */
export function passHatK(n: number, c: number, k: number): number {
  checkNck(n, c, k, 'passHatK');
  if (c < k) return 0;
  let product = 1;
  for (let i = 0; i < k; i++) product *= (c - i) / (n - i);
  return product;
}

function checkNck(n: number, c: number, k: number, what: string): void {
  const ints = Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k);
  if (!ints || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`${what}: need integers 0 <= c (${c}) <= n (${n}) and 1 <= k (${k}) <= n`);
  }
}
