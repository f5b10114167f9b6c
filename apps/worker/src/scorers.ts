/**
 * Scorers: the built-ins (`exact_match`, `contains`, `regex`, `json_equal`, `numeric_close`,
 * configs validated by the shared `BUILTIN_SCORER_CONFIGS`) and scoring one output with every
 * scorer of a run.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  BUILTIN_SCORER_CONFIGS,
  type ItemScore,
  type Logger,
  type ScoreOutcome,
  type ScorerDefinition,
  type ScorerRef,
} from '@runledger/shared';
import type { z } from 'zod';
import { parseConfig } from './targets.js';

const bool = (passed: boolean): ScoreOutcome => ({ score: passed ? 1 : 0, passed });

/**
 * `value` as the text `exact_match` compares when it meets `other`: a string as it is; a number
 * or boolean as `String(value)` when `other` is a string (a model answers "104" to an expected
 * 104: text against a JSON scalar compares as text); null otherwise (the values compare as JSON).
 */
function asText(value: unknown, other: unknown): string | null {
  if (typeof value === 'string') {
    return typeof other === 'string' || typeof other === 'number' || typeof other === 'boolean'
      ? value
      : null;
  }
  if ((typeof value === 'number' || typeof value === 'boolean') && typeof other === 'string') {
    return String(value);
  }
  return null;
}

/** `String(value)` for strings, JSON for everything else but undefined/null (which become ''). */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Parses JSON strings (falls back to the string itself); other values are returned as they are. */
function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** A number from a number or a numeric string; NaN otherwise. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

/**
 * Deep equality of JSON values; object key order is ignored (as `isDeepStrictEqual` does),
 * array order is not.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/** A built-in scorer's parsed config (cached per config object). @throws ZodError when invalid. */
