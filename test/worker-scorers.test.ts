import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  builtinScorers,
  exactMatchScorer,
  jsonEqual,
  scoreOutput,
  toItemScore,
  unknownScorers,
} from '../apps/worker/src/index.js';

const score = (
  scorer: typeof exactMatchScorer,
  output: unknown,
  expectedOutput: unknown,
  config: Record<string, unknown> = {},
) => scorer.score({ input: null, output, expectedOutput, config });

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

describe('built-in scorers', () => {
  it('are the five documented ones', () => {
    expect(builtinScorers.map((s) => s.name)).toEqual([
      'exact_match',
      'contains',
      'regex',
      'json_equal',
      'numeric_close',
    ]);
  });

  // [output, expectedOutput, config, passed]: passed scores 1, not passed 0
  const cases: Record<string, [unknown, unknown, Record<string, unknown>, boolean][]> = {
    exact_match: [
      ['Paris', 'Paris', {}, true],
      ['paris', 'Paris', {}, false],
      ['paris', 'Paris', { caseSensitive: false }, true],
      [' Paris\n', 'Paris', {}, false],
      [' Paris\n', 'Paris', { trim: true }, true],
      [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, {}, true],
      [{ a: [1, 2] }, { a: [2, 1] }, {}, false],
      // a string and a number or boolean compare as text (a model's "104" against 104)
      [1, '1', {}, true],
      ['104', 104, {}, true],
      [' 104\n', 104, {}, false],
      [' 104\n', 104, { trim: true }, true],
      ['104.0', 104, {}, false],
      ['TRUE', true, {}, false],
      ['TRUE', true, { caseSensitive: false }, true],
      ['1', true, {}, false],
      // other types still compare as JSON
      [1, true, {}, false],
      ['[1]', [1], {}, false],
      [null, 'null', {}, false],
      [null, undefined, {}, true],
    ],
    contains: [
      ['the answer is 42', 42, {}, true],
      ['the answer is 41', 42, {}, false],
      ['Hello World', null, { value: 'World' }, true],
      ['Hello World', null, { value: 'world' }, false],
      ['Hello World', null, { value: 'world', caseSensitive: false }, true],
    ],
    regex: [
      ['order #123', null, { pattern: '#\\d+$' }, true],
      ['ORDER', null, { pattern: '^order$' }, false],
      ['ORDER', null, { pattern: '^order$', flags: 'i' }, true],
      [12345, null, { pattern: '^\\d{5}$' }, true],
    ],
    json_equal: [
      ['{"b":2,"a":[1,{"y":1,"x":0}]}', { a: [1, { x: 0, y: 1 }], b: 2 }, {}, true],
      ['{"a":1}', '{"a":2}', {}, false],
      ['[1,2]', [2, 1], {}, false],
      ['not json', 'not json', {}, true],
    ],
    numeric_close: [
      [2.7182817, Math.E, { tolerance: 1e-6 }, true],
      [2.71, Math.E, {}, false],
      ['10.4', 10, { tolerance: 0.5 }, true],
      [105, 100, { tolerance: 0.05, relative: true }, true],
      [106, 100, { tolerance: 0.05, relative: true }, false],
      ['abc', 1, { tolerance: 100 }, false],
    ],
  };

  /** Asserts every case of `cases[name]` against the built-in scorer `name`. */
  const expectCases = (name: string) => {
    const scorer = builtinScorers.find((s) => s.name === name)!;
    for (const [output, expectedOutput, config, passed] of cases[name]!) {
      const expected = { score: passed ? 1 : 0, passed };
      expect(score(scorer, output, expectedOutput, config), JSON.stringify(output)).toEqual(
        expected,
      );
    }
    return scorer;
  };

  it('exact_match compares JSON values deeply, a string with a number or boolean as text, and honours caseSensitive and trim', () => {
    const scorer = expectCases('exact_match');
    expect(() => score(scorer, 'a', 'a', { bogus: true })).toThrow();
  });

  it('contains looks for config.value, else String(expectedOutput)', () => {
    expectCases('contains');
  });

  it('regex tests config.pattern with config.flags on String(output)', () => {
    const scorer = expectCases('regex');
    expect(() => score(scorer, 'x', null, {})).toThrow();
  });

  it('json_equal parses JSON strings and ignores object key order', () => {
    expectCases('json_equal');
    expect(jsonEqual({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(true);
  });

  it('numeric_close compares within an absolute or relative tolerance', () => {
    expectCases('numeric_close');
  });
});

describe('registered scorer outcomes', () => {
  it('numbers pass at >= 0.5 and every score is clamped to [0, 1]', () => {
    expect(toItemScore(0.5)).toEqual({ score: 0.5, passed: true });
    expect(toItemScore(0.49)).toEqual({ score: 0.49, passed: false });
    expect(toItemScore(7)).toEqual({ score: 1, passed: true });
    expect(toItemScore(-2)).toEqual({ score: 0, passed: false });
    expect(toItemScore(Number.NaN)).toEqual({ score: 0, passed: false });
    expect(toItemScore({ score: 1.5, passed: false })).toEqual({ score: 1, passed: false });
    expect(toItemScore({ score: 0.2, passed: true })).toEqual({ score: 0.2, passed: true });
  });

  it('scoreOutput runs every scorer; one that throws scores 0 and is logged at warn', async () => {
    const { logger, lines } = captureLogger();
    const registry = new Map([
      ...builtinScorers.map((s) => [s.name, s] as const),
      ['half', { name: 'half', description: 'always 0.5', score: () => 0.5 }],
      [
        'boom',
        {
          name: 'boom',
          description: 'throws',
          score: async () => {
            throw new Error('scorer exploded');
          },
        },
      ],
    ]);
    const scores = await scoreOutput({
      refs: [
        { name: 'exact_match' },
        { name: 'half' },
        { name: 'boom' },
        { name: 'contains', config: { value: 'x' } },
      ],
      lookup: (name) => registry.get(name),
      input: 'q',
      output: 'ax',
      expectedOutput: 'ax',
      logger,
    });
    expect(scores).toEqual({
      exact_match: { score: 1, passed: true },
      half: { score: 0.5, passed: true },
      boom: { score: 0, passed: false },
      contains: { score: 1, passed: true },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      scorer: 'boom',
      err: { message: 'scorer exploded' },
    });
  });

  it('scoreOutput answers at once (no promise) while every scorer answers synchronously', async () => {
    const { logger, lines } = captureLogger();
    const registry = new Map([
      ...builtinScorers.map((s) => [s.name, s] as const),
      [
        'sync-boom',
        {
          name: 'sync-boom',
          description: 'throws synchronously',
          score: () => {
            throw new Error('sync scorer exploded');
          },
        },
      ],
      ['later', { name: 'later', description: 'async 0.25', score: async () => 0.25 }],
    ]);
    const options = {
      lookup: (name: string) => registry.get(name),
      input: 'q',
      output: { n: 1 },
      expectedOutput: { n: 1 },
      logger,
    };
    const sync = scoreOutput({
      ...options,
      refs: [{ name: 'exact_match' }, { name: 'sync-boom' }, { name: 'json_equal' }],
    });
    expect(sync).not.toBeInstanceOf(Promise);
    expect(sync).toEqual({
      exact_match: { score: 1, passed: true },
      'sync-boom': { score: 0, passed: false },
      json_equal: { score: 1, passed: true },
    });
    expect(lines.map((l) => l.scorer)).toEqual(['sync-boom']);
    // an async scorer in the middle: a promise of every score, in the same order
    const later = scoreOutput({
      ...options,
      refs: [{ name: 'exact_match' }, { name: 'later' }, { name: 'json_equal' }],
    });
    expect(later).toBeInstanceOf(Promise);
    expect(Object.entries(await later)).toEqual([
      ['exact_match', { score: 1, passed: true }],
      ['later', { score: 0.25, passed: false }],
      ['json_equal', { score: 1, passed: true }],
    ]);
  });

  it('scoreOutput scores 0 (logged) a scorer that answers no score at all', () => {
    const { logger, lines } = captureLogger();
    const nothing = { name: 'nothing', description: 'answers null', score: () => null };
    const scores = scoreOutput({
      refs: [{ name: 'nothing' }, { name: 'exact_match' }],
      lookup: (name) => (name === 'nothing' ? (nothing as never) : builtinScorers[0]),
      input: 'q',
      output: 'a',
      expectedOutput: 'a',
      logger,
    });
    expect(scores).toEqual({
      nothing: { score: 0, passed: false },
      exact_match: { score: 1, passed: true },
    });
    expect(lines.map((l) => l.scorer)).toEqual(['nothing']);
  });

  it('unknownScorers lists the names a worker does not know', () => {
    const known = new Set(['exact_match', 'contains']);
    expect(
      unknownScorers([{ name: 'exact_match' }, { name: 'llm_judge' }, { name: 'contains' }], (n) =>
        known.has(n) ? exactMatchScorer : undefined,
      ),
    ).toEqual(['llm_judge']);
  });
});
