/**
 * The diff of an output against its expected output (jsdiff): words for two strings, lines of
 * the canonical JSON (`diffJson`, keys sorted) for anything else.
 */
import { type Change, diffJson, diffWords } from 'diff';

export type { Change };

/** The changes turning `expected` into `actual`. */
export function computeDiff(expected: unknown, actual: unknown): Change[] {
  if (typeof expected === 'string' && typeof actual === 'string') {
    return diffWords(expected, actual);
  }
  // diffJson takes a string as JSON text already: give it the JSON of a string value, so that
  // the string "42" and the number 42 differ
  const json = (v: unknown) =>
    typeof v === 'string' ? JSON.stringify(v) : ((v ?? null) as object);
  return diffJson(json(expected), json(actual));
}
