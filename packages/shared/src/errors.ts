/**
 * The one error family of runledger: every outcome a caller may be told about is a
 * `RunledgerError` carrying its HTTP status and problem kind, so the API turns any of them into
 * an RFC 9457 problem in one place (apps/api/src/problem.ts `createErrorHandler`) and routes
 * just throw. Script outcomes (negative `ScriptCode`s) become these in `scriptError`
 * (./script-codes.ts). Each class sets `name`.
 */

/** One offending field: `path` is dotted (`dataset.items.3.id`), `''` for the whole body. */
export interface FieldError {
  path: string;
  message: string;
}

/** Extra parts of a `RunledgerError`'s problem response. */
export interface RunledgerErrorOptions {
  /** Every offending field (problem `errors[]`). */
  errors?: FieldError[] | undefined;
  /** Response headers to send with the problem (`Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string> | undefined;
  /**
   * Answer `message` as the problem `detail` even with status 500 (a failure the operator must
   * read, e.g. `DecryptionError`). @defaultValue true unless the status is 500
   */
  expose?: boolean | undefined;
}

/** Problem kinds (the last segment of `type`) by HTTP status, for errors that name none. */
export const PROBLEM_KIND_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation',
  429: 'too_many_requests',
  500: 'internal',
  503: 'unavailable',
};

/** The default kind of `status`: from `PROBLEM_KIND_BY_STATUS`, else `internal` (5xx) or `bad_request`. */
export const problemKindOf = (status: number): string =>
  PROBLEM_KIND_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request');

/** The problem `type` URI of a kind: `urn:runledger:problem:<kind>`. */
export const problemType = (kind: string): string => `urn:runledger:problem:${kind}`;

/**
 * Base class. `status` is the HTTP status the API answers with (500: an unexpected error, logged
 * and answered without its message); `kind` the last segment of the problem `type`
 * (`urn:runledger:problem:<kind>`); `message` the problem `detail`.
 */
export class RunledgerError extends Error {
  override name = 'RunledgerError';
  /** Every offending field, when there are some (problem `errors[]`). */
  readonly errors: FieldError[] | undefined;
  /** Headers to send with the problem response. */
  readonly headers: Record<string, string> | undefined;
  /** The API answers `message` as the problem `detail` (false: a 500 answered `internal error`). */
  readonly expose: boolean;

  /**
   * @param message the problem `detail`.
   * @param status HTTP status. @defaultValue 500
   * @param kind problem kind. @defaultValue derived from `status` (`problemKindOf`)
   */
  constructor(
    message: string,
    readonly status: number = 500,
    readonly kind: string = problemKindOf(status),
    options: RunledgerErrorOptions = {},
  ) {
    super(message);
    this.errors = options.errors;
    this.headers = options.headers;
    this.expose = options.expose ?? status !== 500;
  }

  /** The problem `type` URI: `urn:runledger:problem:<kind>`. */
  get type(): string {
    return problemType(this.kind);
  }
}

/** 400 `validation`: bad input; `errors` lists every offending field. */
export class ValidationError extends RunledgerError {
  override name = 'ValidationError';
  constructor(message: string, errors?: FieldError[], options: { kind?: string } = {}) {
    super(message, 400, options.kind ?? 'validation', { errors });
  }
}

/** A `cursor` query parameter that this API did not hand out (400 `validation` at `cursor`). */
export class InvalidCursorError extends ValidationError {
  override name = 'InvalidCursorError';
  constructor() {
    super('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API handed out' }]);
  }
}

/**
 * Base class of the errors that are an HTTP status and nothing more: `new (message, errors?)`
 * answers `status` with its default kind (`problemKindOf`: 404 `not_found`, 409 `conflict`,
 * 413 `payload_too_large`), `message` as `detail` and the offending fields `errors`, if any.
 */
function statusErrorClass(status: number) {
  return class extends RunledgerError {
    constructor(message: string, errors?: FieldError[]) {
      super(message, status, problemKindOf(status), { errors });
    }
  };
}

/** 404 `not_found`: a thing (dataset, version, experiment, ...) that does not exist. */
export class NotFoundError extends statusErrorClass(404) {
  override name = 'NotFoundError';
}

/** The run does not exist (never created, deleted, or expired after its retention): 404. */
export class RunNotFoundError extends NotFoundError {
  override name = 'RunNotFoundError';
  constructor(readonly runId: string) {
    super(`run ${runId} not found`);
  }
}

/** 409 `conflict`: a write that the current state forbids. */
export class ConflictError extends statusErrorClass(409) {
  override name = 'ConflictError';
}

/** A write that the run's state forbids (e.g. committing a run twice): 409. */
export class RunStateError extends ConflictError {
  override name = 'RunStateError';
}

/** The run is terminal already (`completed`, `failed` or `cancelled`): 409. */
export class RunTerminalError extends RunStateError {
  override name = 'RunTerminalError';
  /**
   * @param runId the run.
   * @param runStatus its terminal status.
   */
  constructor(
    readonly runId: string,
    readonly runStatus: string,
  ) {
    super(`run ${runId} is already ${runStatus}`);
  }
}

/**
 * Why a dataset version could not be committed: `missing` (the dataset was deleted) is a 404,
 * `exists` (create of an existing id), `conflict` (another version was committed after the
 * base) and `incomplete` (staged items lost) are 409s.
 */
export class DatasetCommitError extends RunledgerError {
  override name = 'DatasetCommitError';
  constructor(
    readonly reason: 'exists' | 'missing' | 'conflict' | 'incomplete',
    message: string,
  ) {
    super(message, reason === 'missing' ? 404 : 409);
  }
}

/** 413 `payload_too_large`: too many items, an item or a body too large. */
export class PayloadTooLargeError extends statusErrorClass(413) {
  override name = 'PayloadTooLargeError';
}

/** 503 `unavailable`: a dependency (Redis) does not answer; the request may be retried. */
export class UnavailableError extends RunledgerError {
  override name = 'UnavailableError';
  /**
   * @param message the problem `detail`.
   * @param headers headers to send with it (e.g. `Retry-After` in seconds).
   */
  constructor(message: string, headers?: Record<string, string>) {
    super(message, 503, 'unavailable', { headers });
  }
}

/**
 * 500 `decryption_failed`: a value stored encrypted (./encryption.ts) could not be decrypted:
 * its key (`keyId`) is not in `RUNLEDGER_ENCRYPTION_KEYS`, or it was encrypted under another
 * key with that id, or it was altered. Answered with its message (`decryption failed (key
 * <kid>)`), never with the value.
 */
export class DecryptionError extends RunledgerError {
  override name = 'DecryptionError';
  constructor(readonly keyId: string) {
    super(`decryption failed (key ${keyId})`, 500, 'decryption_failed', { expose: true });
  }
}