function builtinConfig<T>(schema: z.ZodType<T>, config: unknown): T {
  const parsed = parseConfig(schema, config);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

/** The config scorers get when their ref has none (one shared object, so parses are cached). */
const NO_CONFIG: Record<string, unknown> = Object.freeze({});

export const exactMatchScorer: ScorerDefinition = {
  name: 'exact_match',
  description:
    'Output deep-equals expectedOutput (JSON values); a string and a number or boolean compare as text ("104" matches 104); strings honour caseSensitive (default true) and trim (default false).',
  score({ output, expectedOutput, config }) {
    const c = builtinConfig(BUILTIN_SCORER_CONFIGS.exact_match, config);
    const a0 = asText(output, expectedOutput);
    const b0 = asText(expectedOutput, output);
    if (a0 !== null && b0 !== null) {
      let a = c.trim ? a0.trim() : a0;
      let b = c.trim ? b0.trim() : b0;
      if (!c.caseSensitive) {
        a = a.toLowerCase();
        b = b.toLowerCase();
      }
      return bool(a === b);
    }
    return bool(jsonEqual(output, expectedOutput ?? null));
  },
};

export const containsScorer: ScorerDefinition = {
  name: 'contains',
  description:
    'String(output) contains config.value, or String(expectedOutput) when no value is given (caseSensitive, default true).',
  score({ output, expectedOutput, config }) {
    const c = builtinConfig(BUILTIN_SCORER_CONFIGS.contains, config);
    let haystack = text(output);
    let needle = c.value ?? text(expectedOutput);
    if (!c.caseSensitive) {
      haystack = haystack.toLowerCase();
      needle = needle.toLowerCase();
    }
    return bool(haystack.includes(needle));
  },
};

export const regexScorer: ScorerDefinition = {
  name: 'regex',
  description: 'config.pattern (with config.flags) matches String(output).',
  score({ output, config }) {
    const c = builtinConfig(BUILTIN_SCORER_CONFIGS.regex, config);
    return bool(new RegExp(c.pattern, c.flags).test(text(output)));
  },
};

export const jsonEqualScorer: ScorerDefinition = {
  name: 'json_equal',
  description:
    'Output and expectedOutput (parsed as JSON when strings) are deep-equal, object key order ignored.',
  score({ output, expectedOutput, config }) {
    builtinConfig(BUILTIN_SCORER_CONFIGS.json_equal, config);
    return bool(jsonEqual(parseJson(output), parseJson(expectedOutput ?? null)));
  },
};

export const numericCloseScorer: ScorerDefinition = {
  name: 'numeric_close',
  description:
    '|output - expectedOutput| <= tolerance (default 1e-6), or <= tolerance * |expectedOutput| when relative.',
  score({ output, expectedOutput, config }) {
    const c = builtinConfig(BUILTIN_SCORER_CONFIGS.numeric_close, config);
    const a = toNumber(output);
    const b = toNumber(expectedOutput);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return bool(false);
    const limit = c.relative ? c.tolerance * Math.abs(b) : c.tolerance;
    return bool(Math.abs(a - b) <= limit);
  },
};

/** The scorers every worker knows. */
export const builtinScorers: readonly ScorerDefinition[] = [
  exactMatchScorer,
  containsScorer,
  regexScorer,
  jsonEqualScorer,
  numericCloseScorer,
];

/**
 * A scorer's return value as an `ItemScore`: a number is the score (passed when >= 0.5);
 * scores are clamped to [0, 1]; a non-finite score is 0.
 */
export function toItemScore(value: ScoreOutcome | number): ItemScore {
  const raw = typeof value === 'number' ? value : value.score;
  const score = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
  const passed = typeof value === 'number' ? score >= 0.5 : Boolean(value.passed);
  return { score, passed };
}

/** Names of `refs` that `lookup` does not know. */
export function unknownScorers(
  refs: ScorerRef[],
  lookup: (name: string) => ScorerDefinition | undefined,
): string[] {
  return refs.filter((r) => !lookup(r.name)).map((r) => r.name);
}

/** Options of `scoreOutput`. */
export interface ScoreOutputOptions {
  refs: ScorerRef[];
  lookup: (name: string) => ScorerDefinition | undefined;
  input: unknown;
  output: unknown;
  expectedOutput: unknown;
  logger: Logger;
}

/** True when `value` is a promise or another thenable. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Scores `output` with every scorer of `refs` (all must be known: check with `unknownScorers`
 * first). A scorer that throws (or rejects) scores `{score: 0, passed: false}` and is logged at
 * warn level. Returns scorer name -> score: synchronously while every scorer answers
 * synchronously (the built-ins do: no promise per item), else a promise of it (await both).
 */
export function scoreOutput(
  options: ScoreOutputOptions,
): Record<string, ItemScore> | Promise<Record<string, ItemScore>> {
  const scores: Record<string, ItemScore> = {};
  const { refs } = options;
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    try {
      const value = callScorer(ref, options);
      if (isThenable(value)) return scoreRest(scores, i, value, options);
      // a bad answer (null, a string) throws here and scores 0 like a throw
      scores[ref.name] = toItemScore(value as ScoreOutcome | number);
    } catch (err) {
      scoreFailed(scores, ref, err, options.logger);
    }
  }
  return scores;
}

/** Calls the scorer of `ref` on the item. @throws what the scorer throws; Error when unknown. */
function callScorer(ref: ScorerRef, options: ScoreOutputOptions): unknown {
  const scorer = options.lookup(ref.name);
  if (!scorer) throw new Error(`unknown scorer "${ref.name}"`);
  return scorer.score({
    input: options.input,
    output: options.output,
    expectedOutput: options.expectedOutput,
    config: ref.config ?? NO_CONFIG,
  });
}

/** Scores 0 for a scorer that threw, logged at warn level. */
function scoreFailed(
  scores: Record<string, ItemScore>,
  ref: ScorerRef,
  err: unknown,
  logger: Logger,
): void {
  logger.warn({ err, scorer: ref.name }, 'scorer threw; scored 0');
  scores[ref.name] = { score: 0, passed: false };
}

/** `scoreOutput` from the first scorer that answered a promise (`pending`, of `refs[from]`). */
async function scoreRest(
  scores: Record<string, ItemScore>,
  from: number,
  pending: PromiseLike<unknown>,
  options: ScoreOutputOptions,
): Promise<Record<string, ItemScore>> {
  const { refs } = options;
  for (let i = from; i < refs.length; i++) {
    const ref = refs[i]!;
    try {
      const value = i === from ? await pending : await callScorer(ref, options);
      scores[ref.name] = toItemScore(value as ScoreOutcome | number);
    } catch (err) {
      scoreFailed(scores, ref, err, options.logger);
    }
  }
  return scores;
}
