/**
 * RFC 9457 problem details: the one error shape of the API (`application/problem+json`).
 * Handlers and services just throw: a `RunledgerError` (the one error family of
 * @runledger/shared, each carrying its HTTP status and problem kind; `ProblemError` is the
 * API's own member for HTTP-only outcomes such as 401 and 429) or Hono's `HTTPException`.
 * `createErrorHandler` is the one place that turns whatever was thrown into a problem response,
 * and `validationHook` turns zod failures into a 400 problem that lists every bad field by
 * dotted path.
 */
import { z } from '@hono/zod-openapi';
import {
  type FieldError,
  type Logger,
  NotFoundError,
  PayloadTooLargeError,
  problemKindOf,
  problemType,
  RunledgerError,
  RunNotFoundError,
  redisErrorKind,
  redisUnavailable,
  ValidationError,
} from '@runledger/shared';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { dottedPath, fieldErrors } from './field-errors.js';
import type { RedisErrorHooks } from './redis-guard.js';

/** Media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export { type FieldError, problemType };

/** An RFC 9457 problem as the API sends it. `type` is `urn:runledger:problem:<kind>`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:runledger:problem:validation' }),
    title: z.string().openapi({ example: 'Bad Request' }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z
      .array(
        z.object({
          path: z.string().openapi({ example: 'dataset.items.3.id' }),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .openapi('Problem');

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The API's member of the `RunledgerError` family: an error that becomes exactly this problem
 * response, for outcomes that only HTTP has (401, 415, 429, ...).
 * @param status HTTP status (4xx/5xx).
 * @param kind last segment of the problem `type` (default: derived from `status`).
 * @param headers response headers to send with it (`Retry-After`, `WWW-Authenticate`).
 */
export class ProblemError extends RunledgerError {
  override name = 'ProblemError';
  constructor(
    status: ContentfulStatusCode,
    detail: string,
    readonly options: {
      kind?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail, status, options.kind ?? problemKindOf(status), {
      errors: options.errors,
      headers: options.headers,
    });
  }
}

/** Shorthand: a 404 `not_found` problem (unknown experiment, dataset, ...). */
export const notFound = (detail: string) => new NotFoundError(detail);

/** Shorthand: 404 for an unknown run. */
export const runNotFound = (runId: string) => new RunNotFoundError(runId);

/** Builds a problem body. */
export function problem(
  status: number,
  detail: string,
  extra: { kind?: string; errors?: FieldError[]; instance?: string } = {},
): Problem {
  const body: Problem = {
    type: problemType(extra.kind ?? problemKindOf(status)),
    title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    detail,
  };
  if (extra.instance !== undefined) body.instance = extra.instance;
  if (extra.errors !== undefined) body.errors = extra.errors;
  return body;
}

/** Sends `body` as `application/problem+json` (keeps headers already set on `c`, e.g. the request id). */
function sendProblem(c: Context, body: Problem): Response {
  return c.body(JSON.stringify(body), body.status as ContentfulStatusCode, {
    'Content-Type': PROBLEM_CONTENT_TYPE,
  });
}

/**
 * `defaultHook` of every OpenAPIHono router: a failed validation throws a 400 problem listing
 * every bad field. One exception: too many items in a JSON body answers 413, as NDJSON does.
 */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
): undefined {
  if (result.success) return undefined;
  const errors = fieldErrors(
    result.error,
    [],
    result.target === 'query' ? 'query parameter' : 'field',
  );
  const tooMany = result.error.issues.some(
    (i) => i.code === 'too_big' && dottedPath(i.path) === 'dataset.items',
  );
  const where = result.target === 'json' ? 'request body' : result.target;
  const detail = `invalid ${where}: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`;
  throw tooMany ? new PayloadTooLargeError(detail, errors) : new ValidationError(detail, errors);
}

/**
 * The app's `onError`, the one translation of errors into problems. A `RunledgerError` is
 * answered with its status, kind, message as `detail`, `errors[]` and headers, unless its status
 * is 500 (an unexpected failure) and it is not `expose`d (a `DecryptionError` is: 500
 * `decryption_failed`, `decryption failed (key <kid>)`, logged at error level); Hono's `HTTPException` with its status. A Redis error that
 * waiting cures (out of memory, read-only replica, loading, unreachable: `redisUnavailable`) is
 * logged once at warn level (kind and bounded message, never the command's arguments) and
 * answered 503 `unavailable` with a `detail` naming the cause and `Retry-After`;
 * `hooks.onRedisError` counts every Redis error by kind. Anything else is logged once at error
 * level and answered 500 `internal` without internals.
 */
export function createErrorHandler(
  fallbackLogger: Logger,
  hooks: RedisErrorHooks = {},
): ErrorHandler {
  return (err, c) => {
    const instance = c.req.path;
    const redisKind = redisErrorKind(err);
    if (redisKind !== null) hooks.onRedisError?.(redisKind);
    const unavailable = redisUnavailable(err);
    if (unavailable) {
      const logger = (c.get('logger') as Logger | undefined) ?? fallbackLogger;
      logger.warn({ err, redisKind, method: c.req.method, path: c.req.path }, unavailable.message);
    }
    const known = unavailable ?? err;
    if (known instanceof RunledgerError && known.expose) {
      if (known.status === 500) {
        // an operator's problem (e.g. a missing decryption key): logged, answered with its detail
        const logger = (c.get('logger') as Logger | undefined) ?? fallbackLogger;
        logger.error({ err, method: c.req.method, path: c.req.path }, known.message);
      }
      for (const [name, value] of Object.entries(known.headers ?? {})) c.header(name, value);
      return sendProblem(
        c,
        problem(known.status, known.message, {
          kind: known.kind,
          ...(known.errors !== undefined ? { errors: known.errors } : {}),
          instance,
        }),
      );
    }
    if (err instanceof HTTPException) {
      const detail =
        err.status === 415
          ? 'Content-Type must be application/json or application/x-ndjson'
          : err.message || (TITLES[err.status] ?? 'error');
      return sendProblem(c, problem(err.status, detail, { instance }));
    }
    const logger = (c.get('logger') as Logger | undefined) ?? fallbackLogger;
    logger.error({ err, method: c.req.method, path: c.req.path }, 'unexpected error');
    return sendProblem(c, problem(500, 'internal error', { kind: 'internal', instance }));
  };
}

/** The app's `notFound`: a 404 problem. */
export const notFoundHandler: NotFoundHandler = (c) =>
  sendProblem(
    c,
    problem(404, `no route for ${c.req.method} ${c.req.path}`, { instance: c.req.path }),
  );
