/**
 * The one place that builds `failed` and `cancelled` item results (`StoredResult`), used by the
 * run store (`finishRun`: items without a result when a run ends early) and by the worker (an
 * item whose attempts failed, an item the run's cancel stopped, an item that cannot run here).
 *
 * Lua builds one too: `record-results-9.lua`, when a run reaches its budget, records every item
 * without a result as
 * `{"status":"cancelled","attempts":0,"error":{"message":<reason>,"type":"cancelled"},"completedAt":<now>}`,
 * which is exactly `cancelledResult({ message: reason, completedAt: now })` (same fields, same
 * order; test/results.test.ts holds them equal). Change both together.
 */
import type { ResultError, StoredResult } from './schemas.js';

/** The `error.type` of every `cancelled` result. */
export const CANCELLED_ERROR_TYPE = 'cancelled';

/** What an item's attempts left behind, for a result that did not succeed. */
export interface EndedItemFields {
  /** When the result was made, ms since epoch. */
  completedAt: number;
  /** Attempts started (a `Retry-After` deferral is not one). @defaultValue 0 */
  attempts?: number;
  /** When the first attempt started, ms since epoch; absent when none started. */
  startedAt?: number | undefined;
  /** Duration of the last attempt's target call, ms; absent when none ran. */
  latencyMs?: number | undefined;
}

/**
 * A `failed` result: `{ status: 'failed', attempts, error, completedAt, startedAt?, latencyMs? }`
 * (optional fields only when given).
 */
export function failedResult(error: ResultError, fields: EndedItemFields): StoredResult {
  return endedResult('failed', error, fields);
}

/**
 * A `cancelled` result: `{ status: 'cancelled', attempts, error: { message, type: 'cancelled' },
 * completedAt, startedAt?, latencyMs? }` (optional fields only when given). Cancelled results are
 * not failures: they count in no error type.
 */
export function cancelledResult(message: string, fields: EndedItemFields): StoredResult {
  return endedResult('cancelled', { message, type: CANCELLED_ERROR_TYPE }, fields);
}

function endedResult(
  status: 'failed' | 'cancelled',
  error: ResultError,
  fields: EndedItemFields,
): StoredResult {
  const { completedAt, attempts = 0, startedAt, latencyMs } = fields;
  return {
    status,
    attempts,
    error,
    completedAt,
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
  };
}
