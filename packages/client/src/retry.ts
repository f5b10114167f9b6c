/**
 * Retries with backoff for idempotent requests: GET, HEAD, DELETE, and a POST only when it
 * carries an `Idempotency-Key`. Retried: network errors (fetch threw), 429 and 503, waiting the
 * answer's `Retry-After` when it has one.
 */
import { parseRetryAfter } from './errors.js';

/** Retry policy of the client. */
export interface RetryOptions {
  /** Retries after the first attempt. @defaultValue 3 */
  retries?: number;
  /** First backoff delay, ms; doubles per retry. @defaultValue 250 */
  minDelayMs?: number;
  /** Largest backoff delay, ms. @defaultValue 5000 */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the answer is returned, ms. @defaultValue 60000 */
  maxRetryAfterMs?: number;
  /** Told before each retry (what failed and how long the client waits, ms). */
  onRetry?: (event: RetryEvent) => void;
}

/** What `RetryOptions.onRetry` hears. */
export interface RetryEvent {
  method: string;
  url: string;
  /** The retry about to happen, 1-based. */
  retry: number;
  delayMs: number;
  /** The answer's status, or the network error. */
  reason: { status: number } | { error: unknown };
}

/** The statuses retried. */
export const RETRY_STATUSES: readonly number[] = [429, 503];

/** True when `request` may be sent twice: GET/HEAD/DELETE, or POST with an `Idempotency-Key`. */
export function isIdempotent(request: Request): boolean {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'PUT') return true;
  return request.headers.has('idempotency-key');
}

/** True for an abort of the caller's signal (never retried). */
export function isAbortError(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** Waits `ms`; rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Wraps `baseFetch` (called with one `Request`) so idempotent requests are retried per
 * `options` (`false`: never). A request's body must be replayable (a string or bytes, not a
 * stream) for it to be retried; streams are sent once.
 * @returns a fetch that resolves to the last answer (maybe a 429/503) or throws the last
 *   network error.
 */
export function withRetries(
  baseFetch: (request: Request) => Promise<Response>,
  options: RetryOptions | false,
): (request: Request) => Promise<Response> {
  if (options === false) return baseFetch;
  const retries = options.retries ?? 3;
  const minDelayMs = options.minDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  return async (request) => {
    const retryable = retries > 0 && isIdempotent(request);
    for (let attempt = 0; ; attempt++) {
      const last = !retryable || attempt >= retries;
      const sent = last ? request : request.clone();
      const backoff = Math.min(minDelayMs * 2 ** attempt, maxDelayMs);
      let delayMs: number;
      let reason: RetryEvent['reason'];
      try {
        const response = await baseFetch(sent);
        if (last || !RETRY_STATUSES.includes(response.status)) return response;
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) return response;
        delayMs = retryAfter ?? backoff;
        reason = { status: response.status };
        await response.body?.cancel().catch(() => {});
      } catch (err) {
        if (last || isAbortError(err) || request.signal?.aborted) throw err;
        delayMs = backoff;
        reason = { error: err };
      }
      options.onRetry?.({
        method: request.method,
        url: request.url,
        retry: attempt + 1,
        delayMs,
        reason,
      });
      await sleep(delayMs, request.signal);
    }
  };
}
