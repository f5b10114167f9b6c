/**
 * Sending one request of an HTTP-based target (`http`, `openai`): every URL and redirect hop
 * passes the target's `HttpGuard` (`RUNLEDGER_HTTP_TARGET_ALLOW`), redirects are followed by
 * hand, and a non-2xx answer becomes a retryable or final error.
 */
import {
  injectTraceHeaders,
  isSecretField,
  NonRetryableError,
  RetryableError,
  redactUrl,
} from '@runledger/shared';
import { type Response as UndiciResponse, fetch as undiciFetch } from 'undici';
import { findNotAllowed, type HttpGuard } from '../http-guard.js';

/** Max characters of a response body quoted in an error message. */
export const ERROR_BODY_CHARS = 1000;

/** Max redirects an HTTP-based target follows (each hop must pass the allowlist). */
export const MAX_HTTP_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** One request: `headers` names in lower case; `body` already encoded. */
export interface OutgoingRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Sends `request` with `signal`, following allowed redirects (at most `MAX_HTTP_REDIRECTS`,
 * like fetch does: 303 and POST-after-301/302 become GET without body, 307/308 repeat the
 * request; secret headers are dropped when the origin changes). While tracing is on, the
 * request carries the active span's `traceparent`. Returns the final response.
 * @throws TargetNotAllowedError when a URL or an address it resolves to is not allowed.
 * @throws NonRetryableError `http_error` on too many redirects or an invalid location.
 * @throws RetryableError `network_error` when the request fails; `signal.reason` when it fired.
 */
export async function sendRequest(
  guard: HttpGuard,
  request: OutgoingRequest,
  signal: AbortSignal,
): Promise<{ response: UndiciResponse; url: URL }> {
  let { url, method, body } = request;
  let headers = { ...request.headers };
  // tracing on: W3C `traceparent` (and `tracestate`) of the item attempt, so the system under
  // test joins the run's trace
  injectTraceHeaders(headers);
  for (let hop = 0; ; hop++) {
    guard.check(url);
    let response: UndiciResponse;
    try {
      response = await undiciFetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal,
        redirect: 'manual',
        dispatcher: guard.dispatcher,
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const refused = findNotAllowed(err);
      if (refused) throw refused;
      const cause =
        err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new RetryableError(`request to ${redactUrl(url.href)} failed${cause}`, 'network_error');
    }
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return { response, url };
    await response.body?.cancel().catch(() => {});
    if (hop >= MAX_HTTP_REDIRECTS) {
      throw new NonRetryableError(
        `more than ${MAX_HTTP_REDIRECTS} redirects from ${redactUrl(request.url.href)}`,
        'http_error',
        response.status,
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new NonRetryableError(
        `invalid redirect location from ${redactUrl(url.href)}`,
        'http_error',
        response.status,
      );
    }
    if (next.origin !== url.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !isSecretField(k)));
    }
    if (response.status === 303 || (response.status <= 302 && method === 'POST')) {
      method = 'GET';
      body = undefined;
      delete headers['content-type'];
    }
    url = next;
  }
}

/** A 2xx answer: the body as JSON (its text when not JSON, null when empty). */
export interface JsonAnswer {
  body: unknown;
  text: string;
  /** The URL that answered (after redirects). */
  url: URL;
}

/**
 * Sends `request` (see `sendRequest`) and reads the answer.
 * - 2xx: the body, parsed as JSON when it is JSON;
 * - 429, and 503 with `Retry-After`: `RetryableError` with `retryAfterMs` (the item waits that
 *   long holding no slot; the try does not count as an attempt);
 * - 408 and other 5xx: `RetryableError` `http_error` (backoff, counts as an attempt);
 * - any other status: `NonRetryableError` `http_error`.
 * Error messages quote the first `ERROR_BODY_CHARS` characters of the body.
 * @throws as described, and as `sendRequest`.
 */
export async function requestJson(
  guard: HttpGuard,
  request: OutgoingRequest,
  signal: AbortSignal,
): Promise<JsonAnswer> {
  const { response, url } = await sendRequest(guard, request, signal);
  const text = await response.text();
  if (!response.ok) {
    const status = response.status;
    const message = `HTTP ${status} from ${redactUrl(url.href)}: ${text.slice(0, ERROR_BODY_CHARS)}`;
    if (status === 429 || status === 503) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      if (status === 429 || retryAfterMs !== undefined) {
        throw new RetryableError(message, 'http_error', status, retryAfterMs);
      }
    }
    if (status === 408 || status >= 500) {
      throw new RetryableError(message, 'http_error', status);
    }
    throw new NonRetryableError(message, 'http_error', status);
  }
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { body, text, url };
}

/**
 * A `Retry-After` header value in ms from `now`: delay-seconds (`120`, decimals accepted) or an
 * HTTP-date (never negative); undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Merges header records into one with lower-case names (later records win), so a config's
 * `Content-Type` replaces the default `content-type` instead of doubling it.
 */
export function mergeHeaders(...records: Record<string, string>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const record of records) {
    for (const [k, v] of Object.entries(record)) out[k.toLowerCase()] = v;
  }
  return out;
}
