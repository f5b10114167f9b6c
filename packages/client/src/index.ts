/**
 * @runledger/client: the typed TypeScript client of the runledger API (Node 20+ and browsers).
 * Types come from the API's own OpenAPI document (src/generated/openapi.ts).
 */
export {
  type ClientOptions,
  type CreateRunOptions,
  createClient,
  DEFAULT_BASE_URL,
  type ResultsOptions,
  RunledgerClient,
  type WaitOptions,
} from './client.js';
export { unpricedNote } from './cost.js';
export { type ProblemDetails, parseRetryAfter, RunledgerApiError } from './errors.js';
export {
  isTransientError,
  type ReconnectOptions,
  type RunEventsOptions,
  StreamEndedError,
  TERMINAL_STATUSES,
} from './events.js';
export {
  configLines,
  type DifferenceValue,
  differenceLines,
  differencePairs,
  targetLabel,
} from './experiments.js';
export type { components, operations, paths } from './generated/openapi.js';
export { runTimeLeft, timeLeft } from './progress.js';
export { isIdempotent, RETRY_STATUSES, type RetryEvent, type RetryOptions } from './retry.js';
export type * from './types.js';
