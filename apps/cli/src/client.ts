/**
 * The CLI's side of `@runledger/client`: `createClient` builds the typed client with the CLI's
 * network error (`ApiUnreachableError`, saying how to start the API), `ApiError` adds the file
 * line of a bad item (`where`) to an API error's message, and the CLI's names for the client's
 * generated types (no request or response type is declared here).
 */
import {
  type ClientOptions,
  createClient as createRunledgerClient,
  type ExperimentSpec,
  type ExperimentSummary,
  type Item,
  type FieldError as ProblemFieldError,
  type Run,
  RunledgerApiError,
  type RunledgerClient,
  type RunSpec,
  type RunSpecHeader,
  type ScoreSummary,
  type TargetRef,
} from '@runledger/client';

export {
  type Compare,
  configLines,
  type Dataset,
  type DatasetChange,
  differenceLines,
  differencePairs,
  type EffectiveSummary,
  type ExperimentReport,
  type ExperimentSummary,
  type Result,
  type Run,
  RunledgerApiError,
  type RunledgerClient,
  type RunStatus,
  runTimeLeft,
  TERMINAL_STATUSES,
  targetLabel,
  unpricedNote,
} from '@runledger/client';

/**
 * `fields` without those not given (undefined, or an empty string as commander leaves an option
 * given empty): the optional fields of a client call, from a command's options (the client's
 * types take a missing field, not an undefined one).
 */
export function givenFields<T extends Record<string, unknown>>(
  fields: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined && value !== ''),
  ) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** One dataset entry as sent to the API (`Item`). `id` defaults (server side) to the item's index. */
export type DatasetItem = Item;

/** A reference to a target or scorer by name, with its optional config. */
export type NamedRef = TargetRef;

/** A run spec without its items (the first line of an NDJSON submission). */
export type RunSpecHeaderInput = RunSpecHeader;

/** The JSON body of `POST /v1/runs`. */
export type RunSpecInput = RunSpec;

/** The JSON body of `POST /v1/experiments`. */
export type ExperimentSpecInput = ExperimentSpec;

/** A run as the API returns it (`Run`). */
export type RunDetails = Run;

/** A scorer's summary on a run (`passRate = passed / totalItems`: THE pass rate the CLI prints). */
export type RunScoreSummary = ScoreSummary;

/** An experiment's summary; `incomplete` when some of its runs no longer exist (`missingRunIds`). */
export type ExperimentDetails = ExperimentSummary;

/**
 * One field error of a 400/422 answer: `path` like `dataset.items.3.input`; `where` is a note the
 * CLI adds (e.g. `qa.jsonl line 4`) and prints after the path.
 */
export interface FieldError extends ProblemFieldError {
  where?: string;
}

/**
 * An API error the CLI re-reads (e.g. with the file line of each bad item): a
 * `RunledgerApiError` whose message shows `path (where): message`. Catch `RunledgerApiError`:
 * the client throws that.
 */
export class ApiError extends RunledgerApiError {
  override name = 'ApiError';
  constructor(status: number, title: string, detail: string | null, errors: FieldError[] = []) {
    super({ status, type: 'about:blank', title, detail, errors });
    this.message = ApiError.describeWhere(status, title, detail, errors);
  }

  /**
   * One line: `title (status): detail; path: message; ...`. A field error the detail already
   * spells out (`path: message`) is not repeated; its `where` note is put into the detail.
   */
  static describeWhere(
    status: number,
    title: string,
    detail: string | null,
    errors: FieldError[],
  ): string {
    let body = detail && detail !== title ? detail : '';
    const extra: string[] = [];
    for (const e of errors) {
      const plain = e.path ? `${e.path}: ${e.message}` : e.message;
      const shown = e.path && e.where ? `${e.path} (${e.where}): ${e.message}` : plain;
      if (body.includes(plain)) body = body.replace(plain, shown);
      // a detail that is this error's message alone: said once, with its path
      else if (e.path && body === e.message) body = shown;
      else if (!body.includes(shown)) extra.push(shown);
    }
    const text = [body, extra.join('; ')].filter(Boolean).join(': ');
    return text ? `${title} (${status}): ${text}` : `${title} (${status})`;
  }
}

/** The API did not answer at all (connection refused, DNS, timeout). */
export class ApiUnreachableError extends Error {
  override name = 'ApiUnreachableError';
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(
      `cannot reach the runledger API at ${url} (${causeCode(cause)}): start it with "runledger start" or set RUNLEDGER_URL`,
      { cause },
    );
  }
}

function causeCode(err: unknown): string {
  let e: unknown = err;
  let deepest = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (e instanceof Error) deepest = e.message;
    e = (e as { cause?: unknown }).cause;
  }
  return deepest;
}

/**
 * `@runledger/client`'s `createClient` (retries included) whose network errors are
 * `ApiUnreachableError`s naming `options.baseUrl`; aborts stay aborts.
 */
export function createClient(options: ClientOptions & { baseUrl: string }): RunledgerClient {
  const base = options.fetch ?? globalThis.fetch;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  return createRunledgerClient({
    ...options,
    fetch: async (input, init) => {
      try {
        return await base(input, init);
      } catch (err) {
        const name = (err as { name?: string })?.name;
        if (name === 'AbortError' || name === 'TimeoutError') throw err;
        throw new ApiUnreachableError(baseUrl, err);
      }
    },
  });
}

/**
 * `err` with the file line of each `dataset.items.N...` (a run) or `items.N...` (a dataset version)
 * field error as its `where` (`qa.csv line 7`), so the user finds the bad item; `lines[N]` is the
 * file line of item N.
 */
export function withFileLines(
  err: RunledgerApiError,
  file: string,
  lines: number[],
): RunledgerApiError {
  if (err.errors.length === 0) return err;
  let mapped = 0;
  const errors = err.errors.map((e) => {
    const match = /^dataset\.items\.(\d+)(\.|$)/.exec(e.path) ?? /^items\.(\d+)(\.|$)/.exec(e.path);
    const line = match ? lines[Number(match[1])] : undefined;
    if (line === undefined) return e;
    mapped++;
    // the line of the file, not the request body's line the API names (`line 3: `, ` (line 3)`)
    const message = e.message.replace(/^line \d+: /, '').replace(/ \(line \d+\)$/, '');
    return { ...e, message, where: `${file} line ${line}` };
  });
  // every error has its file line: the detail (the same errors, with body lines) says no more
  const detail = mapped === errors.length ? null : err.detail;
  return new ApiError(err.status, err.title, detail, errors);
}
