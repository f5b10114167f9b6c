/** The benchmarks' flag parser (bench/bench-setup.ts). */
import { describe, expect, it } from 'vitest';
import { benchFlags } from '../bench/bench-setup.js';

const defaults = { items: 50_000, warmup: 2000, sizes: '10,20', skipWait: false };

describe('benchFlags', () => {
  it('reads flags in kebab-case, typed by their defaults, defaulted when absent', () => {
    expect(benchFlags(defaults, ['--items', '500', '--sizes', '1,2', '--skip-wait'])).toEqual({
      items: 500,
      warmup: 2000,
      sizes: '1,2',
      skipWait: true,
    });
    expect(benchFlags(defaults, ['--warmup', '1e3'])).toMatchObject({ warmup: 1000 });
  });

  it('refuses a number flag whose value is not a number, naming the flag', () => {
    expect(() => benchFlags(defaults, ['--warmup', 'abc'])).toThrow(
      new TypeError('--warmup takes a number, not "abc"'),
    );
    expect(() => benchFlags(defaults, ['--items', ' '])).toThrow('--items takes a number');
    expect(() => benchFlags(defaults, ['--items', 'Infinity'])).toThrow('--items takes a number');
  });

  it('refuses an unknown flag', () => {
    expect(() => benchFlags(defaults, ['--itmes', '5'])).toThrow(TypeError);
  });
});
