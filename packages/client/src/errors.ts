/**
 * `RunledgerApiError`: every error answer of the API (RFC 9457 problem+json, or anything else
 * that was not 2xx) becomes one of these.
 */
import type { FieldError } from './types.js';

/** The problem members the error carries; `errors[].path` is a dotted field path. */
export interface ProblemDetails {
  /** HTTP status. */
  status: number;
  /** A URI naming the problem kind (e.g. `urn:runledger:problem:validation`), `about:blank` if none. */
  type: string;
  title: string;
  detail: string | null;
  instance?: string;
  /** Field errors of a 400 (`path` like `dataset.items.3.input`). */
  errors: FieldError[];
}

/**
 * An error answer of the runledger API. `message` is one line: `title (status): detail; path:
 * message; ...` (a field error the detail already spells out is not repeated).
 * `retryAfterMs` is the answer's `Retry-After`, when it had one (ms).
 */
export class RunledgerApiError extends Error {
  override name = 'RunledgerApiError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | null;
  readonly instance: string | undefined;
  readonly errors: FieldError[];
  readonly retryAfterMs: number | undefined;

  constructor(problem: ProblemDetails, options: { retryAfterMs?: number } = {}) {
    super(RunledgerApiError.describe(problem));
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.errors = problem.errors;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The one-line message of `problem` (see the class). */
  static describe(problem: Pick<ProblemDetails, 'status' | 'title' | 'detail' | 'errors'>): string {
    const { status, title, detail, errors } = problem;
    const body = detail && detail !== title ? detail : '';
    const extra: string[] = [];
    for (const e of errors) {
      const text = e.path ? `${e.path}: ${e.message}` : e.message;
      if (!body.includes(text)) extra.push(text);
    }
    const text = [body, extra.join('; ')].filter(Boolean).join(': ');
    return text ? `${title} (${status}): ${text}` : `${title} (${status})`;
  }

  /**
   * Reads a non-2xx `response` (consuming its body) into an error: problem+json members when
   * the body is one, else the status text and up to 300 characters of the body as `detail`.
   */
  static async fromResponse(response: Response): Promise<RunledgerApiError> {
    const text = await response.text().catch(() => '');
    return RunledgerApiError.fromBody(response, parseJson(text), text);
  }

  /** Like `fromResponse`, from a body already read (`parsed`: its JSON, `text`: its text). */
  static fromBody(response: Response, parsed: unknown, text: string): RunledgerApiError {
    const body = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    const title =
      typeof body.title === 'string'
        ? body.title
        : response.statusText || `HTTP ${response.status}`;
    const detail =
      typeof body.detail === 'string'
        ? body.detail
        : !text || body.title
          ? null
          : text.slice(0, 300);
    const errors: FieldError[] = Array.isArray(body.errors)
      ? body.errors.map((e: unknown) => {
          const entry = (e ?? {}) as { path?: unknown; message?: unknown };
          const path = Array.isArray(entry.path) ? entry.path.join('.') : String(entry.path ?? '');
          return { path, message: String(entry.message ?? '') };
        })
      : [];
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    return new RunledgerApiError(
      {
        status: typeof body.status === 'number' ? body.status : response.status,
        type: typeof body.type === 'string' ? body.type : 'about:blank',
        title,
        detail,
        ...(typeof body.instance === 'string' ? { instance: body.instance } : {}),
        errors,
      },
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * A `Retry-After` header value (delay seconds or an HTTP date) as ms from now; undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
