/**
 * A small typed HTTP client for the runledger API (v1) over `fetch`: runs, results, cancel, delete
 * and the run's Server-Sent Events stream. Errors answered as RFC 9457 problem+json become an
 * `ApiError`; a server that cannot be reached becomes an `ApiUnreachableError`.
 */
import type {
  Compare,
  Dataset,
  EffectiveSummary,
  ErrorType,
  ExperimentReport,
  ExperimentSummary,
  Result,
  Run,
  RunStatus,
  ScoreSummary,
} from '@runledger/shared';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One dataset entry as sent to the API. `id` defaults (server side) to the item's index. */
export interface DatasetItem {
  id?: string;
  input: unknown;
  expectedOutput?: unknown;
  metadata?: Record<string, unknown>;
}

/** A reference to a target or scorer by name, with its optional config. */
export interface NamedRef {
  name: string;
  config?: Record<string, unknown>;
}

/** Everything of a run spec but its items (the first line of an NDJSON submission). Defaults are the server's. */
export interface RunSpecHeaderInput {
  name?: string;
  target: NamedRef;
  dataset?: { id?: string; version?: string };
  scorers?: NamedRef[];
  /** Per-item execution policy; times in ms, costs in USD. */
  execution?: {
    maxAttempts?: number;
    backoff?: { type?: 'fixed' | 'exponential'; delayMs?: number };
    timeoutMs?: number;
    /** Max items of this run in flight across all workers (fleet-wide). */
    concurrency?: number;
    /** The run ends `failed` once this many items failed. */
    maxFailures?: number;
    /** The run ends `failed` once its cost reaches this, USD. */
    maxCostUsd?: number;
    /** Accept a target no live worker serves yet (the run waits for one). */
    waitForWorkers?: boolean;
  };
  /** How long the finished run's keys live, seconds. */
  retention?: { ttlSeconds: number };
  tags?: string[];
  metadata?: Record<string, unknown>;
}

/**
 * A full run spec (the JSON body of `POST /v1/runs`): items inline, or, without `items`,
 * `dataset.id` (+ `version`, default the latest) names a stored dataset.
 */
export interface RunSpecInput extends Omit<RunSpecHeaderInput, 'dataset'> {
  dataset: { id?: string; version?: string; items?: DatasetItem[] };
}

/** The JSON body of `POST /v1/experiments` (defaults are the server's). */
export interface ExperimentSpecInput {
  name: string;
  /** A run spec's dataset: items inline (or a stored dataset reference, where the API has them). */
  dataset: { id?: string; version?: string; items?: DatasetItem[] };
  variants: { name: string; target: NamedRef; execution?: RunSpecHeaderInput['execution'] }[];
  scorers?: NamedRef[];
  execution?: RunSpecHeaderInput['execution'];
  /** Runs per variant. @defaultValue 1 */
  trials?: number;
  retention?: { ttlSeconds: number };
  tags?: string[];
}

/**
 * One field error of a 400/422 answer: `path` like `dataset.items.3.input`; `where` is a note the
 * CLI adds (e.g. `qa.jsonl line 4`) and prints after the path.
 */
export interface FieldError {
  path: string;
  message: string;
  where?: string;
}

/**
 * A scorer's summary on a run (`ScoreSummary`): `passRate = passed / totalItems` (items that
 * failed to execute or were cancelled count as not passed; THE pass rate the CLI prints and gates
 * on), `failed` (scored and did not pass), `errors` (items without this score),
 * `passRateOfScored = passed / (passed + failed)`. Rates in [0, 1], null when undefined.
 */
export type RunScoreSummary = ScoreSummary;

/** Failed items of a run grouped by `error.type`: their count and the first full message. */
export type ErrorTypeCount = ErrorType;

/**
 * A run as the API returns it (`Run`): with per-scorer pass rates (`scores`), failed items by
 * error type (`errorTypes`) and the ids of its reruns (`reruns`).
 */
export type RunDetails = Run;

/**
 * An experiment's summary (`ExperimentSummary`); `incomplete` is true when some of its runs no
 * longer exist (`missingRunIds`): its numbers then cover the remaining runs only.
 */
export type ExperimentDetails = ExperimentSummary;

/** One entry of `GET /v1/experiments` (no scores: read them with `getExperiment`). */
export interface ExperimentListEntry {
  id: string;
  name: string;
  createdAt: string;
  datasetId: string | null;
  datasetVersion: string | null;
  trials: number;
  variants: { name: string; target: NamedRef; runIds: string[] }[];
}

