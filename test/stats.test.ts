/**
 * packages/shared/src/stats.ts: Wilson interval on known values, pass@k and pass^k on known cases,
 * the paired bootstrap (contains the true difference on a seeded constructed case, deterministic
 * for a seed), nearest-rank percentiles, the seeded PRNG, and the one pass rate (summarizeScore).
 */
import {
  mulberry32,
  nearestRank,
  pairedBootstrapDiff,
  pairedBootstrapDiffYielding,
  passAtK,
  passHatK,
  summarizeScore,
  wilsonInterval,
} from '@runledger/shared';
import { describe, expect, it } from 'vitest';

/** Known 95% Wilson intervals: [passed, trials, lower bound, upper bound]. */
const KNOWN_INTERVALS = [
  [8, 10, 0.490162, 0.943318],
  [50, 100, 0.403832, 0.596168],
  [145, 150, 0.924348, 0.98568],
] as const;

describe('wilsonInterval', () => {
  it('matches known 95% intervals', () => {
    for (const [passed, trials, lower, upper] of KNOWN_INTERVALS) {
      const [lo, hi] = wilsonInterval(passed, trials);
      expect(lo, `${passed} of ${trials}`).toBeCloseTo(lower, 5);
      expect(hi, `${passed} of ${trials}`).toBeCloseTo(upper, 5);
    }
  });

  it('stays inside [0, 1] at the edges and knows nothing without trials', () => {
    const [lo, hi] = wilsonInterval(0, 10);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(0.277533, 5);
    const [lo1, hi1] = wilsonInterval(10, 10);
    expect(lo1).toBeCloseTo(1 - 0.277533, 5);
    expect(hi1).toBe(1);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
  });
});

describe('pass@k and pass^k', () => {
  it('match the closed forms on a known case (n=10, c=3, k=2)', () => {
    // 1 - C(7,2)/C(10,2) = 1 - 21/45; C(3,2)/C(10,2) = 3/45
    expect(passAtK(10, 3, 2)).toBeCloseTo(24 / 45, 12);
    expect(passHatK(10, 3, 2)).toBeCloseTo(3 / 45, 12);
  });

  it('with k = n: pass@k is "any passed", pass^k is "all passed"', () => {
    expect(passAtK(3, 0, 3)).toBe(0);
    expect(passAtK(3, 1, 3)).toBe(1);
    expect(passHatK(3, 2, 3)).toBe(0);
    expect(passHatK(3, 3, 3)).toBe(1);
  });

  it('with k = 1 both are the pass rate c/n', () => {
    expect(passAtK(8, 2, 1)).toBeCloseTo(0.25, 12);
    expect(passHatK(8, 2, 1)).toBeCloseTo(0.25, 12);
  });

  it('stays stable for large n (product form)', () => {
    // 1 - C(190,100)/C(200,100): compare with the log-gamma form
    const lnC = (n: number, k: number) => {
      let s = 0;
      for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
      return s;
    };
    expect(passAtK(200, 10, 100)).toBeCloseTo(1 - Math.exp(lnC(190, 100) - lnC(200, 100)), 10);
    expect(() => passAtK(3, 4, 1)).toThrow(RangeError);
    expect(() => passHatK(3, 1, 4)).toThrow(RangeError);
  });
});

