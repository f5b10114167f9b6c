/**
 * The compact stored form of a result, the values of a run's results hash (`{<runId>}:results`,
 * itemIndex -> encoded result). `ValueCodec` (./value-codec.ts, the one encoder and decoder of
 * stored user values) writes it for every result it does not encrypt and reads every form through
 * `decodeStoredResult` / `canonicalStoredResult`; tests decode raw values with them too. Lua never
 * parses a stored result; it writes one itself only for the budget stop's cancelled results
 * (record-results-9), in the full form.
 *
 * Two forms, told apart by their first character:
 * - compact (`[`): a JSON array, positions `COMPACT_FIELDS`, trailing nulls dropped; status as a
 *   digit (0 succeeded, 1 failed, 2 cancelled), `startedAt` as ms before `completedAt`, and a
 *   score `{score, passed}` as `[score, 0|1]`. An echo result of `{"n": 1234}` with one scorer is
 *   ~100 bytes instead of ~210 as full JSON.
 * - full (`{`): `JSON.stringify(StoredResult)`: results stored before the compact form, and the
 *   budget stop's cancelled results written by Lua.
 */
import type { ItemScore, ResultStatus, StoredResult } from '../schemas.js';

const STATUS_CODES: readonly ResultStatus[] = ['succeeded', 'failed', 'cancelled'];
const STATUS_DIGIT: Record<ResultStatus, number> = { succeeded: 0, failed: 1, cancelled: 2 };

/**
 * Positions of the compact form: 0 status digit, 1 attempts, 2 completedAt (ms since epoch),
 * 3 completedAt - startedAt (ms), 4 latencyMs, 5 queueMs, 6 output, 7 error, 8 scores
 * (name -> [score, passed 0|1]), 9 workerId, 10 usage, 11 costUsd, 12 masked. null: absent.
 */
export const COMPACT_FIELDS = [
  'status',
  'attempts',
  'completedAt',
  'startedBeforeCompletedMs',
  'latencyMs',
  'queueMs',
  'output',
  'error',
  'scores',
  'workerId',
  'usage',
  'costUsd',
  'masked',
] as const;

/**
 * The fields of `StoredResult` the compact form carries: those of `COMPACT_FIELDS`, with
 * `startedAt` in place of the `startedBeforeCompletedMs` it is stored as.
 */
const KNOWN = new Set<string>(
  COMPACT_FIELDS.map((f) => (f === 'startedBeforeCompletedMs' ? 'startedAt' : f)),
);

/**
 * The compact array of `r` (positions `COMPACT_FIELDS`, trailing nulls dropped), or null when
 * `r` has a field the compact form does not know or a `startedAt` without `completedAt`.
 */
function toCompact(r: StoredResult): unknown[] | null {
  const digit = STATUS_DIGIT[r.status];
  if (digit === undefined || (r.startedAt !== undefined && r.completedAt === undefined)) {
    return null;
  }
  for (const key in r) if (!KNOWN.has(key)) return null;
  let scores: Record<string, unknown> | null = null;
  if (r.scores) {
    scores = {};
    for (const [name, s] of Object.entries(r.scores)) {
      scores[name] =
        Object.keys(s).length === 2 && typeof s.passed === 'boolean'
          ? [s.score, s.passed ? 1 : 0]
          : s;
    }
  }
  const a: unknown[] = [
    digit,
    r.attempts,
    r.completedAt ?? null,
    r.startedAt === undefined ? null : (r.completedAt as number) - r.startedAt,
    r.latencyMs ?? null,
    r.queueMs ?? null,
    r.output === undefined ? null : r.output,
    r.error ?? null,
    scores,
    r.workerId ?? null,
    r.usage ?? null,
    r.costUsd ?? null,
    r.masked ?? null,
  ];
  let n = a.length;
  while (n > 2 && a[n - 1] === null) n--;
  return n === a.length ? a : a.slice(0, n);
}

/** The result of a compact array, its fields in `COMPACT_FIELDS` order (absent: null). */
function fromCompact(a: unknown[]): StoredResult {
  const r: StoredResult = {
    status: STATUS_CODES[a[0] as number] ?? 'failed',
    attempts: a[1] as number,
  };
  const at = (i: number) => (i < a.length ? a[i] : null);
  const completedAt = at(2) as number | null;
  if (completedAt !== null) r.completedAt = completedAt;
  const before = at(3) as number | null;
  if (before !== null && completedAt !== null) r.startedAt = completedAt - before;
  if (at(4) !== null) r.latencyMs = a[4] as number;
  if (at(5) !== null) r.queueMs = a[5] as number;
  if (at(6) !== null) r.output = a[6];
  if (at(7) !== null) r.error = a[7] as NonNullable<StoredResult['error']>;
  const scores = at(8) as Record<string, unknown> | null;
  if (scores !== null) {
    const out: Record<string, ItemScore> = {};
    for (const [name, s] of Object.entries(scores)) {
      out[name] = Array.isArray(s)
        ? { score: s[0] as number, passed: s[1] === 1 }
        : (s as ItemScore);
    }
    r.scores = out;
  }
  if (at(9) !== null) r.workerId = a[9] as string;
  if (at(10) !== null) r.usage = a[10] as NonNullable<StoredResult['usage']>;
  if (at(11) !== null) r.costUsd = a[11] as number;
  if (at(12) !== null) r.masked = a[12] as NonNullable<StoredResult['masked']>;
  return r;
}

/**
 * Encodes a result for the results hash: the compact form, or the full JSON when the result has
 * a field the compact form does not know or a `startedAt` without `completedAt`.
 */
export function encodeStoredResult(r: StoredResult): string {
  return JSON.stringify(toCompact(r) ?? r);
}

/**
 * `r` with its fields in `COMPACT_FIELDS` order (an `output: null` left out), or `r` itself when
 * the compact form cannot hold it: the one shape every decoder answers.
 */
export function canonicalStoredResult(r: StoredResult): StoredResult {
  const compact = toCompact(r);
  return compact ? fromCompact(compact) : r;
}

/**
 * Decodes a value of the results hash (either form) into one canonical shape: fields in
 * `COMPACT_FIELDS` order whichever form was stored (so a run snapshot reads the same bytes before
 * and after an import re-encodes its results), absent when the result does not have them (a
 * stored `output: null` decodes as no output: `toResult` answers null for both).
 * @throws SyntaxError when the value is not JSON.
 */
export function decodeStoredResult(value: string): StoredResult {
  if (value.charCodeAt(0) === 91 /* [ */) return fromCompact(JSON.parse(value) as unknown[]);
  const full = JSON.parse(value) as StoredResult;
  const compact = toCompact(full);
  return compact ? fromCompact(compact) : full;
}