/** An error answer of the API (problem+json): HTTP `status`, `title`, `detail`, field errors. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | null,
    readonly errors: FieldError[] = [],
  ) {
    super(ApiError.describe(status, title, detail, errors));
  }

  /**
   * One line: `title (status): detail; path: message; ...`. A field error the detail already
   * spells out (`path: message`) is not repeated; its `where` note is put into the detail.
   */
  static describe(
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

/** A page of runs, newest first; `nextCursor` is null on the last page. */
export interface RunPage {
  runs: RunDetails[];
  nextCursor: string | null;
}

/**
 * A page of results in item order; `nextCursor` is null on the last page. With `effective`,
 * `effective` holds the counters and scores over the effective results.
 */
export interface ResultPage {
  results: Result[];
  nextCursor: string | null;
  effective?: EffectiveSummary;
}

/** Filters of `GET /v1/runs`. `since`/`until` are ISO-8601 times. */
export interface ListRunsOptions {
  status?: RunStatus;
  target?: string;
  datasetId?: string;
  tag?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

/** Filters of `GET /v1/runs/:id/results`. `limit` is the page size. */
export interface ListResultsOptions {
  status?: Result['status'];
  /** Per item, the latest result across the run and its reruns (`effective=true`). */
  effective?: boolean;
  limit?: number;
  cursor?: string;
}

/** One Server-Sent Event of a run: `event` is `status` or `progress`; `data` is parsed JSON. */
export interface RunStreamEvent {
  id: string | null;
  event: string;
  data: unknown;
}

/** Options of `createClient`. */
export interface ClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** API key, sent as `Authorization: Bearer <apiKey>` on every request. */
  apiKey?: string;
  /** The fetch implementation. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/** Options of the create-run calls. */
export interface CreateRunOptions {
  /** Sent as `Idempotency-Key`: the same key returns the same run. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** The typed client; see `createClient`. */
export class RunledgerClient {
  readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.headers = {
      ...options.headers,
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    };
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /**
   * `POST /v1/runs` with a JSON body.
   * @returns the created run (status `queued`).
   * @throws ApiError (400 with field errors on an invalid spec), ApiUnreachableError.
   */
  async createRun(spec: RunSpecInput, options: CreateRunOptions = {}): Promise<RunDetails> {
    return this.request<RunDetails>('POST', '/v1/runs', {
      body: JSON.stringify(spec),
      headers: { 'content-type': 'application/json', ...idempotency(options) },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /**
   * `POST /v1/runs` with an `application/x-ndjson` body streamed from `items`: the first line is
   * `header`, then one item a line. Nothing is buffered whole, so any dataset size works.
   * @returns the created run. @throws ApiError, ApiUnreachableError, or what `items` throws.
   */
  async createRunStream(
    header: RunSpecHeaderInput,
    items: AsyncIterable<DatasetItem> | Iterable<DatasetItem>,
    options: CreateRunOptions = {},
  ): Promise<RunDetails> {
    const encoder = new TextEncoder();
    let sourceError: unknown = null;
    async function* lines(): AsyncGenerator<Uint8Array> {
      yield encoder.encode(`${JSON.stringify(header)}\n`);
      let batch = '';
      for await (const item of items) {
        batch += `${JSON.stringify(item)}\n`;
        if (batch.length >= 64 * 1024) {
          yield encoder.encode(batch);
          batch = '';
        }
      }
      if (batch) yield encoder.encode(batch);
    }
    const iterator = lines();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (err) {
          sourceError = err;
          controller.error(err);
        }
      },
      async cancel() {
        await iterator.return(undefined);
      },
    });
    try {
      return await this.request<RunDetails>('POST', '/v1/runs', {
        body,
        duplex: 'half',
        headers: { 'content-type': 'application/x-ndjson', ...idempotency(options) },
        ...(options.signal ? { signal: options.signal } : {}),
      } as RequestInit);
    } catch (err) {
      throw sourceError ?? err;
    }
  }

  /** `GET /v1/runs/:id`. @throws ApiError (404 when the run does not exist or expired). */
  async getRun(runId: string): Promise<RunDetails> {
    return this.request<RunDetails>('GET', `/v1/runs/${encodeURIComponent(runId)}`);
  }

  /** `GET /v1/runs`: one page of runs, newest first. */
  async listRuns(options: ListRunsOptions = {}): Promise<RunPage> {
    return this.request<RunPage>('GET', `/v1/runs${query({ ...options })}`);
  }

  /** One page of `GET /v1/runs/:id/results`. */
  async listResultsPage(runId: string, options: ListResultsOptions = {}): Promise<ResultPage> {
    const { effective, ...rest } = options;
    return this.request<ResultPage>(
      'GET',
      `/v1/runs/${encodeURIComponent(runId)}/results${query({ ...rest, ...(effective ? { effective: 'true' } : {}) })}`,
    );
  }

  /**
   * Every page of a run's results, in item order, following `nextCursor` from `options.cursor`
   * to the end. @throws ApiError.
   */
  async *listResults(runId: string, options: ListResultsOptions = {}): AsyncGenerator<ResultPage> {
    let cursor = options.cursor;
    for (;;) {
      const page = await this.listResultsPage(runId, {
        ...options,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      yield page;
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }

  /** `POST /v1/runs/:id/cancel`: returns the run (status `cancelled`, or its terminal status). */
  async cancelRun(runId: string): Promise<RunDetails> {
    return this.request<RunDetails>('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
  }

  /** `DELETE /v1/runs/:id` (204). @throws ApiError 404 when the run does not exist. */
  async deleteRun(runId: string): Promise<void> {
    await this.request<null>('DELETE', `/v1/runs/${encodeURIComponent(runId)}`);
  }

  /**
   * `POST /v1/experiments`: one run per variant and trial over one dataset.
   * @returns the experiment's summary (status `running`). @throws ApiError (400 with field errors).
   */
  async createExperiment(spec: ExperimentSpecInput): Promise<ExperimentSummary> {
    return this.request<ExperimentSummary>('POST', '/v1/experiments', jsonBody(spec));
  }

  /** `GET /v1/experiments/:id`: the side-by-side summary. @throws ApiError (404). */
  async getExperiment(experimentId: string): Promise<ExperimentDetails> {
    return this.request<ExperimentDetails>(
      'GET',
      `/v1/experiments/${encodeURIComponent(experimentId)}`,
    );
  }

  /** `GET /v1/experiments`: one page of the project's experiments, newest first. */
  async listExperiments(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ experiments: ExperimentListEntry[]; nextCursor: string | null }> {
    return this.request('GET', `/v1/experiments${query({ ...options })}`);
  }

  /** `DELETE /v1/experiments/:id` (204): the experiment and every run of it. @throws ApiError (404). */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.request<null>('DELETE', `/v1/experiments/${encodeURIComponent(experimentId)}`);
  }

  /** `GET /v1/experiments/:id/report`: the summary plus one row per item. @throws ApiError (404). */
  async getExperimentReport(experimentId: string): Promise<ExperimentReport> {
    return this.request<ExperimentReport>(
      'GET',
      `/v1/experiments/${encodeURIComponent(experimentId)}/report`,
    );
  }

  /**
   * `GET /v1/runs/:a/compare/:b`: item by item, b against a.
   * @throws ApiError (404 unknown run, 409 different dataset versions, 400 scorer not on both).
   */
  async compareRuns(
    a: string,
    b: string,
    options: { scorer?: string; seed?: number } = {},
  ): Promise<Compare> {
    return this.request<Compare>(
      'GET',
      `/v1/runs/${encodeURIComponent(a)}/compare/${encodeURIComponent(b)}${query({ ...options })}`,
    );
  }

  /**
   * `POST /v1/datasets`: a new dataset with version 1.
   * @throws ApiError (400 field errors at `items.N...`, 409 the id exists, 413 too many/large items).
   */
  async createDataset(body: { id?: string; name: string; items: DatasetItem[] }): Promise<Dataset> {
    return this.request<Dataset>('POST', '/v1/datasets', jsonBody(body));
  }

  /**
   * `POST /v1/datasets/:id/items`: a new version, the latest items plus `items` (`append`) or
   * `items` only (`replace`). @throws ApiError (404, 400 duplicate ids, 409 changed meanwhile).
   */
  async addDatasetItems(
    datasetId: string,
    body: { items: DatasetItem[]; mode: 'append' | 'replace'; name?: string },
  ): Promise<Dataset> {
    return this.request<Dataset>(
      'POST',
      `/v1/datasets/${encodeURIComponent(datasetId)}/items`,
      jsonBody(body),
    );
  }

  /** `GET /v1/datasets`: one page of the project's datasets, oldest first. */
  async listDatasets(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ datasets: Dataset[]; nextCursor: string | null }> {
    return this.request('GET', `/v1/datasets${query({ ...options })}`);
  }

  /** `GET /v1/datasets/:id`: meta and versions. @throws ApiError (404). */
  async getDataset(datasetId: string): Promise<Dataset> {
    return this.request<Dataset>('GET', `/v1/datasets/${encodeURIComponent(datasetId)}`);
  }

  /** `DELETE /v1/datasets/:id` (204). @throws ApiError (404). */
  async deleteDataset(datasetId: string): Promise<void> {
    await this.request<null>('DELETE', `/v1/datasets/${encodeURIComponent(datasetId)}`);
  }

  /**
   * `POST /v1/runs/:id/rerun`: a new run over the failed (`failed` or `cancelled`) or all items.
   * @throws ApiError (409 the run is still going, 400 nothing failed, 404).
   */
  async rerun(runId: string, only: 'failed' | 'all'): Promise<RunDetails> {
    return this.request<RunDetails>(
      'POST',
      `/v1/runs/${encodeURIComponent(runId)}/rerun`,
      jsonBody({ only }),
    );
  }

  /**
   * `GET /v1/runs/:id/results.{csv,jsonl}`: the export as a byte stream (read it to the end).
   * @throws ApiError (404).
   */
  async exportResults(runId: string, format: 'csv' | 'jsonl'): Promise<ReadableStream<Uint8Array>> {
    const response = await this.sendOk(
      'GET',
      `/v1/runs/${encodeURIComponent(runId)}/results.${format}`,
    );
    return response.body ?? new ReadableStream({ start: (c) => c.close() });
  }

  /**
   * `GET /v1/runs/:id/events`: the run's events as they happen (`status`, `progress`), until the
   * server ends the stream (after a terminal status) or `options.signal` aborts (then the
   * iterator just ends). `lastEventId` resumes after that event.
   * @throws ApiError when the stream cannot be opened.
   */
  async *events(
    runId: string,
    options: { lastEventId?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<RunStreamEvent> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
    const response = await this.sendOk('GET', `/v1/runs/${encodeURIComponent(runId)}/events`, {
      headers,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.body) return;
    const queue: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (message) => queue.push(message) });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (options.signal?.aborted) return;
          throw err;
        }
        if (chunk.done) break;
        parser.feed(decoder.decode(chunk.value, { stream: true }));
        while (queue.length > 0) yield toStreamEvent(queue.shift()!);
      }
      parser.feed(decoder.decode());
      while (queue.length > 0) yield toStreamEvent(queue.shift()!);
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  private async send(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    try {
      return await this.fetchImpl(url, {
        ...init,
        method,
        headers: { ...this.headers, ...(init.headers as Record<string, string> | undefined) },
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiUnreachableError(this.baseUrl, err);
    }
  }

  /** `send`, throwing the answer as an `ApiError` when it is not 2xx. */
  private async sendOk(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const response = await this.send(method, path, init);
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  private async request<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.sendOk(method, path, {
      ...init,
      headers: { accept: 'application/json', ...(init.headers as Record<string, string>) },
    });
    if (response.status === 204) return null as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as T;
  }
}

/** Creates a client for the API at `options.baseUrl` (see `RunledgerClient`). */
export function createClient(options: ClientOptions): RunledgerClient {
  return new RunledgerClient(options);
}

/** A JSON request body with its content type. */
function jsonBody(value: unknown): RequestInit {
  return { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } };
}

function idempotency(options: CreateRunOptions): Record<string, string> {
  return options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function toStreamEvent(message: EventSourceMessage): RunStreamEvent {
  let data: unknown = message.data;
  try {
    data = JSON.parse(message.data);
  } catch {
    // not JSON: keep the text
  }
  return { id: message.id ?? null, event: message.event ?? 'message', data };
}

/** Reads a problem+json (or any) error answer into an `ApiError`. */
async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // not JSON
  }
  const title =
    typeof body.title === 'string' ? body.title : response.statusText || `HTTP ${response.status}`;
  const detail =
    typeof body.detail === 'string' ? body.detail : !text || body.title ? null : text.slice(0, 300);
  const errors: FieldError[] = Array.isArray(body.errors)
    ? body.errors.map((e: unknown) => {
        const entry = (e ?? {}) as { path?: unknown; message?: unknown };
        const path = Array.isArray(entry.path) ? entry.path.join('.') : String(entry.path ?? '');
        return { path, message: String(entry.message ?? '') };
      })
    : [];
  return new ApiError(response.status, title, detail, errors);
}
