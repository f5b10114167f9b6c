import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  builtinScorers,
  containsScorer,
  exactMatchScorer,
  jsonEqual,
  jsonEqualScorer,
  numericCloseScorer,
  regexScorer,
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

  it('exact_match compares JSON values deeply and honours caseSensitive and trim', () => {
    expect(score(exactMatchScorer, 'Paris', 'Paris')).toEqual({ score: 1, passed: true });
    expect(score(exactMatchScorer, 'paris', 'Paris')).toEqual({ score: 0, passed: false });
    expect(score(exactMatchScorer, 'paris', 'Paris', { caseSensitive: false })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(exactMatchScorer, ' Paris\n', 'Paris')).toEqual({ score: 0, passed: false });
    expect(score(exactMatchScorer, ' Paris\n', 'Paris', { trim: true })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(exactMatchScorer, { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(exactMatchScorer, { a: [1, 2] }, { a: [2, 1] })).toEqual({
      score: 0,
      passed: false,
    });
    expect(score(exactMatchScorer, 1, '1')).toEqual({ score: 0, passed: false });
    expect(score(exactMatchScorer, null, undefined)).toEqual({ score: 1, passed: true });
    expect(() => score(exactMatchScorer, 'a', 'a', { bogus: true })).toThrow();
  });

  it('contains looks for config.value, else String(expectedOutput)', () => {
    expect(score(containsScorer, 'the answer is 42', 42)).toEqual({ score: 1, passed: true });
    expect(score(containsScorer, 'the answer is 41', 42)).toEqual({ score: 0, passed: false });
    expect(score(containsScorer, 'Hello World', null, { value: 'World' })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(containsScorer, 'Hello World', null, { value: 'world' })).toEqual({
      score: 0,
      passed: false,
    });
    expect(
      score(containsScorer, 'Hello World', null, { value: 'world', caseSensitive: false }),
    ).toEqual({ score: 1, passed: true });
  });

  it('regex tests config.pattern with config.flags on String(output)', () => {
    expect(score(regexScorer, 'order #123', null, { pattern: '#\\d+$' })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(regexScorer, 'ORDER', null, { pattern: '^order$' })).toEqual({
      score: 0,
      passed: false,
    });
    expect(score(regexScorer, 'ORDER', null, { pattern: '^order$', flags: 'i' })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(regexScorer, 12345, null, { pattern: '^\\d{5}$' })).toEqual({
      score: 1,
      passed: true,
    });
    expect(() => score(regexScorer, 'x', null, {})).toThrow();
  });

  it('json_equal parses JSON strings and ignores object key order', () => {
    expect(
      score(jsonEqualScorer, '{"b":2,"a":[1,{"y":1,"x":0}]}', { a: [1, { x: 0, y: 1 }], b: 2 }),
    ).toEqual({ score: 1, passed: true });
    expect(score(jsonEqualScorer, '{"a":1}', '{"a":2}')).toEqual({ score: 0, passed: false });
    expect(score(jsonEqualScorer, '[1,2]', [2, 1])).toEqual({ score: 0, passed: false });
    expect(score(jsonEqualScorer, 'not json', 'not json')).toEqual({ score: 1, passed: true });
    expect(jsonEqual({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(true);
  });

  it('numeric_close compares within an absolute or relative tolerance', () => {
    expect(score(numericCloseScorer, 2.7182817, Math.E, { tolerance: 1e-6 })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(numericCloseScorer, 2.71, Math.E)).toEqual({ score: 0, passed: false });
    expect(score(numericCloseScorer, '10.4', 10, { tolerance: 0.5 })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(numericCloseScorer, 105, 100, { tolerance: 0.05, relative: true })).toEqual({
      score: 1,
      passed: true,
    });
    expect(score(numericCloseScorer, 106, 100, { tolerance: 0.05, relative: true })).toEqual({
      score: 0,
      passed: false,
    });
    expect(score(numericCloseScorer, 'abc', 1, { tolerance: 100 })).toEqual({
      score: 0,
      passed: false,
    });
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

  it('unknownScorers lists the names a worker does not know', () => {
    const known = new Set(['exact_match', 'contains']);
    expect(
      unknownScorers([{ name: 'exact_match' }, { name: 'llm_judge' }, { name: 'contains' }], (n) =>
        known.has(n) ? exactMatchScorer : undefined,
      ),
    ).toEqual(['llm_judge']);
  });
});