describe('pairedBootstrapDiff', () => {
  // 300 items: a passes items 0..149 (50%), b passes 0..119 and 150..239 (70%): true diff 0.2
  const a = Array.from({ length: 300 }, (_, i) => (i < 150 ? 1 : 0));
  const b = Array.from({ length: 300 }, (_, i) => (i < 120 || (i >= 150 && i < 240) ? 1 : 0));

  it('contains the true difference and is deterministic for a seed', () => {
    const r = pairedBootstrapDiff(a, b, { seed: 42 });
    expect(r.diff).toBeCloseTo(0.2, 12);
    expect(r.resamples).toBe(2000);
    expect(r.ci[0]).toBeLessThan(0.2);
    expect(r.ci[1]).toBeGreaterThan(0.2);
    // a 95% interval of a difference of proportions over 300 pairs: about +-0.07
    expect(r.ci[1] - r.ci[0]).toBeGreaterThan(0.08);
    expect(r.ci[1] - r.ci[0]).toBeLessThan(0.2);
    expect(pairedBootstrapDiff(a, b, { seed: 42 })).toEqual(r);
    expect(pairedBootstrapDiff(a, b, { seed: 43 }).ci).not.toEqual(r.ci);
  });

  it('collapses to the difference when every pair differs the same way, and handles no items', () => {
    const ones = Array.from({ length: 50 }, () => 1);
    const zeros = Array.from({ length: 50 }, () => 0);
    expect(pairedBootstrapDiff(zeros, ones, { seed: 7 })).toEqual({
      diff: 1,
      ci: [1, 1],
      resamples: 2000,
      seed: 7,
    });
    expect(pairedBootstrapDiff([], [])).toEqual({ diff: 0, ci: [0, 0], resamples: 2000, seed: 1 });
    expect(() => pairedBootstrapDiff([1], [])).toThrow(RangeError);
  });

  it('the yielding form answers the same and lets other callbacks run between its turns', async () => {
    // 300 items x 2000 resamples = 600,000 draws: a turn every 30,000 draws (100 resamples)
    const turns: string[] = [];
    let ticking = true;
    const tick = () => {
      turns.push('tick');
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const yielding = pairedBootstrapDiffYielding(a, b, { seed: 42 }, 30_000);
    const r = await yielding;
    ticking = false;
    expect(r).toEqual(pairedBootstrapDiff(a, b, { seed: 42 }));
    // 20 turns, each followed by a setImmediate of its own: the ticker ran between them
    expect(turns.length).toBeGreaterThanOrEqual(19);
    await expect(pairedBootstrapDiffYielding([1], [])).rejects.toThrow(RangeError);
    expect(await pairedBootstrapDiffYielding([], [])).toEqual(pairedBootstrapDiff([], []));
  });
});

describe('nearestRank and mulberry32', () => {
  it('nearest rank: rank ceil(p/100 n)', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(xs, 50)).toBe(5);
    expect(nearestRank(xs, 90)).toBe(9);
    expect(nearestRank(xs, 99)).toBe(10);
    expect(nearestRank(xs, 1)).toBe(1);
    expect(nearestRank([], 50)).toBeNull();
  });

  it('mulberry32: same seed, same sequence, floats in [0, 1)', () => {
    const r1 = mulberry32(123);
    const r2 = mulberry32(123);
    const xs = Array.from({ length: 1000 }, () => r1());
    expect(Array.from({ length: 1000 }, () => r2())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('summarizeScore', () => {
  it('is passed / totalItems, with passRateOfScored and errors beside it (the issue 7 run)', () => {
    // 200 items: 146 passed, 52 scored and failed, 2 failed to execute
    expect(
      summarizeScore({
        passed: 146,
        failed: 52,
        scoreSum: 150.5,
        resultCount: 200,
        totalItems: 200,
      }),
    ).toEqual({
      mean: 150.5 / 198,
      passed: 146,
      failed: 52,
      errors: 2,
      passRate: 0.73,
      passRateOfScored: 146 / 198,
    });
  });

  it('counts items without a result as not passed and knows nothing without items or scores', () => {
    expect(
      summarizeScore({ passed: 3, failed: 1, scoreSum: 3, resultCount: 6, totalItems: 10 }),
    ).toEqual({
      mean: 0.75,
      passed: 3,
      failed: 1,
      errors: 2,
      passRate: 0.3,
      passRateOfScored: 0.75,
    });
    expect(
      summarizeScore({ passed: 0, failed: 0, scoreSum: 0, resultCount: 4, totalItems: 4 }),
    ).toEqual({ mean: null, passed: 0, failed: 0, errors: 4, passRate: 0, passRateOfScored: null });
    expect(
      summarizeScore({ passed: 0, failed: 0, scoreSum: 0, resultCount: 0, totalItems: 0 }),
    ).toEqual({
      mean: null,
      passed: 0,
      failed: 0,
      errors: 0,
      passRate: null,
      passRateOfScored: null,
    });
  });
});
