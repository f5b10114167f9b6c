/**
 * `createClient`: the typed runledger client. Plain calls go through openapi-fetch typed by the
 * generated `paths`; streaming submissions, SSE, waiting, paging and exports are built on top.
 * Fetch-based (Node 20+ and browsers); no node: imports.
 */
import createFetchClient, { type Client as FetchClient } from 'openapi-fetch';
import { RunledgerApiError } from './errors.js';
import { iterateRunEvents, type RunEventsOptions, TERMINAL_STATUSES } from './events.js';
import type { paths } from './generated/openapi.js';
import { type RetryOptions, withRetries } from './retry.js';
import type {
  AddDatasetItems,
  AddDatasetItemsHeader,
  AggregateRunsQuery,
  ApiKeyList,
  AuditList,
  AuditQuery,
  CleanupResult,
  CleanupRuns,
  Compare,
  CompareQuery,
  CreateApiKey,
  CreateDataset,
  CreateDatasetHeader,
  CreatedApiKey,
  Dataset,
  DatasetChange,
  DatasetItemList,
  DatasetList,
  ExperimentList,
  ExperimentReport,
  ExperimentSpec,
  ExperimentSummary,
  Item,
  ItemRequest,
  LatencyHistogram,
  LatencyQuery,
  ListDatasetItemsQuery,
  ListDatasetsQuery,
  ListExperimentsQuery,
  ListResultsQuery,
  ListRunsQuery,
  ProgressEventData,
  QueueList,
  QueuesQuery,
  Readiness,
  RerunSpec,
  Result,
  ResultList,
  Run,
  RunAggregate,
  RunEvent,
  RunList,
  RunSpec,
  RunSpecHeader,
  WorkerList,
} from './types.js';

/** The base URL used when neither `baseUrl` nor `RUNLEDGER_URL` is given. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';

/** Options of `createClient`. */
export interface ClientOptions {
  /** The API's base URL. @defaultValue `RUNLEDGER_URL`, else `http://127.0.0.1:3000` */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <apiKey>`. @defaultValue `RUNLEDGER_API_KEY`, else none */
  apiKey?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** The fetch implementation. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** Retries of idempotent calls on 429/503/network errors; `false`: none. @defaultValue {} */
  retry?: RetryOptions | false;
}

/** Options of `runs.create` and `runs.createStream`. */
export interface CreateRunOptions {
  /**
   * Sent as `Idempotency-Key`: the same key returns the same run; with it, `runs.create` is
   * retried on 429/503/network errors (a stream is sent once).
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** Options of `runs.wait`. */
export interface WaitOptions {
  /** Called on every `progress` event (items done of total, by status). */
  onProgress?: (progress: ProgressEventData) => void;
  /** Stops waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** How the event stream reconnects; see `RunEventsOptions.reconnect`. */
  reconnect?: RunEventsOptions['reconnect'];
}

/** Options of `runs.results` and `runs.resultPages`. */
export interface ResultsOptions extends ListResultsQuery {
  signal?: AbortSignal;
}

/** Reads an environment variable where there is one (Node); undefined in browsers. */
function readEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === undefined || value === '' ? undefined : value;
}

/** What an openapi-fetch call resolves to. */
type Answer = { data?: unknown; error?: unknown; response: Response };

/**
 * Throws the error answer as a `RunledgerApiError`; returns the data of a 2xx answer, typed as
 * the generated schema (`T`, from the caller's declared return type).
 */
function unwrap<T>(answer: Answer): T {
  const { response } = answer;
  if (!response.ok) {
    const text = typeof answer.error === 'string' ? answer.error : '';
    throw RunledgerApiError.fromBody(response, answer.error, text);
  }
  return answer.data as T;
}

function path(id: string): string {
  return encodeURIComponent(id);
}

/**
 * The runledger client: `runs`, `experiments`, `datasets`, `workers`, `audit`, `keys`, and `raw` (the typed
 * openapi-fetch client, for any route as the OpenAPI document describes it).
 * Every call throws `RunledgerApiError` on an error answer, and fetch's own error (e.g. a
 * `TypeError` "fetch failed") when the API cannot be reached after the retries.
 */
export class RunledgerClient {
  /** The API's base URL, without a trailing slash. */
  readonly baseUrl: string;
  /** The typed openapi-fetch client (retries and auth included; answers unwrapped by you). */
  readonly raw: FetchClient<paths>;
  private readonly headers: Record<string, string>;
  private readonly baseFetch: (request: Request) => Promise<Response>;
  private readonly retryingFetch: (request: Request) => Promise<Response>;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? readEnv('RUNLEDGER_URL') ?? DEFAULT_BASE_URL).replace(
      /\/+$/,
      '',
    );
    const apiKey = options.apiKey ?? readEnv('RUNLEDGER_API_KEY');
    this.headers = {
      ...options.headers,
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    };
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.baseFetch = (request) => fetchImpl(request);
    this.retryingFetch = withRetries(this.baseFetch, options.retry ?? {});
    this.raw = createFetchClient<paths>({
      baseUrl: this.baseUrl,
      headers: this.headers,
      fetch: this.retryingFetch,
    });
  }

  /** Runs: submit, read, follow, page results, export, cancel, delete, rerun, compare. */
  readonly runs = {
    /**
     * `POST /v1/runs` with a JSON body.
     * @returns the created run (status `queued`); the same run again for a repeated
     *   `idempotencyKey`. @throws RunledgerApiError (400 with field paths on an invalid spec).
     */
    create: async (spec: RunSpec, options: CreateRunOptions = {}): Promise<Run> =>
      unwrap(
        await this.raw.POST('/v1/runs', {
          body: spec,
          ...(options.idempotencyKey
            ? { headers: { 'idempotency-key': options.idempotencyKey } }
            : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      ),

    /**
     * `POST /v1/runs` with an `application/x-ndjson` body streamed from `items`: the first line
     * is `header`, then one item a line. `items` is pulled only as the request body is sent
     * (about 64 KiB at a time), so a dataset of any size is never held in memory. Sent once
     * (a stream cannot be replayed), never retried.
     * @returns the created run. @throws RunledgerApiError, what `items` throws, fetch's error.
     */
    createStream: async (
      header: RunSpecHeader,
      items: AsyncIterable<Item> | Iterable<Item>,
      options: CreateRunOptions = {},
    ): Promise<Run> =>
      this.postNdjson<Run>('/v1/runs', header, items, {
        ...(options.idempotencyKey
          ? { headers: { 'idempotency-key': options.idempotencyKey } }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      }),

    /** `GET /v1/runs/:id`. @throws RunledgerApiError (404: unknown or expired). */
    get: async (id: string): Promise<Run> =>
      unwrap(await this.raw.GET('/v1/runs/{id}', { params: { path: { id } } })),

    /**
     * `GET /v1/runs`: one page of runs, newest first. With filters (`q`: substring of the name
     * or id, case-insensitive) a page may be short, even empty, with a `nextCursor`: one request
     * inspects at most 2,000 runs; follow `nextCursor` until it is null.
     */
    list: async (query: ListRunsQuery = {}): Promise<RunList> =>
      unwrap(await this.raw.GET('/v1/runs', { params: { query } })),

    /**
     * `GET /v1/runs/aggregate`: totals over the runs matching the list's filters (`status`,
     * `target`, `datasetId`, `tag`, `q`, `since`, `until`): runs, items, tokens, cost (USD),
     * average duration (ms) of finished runs, items-weighted pass rate per scorer; the same per
     * target (`byTarget`) and model (`byModel`). At most 10,000 runs, newest first
     * (`truncated: true` beyond). @throws RunledgerApiError (400 bad filter).
     * @example const { totals } = await client.runs.aggregate({ target: 'openai', q: 'nightly' });
     */
    aggregate: async (query: AggregateRunsQuery = {}): Promise<RunAggregate> =>
      unwrap(await this.raw.GET('/v1/runs/aggregate', { params: { query } })),

    /** `POST /v1/runs/:id/cancel`: the run (status `cancelled`, or the terminal status it had). */
    cancel: async (id: string): Promise<Run> =>
      unwrap(await this.raw.POST('/v1/runs/{id}/cancel', { params: { path: { id } } })),

    /** `DELETE /v1/runs/:id` (204). @throws RunledgerApiError (404). */
    delete: async (id: string): Promise<void> => {
      unwrap(await this.raw.DELETE('/v1/runs/{id}', { params: { path: { id } } }));
    },

    /**
     * `POST /v1/runs/cleanup`: deletes the finished runs of the key's project that finished
     * longer ago than `olderThan` (e.g. `30d`), optionally of one `status`, `target` or
     * `datasetId`; with `dryRun: true` only lists them. Needs an admin key.
     * @returns `{ dryRun, before (ISO), count, runs: [{ id, name, status, target, datasetId,
     *   completedAt }] }`. @throws RunledgerApiError (400 bad duration, 403 role).
     */
    cleanup: async (body: CleanupRuns): Promise<CleanupResult> =>
      unwrap(await this.raw.POST('/v1/runs/cleanup', { body })),

    /**
     * `GET /v1/runs/:id/snapshot`: a finished run as one NDJSON document (the run, every
     * result with its item, the events with their ids, a last `digest` line: SHA-256 over the
     * lines before it), as text. Two snapshots of one run are byte-identical.
     * @throws RunledgerApiError (404, 409 while the run is queued or running).
     */
    snapshot: async (id: string): Promise<string> => {
      const response = await this.retryingFetch(
        new Request(`${this.baseUrl}/v1/runs/${path(id)}/snapshot`, { headers: this.headers }),
      );
      if (!response.ok) throw await RunledgerApiError.fromResponse(response);
      return response.text();
    },

    /**
     * `POST /v1/runs/import`: restores a run from `snapshot` (the text `snapshot` returned) under
     * its id, with the same counters, results, scores, latency and events; its retention starts
     * again. Needs an admin key of the run's project. Sent once (not retried).
     * @returns the restored run. @throws RunledgerApiError (400 truncated, tampered or malformed:
     *   nothing written; 409 the run exists; 413 too large).
     */
    import: async (snapshot: string): Promise<Run> => {
      const response = await this.baseFetch(
        new Request(`${this.baseUrl}/v1/runs/import`, {
          method: 'POST',
          body: snapshot,
          headers: {
            ...this.headers,
            accept: 'application/json',
            'content-type': 'application/x-ndjson',
          },
        }),
      );
      if (!response.ok) throw await RunledgerApiError.fromResponse(response);
      return (await response.json()) as Run;
    },

    /**
     * `POST /v1/runs/:id/rerun`: a new run over the failed (`failed`/`cancelled`) or all items.
     * @throws RunledgerApiError (409 still going, 400 nothing to rerun, 404).
     */
    rerun: async (id: string, spec: RerunSpec = {}): Promise<Run> =>
      unwrap(await this.raw.POST('/v1/runs/{id}/rerun', { params: { path: { id } }, body: spec })),

    /** `POST /v1/runs/:id/replay`: a new run over every item (a regression check). */
    replay: async (id: string): Promise<Run> =>
      unwrap(await this.raw.POST('/v1/runs/{id}/replay', { params: { path: { id } } })),

    /**
     * `GET /v1/runs/:a/compare/:b`: item by item, b against a.
     * @throws RunledgerApiError (404, 409 different dataset versions, 400 scorer not on both).
     */
    compare: async (a: string, b: string, query: CompareQuery = {}): Promise<Compare> =>
      unwrap(await this.raw.GET('/v1/runs/{a}/compare/{b}', { params: { path: { a, b }, query } })),

    /** `GET /v1/runs/:id/latency`: counts of the run's items per latency bucket. @throws RunledgerApiError (404). */
    latency: async (id: string, query: LatencyQuery = {}): Promise<LatencyHistogram> =>
      unwrap(await this.raw.GET('/v1/runs/{id}/latency', { params: { path: { id }, query } })),

    /**
     * `GET /v1/runs/:id/items/:index/request`: what item `index` of an `openai` run sends the
     * model (URL and JSON body as attempt 1 sends them; no headers).
     * @throws RunledgerApiError (404: no such run or item, or the target is not `openai`; 409:
     *   the item's templates cannot be rendered).
     */
    itemRequest: async (id: string, index: number): Promise<ItemRequest> =>
      unwrap(
        await this.raw.GET('/v1/runs/{id}/items/{index}/request', {
          params: { path: { id, index } },
        }),
      ),

    /**
     * One page of `GET /v1/runs/:id/results` (`cursor` from the previous page, with the same
     * `sort`). `q`: case-insensitive substring of the item id, input, output, expected output or
     * error message (a bounded scan: a page may be short, even empty, with a `nextCursor`);
     * `sort`: `latency`, `-latency`, `score:<scorer>`, `-score:<scorer>` (on a run still in
     * flight the score and latency orders are refreshed at most every 5 s: they may lag the newest
     * results);
     * `scorer` + `passed`: only results that passed (`true`) or did not pass (`false`, also
     * those without that scorer's score) the scorer.
     * @example await client.runs.resultsPage(runId, { scorer: 'exact_match', passed: false })
     * @throws RunledgerApiError (400 bad sort / cursor / unknown scorer / `scorer` without
     *   `passed` or the reverse, 404).
     */
    resultsPage: async (id: string, query: ListResultsQuery = {}): Promise<ResultList> => {
      const { effective, passed, ...rest } = query;
      return unwrap(
        await this.raw.GET('/v1/runs/{id}/results', {
          params: {
            path: { id },
            query: {
              ...rest,
              ...(effective !== undefined ? { effective: `${effective}` } : {}),
              ...(passed !== undefined ? { passed: passed ? 'true' : 'false' } : {}),
            },
          },
        }),
      );
    },

    /**
     * Every page of a run's results in item order, following `nextCursor` from
     * `options.cursor` to the last page. @throws RunledgerApiError.
     */
    resultPages: (id: string, options: ResultsOptions = {}): AsyncGenerator<ResultList> =>
      this.pages(id, options),

    /** Every result of a run in item order, across all pages (see `resultPages`). */
    results: (id: string, options: ResultsOptions = {}): AsyncGenerator<Result> =>
      this.allResults(id, options),

    /**
     * `GET /v1/runs/:id/results.csv` or `.jsonl`: the whole export as a byte stream, read as it
     * arrives. @throws RunledgerApiError (404).
     */
    export: async (id: string, format: 'csv' | 'jsonl'): Promise<ReadableStream<Uint8Array>> => {
      const response = await this.retryingFetch(
        new Request(`${this.baseUrl}/v1/runs/${path(id)}/results.${format}`, {
          headers: this.headers,
        }),
      );
      if (!response.ok) throw await RunledgerApiError.fromResponse(response);
      return response.body ?? new ReadableStream({ start: (c) => c.close() });
    },

    /**
     * `GET /v1/runs/:id/events`: typed `status`/`progress` events as they happen; after a
     * dropped connection it reconnects with `Last-Event-ID` (backoff), and it ends after the
     * terminal status (or quietly when `signal` aborts).
     * @throws RunledgerApiError (404), the last network error after `reconnect.giveUpAfterMs`.
     */
    events: (id: string, options: RunEventsOptions = {}): AsyncGenerator<RunEvent> =>
      iterateRunEvents(async (lastEventId, signal) => {
        const response = await this.retryingFetch(
          new Request(`${this.baseUrl}/v1/runs/${path(id)}/events`, {
            headers: {
              ...this.headers,
              accept: 'text/event-stream',
              ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
            },
            ...(signal ? { signal } : {}),
          }),
        );
        if (!response.ok) throw await RunledgerApiError.fromResponse(response);
        return response;
      }, options),

    /**
     * Follows the run's events until its terminal status, calling `onProgress` per `progress`
     * event. @returns the run as fetched after its terminal status.
     * @throws RunledgerApiError (404), the signal's reason when it aborts, network errors.
     */
    wait: async (id: string, options: WaitOptions = {}): Promise<Run> => {
      const { signal } = options;
      const first = await this.runs.get(id);
      if (TERMINAL_STATUSES.includes(first.status)) return first;
      for await (const event of this.runs.events(id, {
        ...(signal ? { signal } : {}),
        ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
      })) {
        if (event.event === 'progress') options.onProgress?.(event.data);
      }
      signal?.throwIfAborted();
      return this.runs.get(id);
    },
  };

  /** Experiments: a batch of runs (one per variant and trial) over one dataset. */
  readonly experiments = {
    /** `POST /v1/experiments`. @returns its summary. @throws RunledgerApiError (400 field paths). */
    create: async (spec: ExperimentSpec): Promise<ExperimentSummary> =>
      unwrap(await this.raw.POST('/v1/experiments', { body: spec })),
    /** `GET /v1/experiments/:id`: the side-by-side summary. @throws RunledgerApiError (404). */
    get: async (id: string): Promise<ExperimentSummary> =>
      unwrap(await this.raw.GET('/v1/experiments/{id}', { params: { path: { id } } })),
    /** `GET /v1/experiments`: one page, newest first. */
    list: async (query: ListExperimentsQuery = {}): Promise<ExperimentList> =>
      unwrap(await this.raw.GET('/v1/experiments', { params: { query } })),
    /** `DELETE /v1/experiments/:id` (204): the experiment and its runs. */
    delete: async (id: string): Promise<void> => {
      unwrap(await this.raw.DELETE('/v1/experiments/{id}', { params: { path: { id } } }));
    },
    /** `GET /v1/experiments/:id/report`: the summary plus one row per item. */
    report: async (id: string): Promise<ExperimentReport> =>
      unwrap(await this.raw.GET('/v1/experiments/{id}/report', { params: { path: { id } } })),
  };

  /** Datasets: stored, versioned item lists. */
  readonly datasets = {
    /** `POST /v1/datasets`: version 1. @throws RunledgerApiError (400, 409 id exists, 413). */
    create: async (body: CreateDataset): Promise<DatasetChange> =>
      unwrap(await this.raw.POST('/v1/datasets', { body })),
    /**
     * `POST /v1/datasets` as `application/x-ndjson` streamed from `items` (line 1 `header`, the
     * body without items): a dataset of any size (up to the API's `RUNLEDGER_MAX_ITEMS`), never
     * held in memory, sent once, never retried. Errors name the item (`items.N`) and its line.
     * @throws RunledgerApiError (400, 409 id exists, 413), what `items` throws.
     */
    createStream: async (
      header: CreateDatasetHeader,
      items: AsyncIterable<Item> | Iterable<Item>,
    ): Promise<DatasetChange> => this.postNdjson<DatasetChange>('/v1/datasets', header, items),
    /** `GET /v1/datasets/:id`: meta and versions. */
    get: async (id: string): Promise<Dataset> =>
      unwrap(await this.raw.GET('/v1/datasets/{id}', { params: { path: { id } } })),
    /** `GET /v1/datasets`: one page. */
    list: async (query: ListDatasetsQuery = {}): Promise<DatasetList> =>
      unwrap(await this.raw.GET('/v1/datasets', { params: { query } })),
    /** `DELETE /v1/datasets/:id` (204). */
    delete: async (id: string): Promise<void> => {
      unwrap(await this.raw.DELETE('/v1/datasets/{id}', { params: { path: { id } } }));
    },
    /**
     * `POST /v1/datasets/:id/items`: a new version (`append` to or `replace` the latest items).
     * @throws RunledgerApiError (404, 400 duplicate ids, 409 changed meanwhile).
     */
    addItems: async (id: string, body: AddDatasetItems): Promise<DatasetChange> =>
      unwrap(await this.raw.POST('/v1/datasets/{id}/items', { params: { path: { id } }, body })),
    /**
     * `POST /v1/datasets/:id/items` as `application/x-ndjson` streamed from `items` (line 1
     * `header`: `mode`, `name`, `privacy`), like `createStream`.
     * @throws RunledgerApiError (404, 400 duplicate ids, 409 changed meanwhile, 413).
     */
    addItemsStream: async (
      id: string,
      header: AddDatasetItemsHeader,
      items: AsyncIterable<Item> | Iterable<Item>,
    ): Promise<DatasetChange> =>
      this.postNdjson<DatasetChange>(`/v1/datasets/${encodeURIComponent(id)}/items`, header, items),
    /** `GET /v1/datasets/:id/versions/:version/items`: one page of a version's items. */
    items: async (
      id: string,
      version: number,
      query: ListDatasetItemsQuery = {},
    ): Promise<DatasetItemList> =>
      unwrap(
        await this.raw.GET('/v1/datasets/{id}/versions/{version}/items', {
          params: { path: { id, version: String(version) }, query },
        }),
      ),
  };

  /** Workers: the live worker processes (heartbeats). */
  readonly workers = {
    /** `GET /v1/workers`. */
    list: async (): Promise<WorkerList> => unwrap(await this.raw.GET('/v1/workers')),
    /**
     * `GET /v1/queues`: per target, queue depth (chunk jobs by state, items still to run of its
     * active runs), live workers serving it, and throughput: items recorded per minute over the
     * last `query.minutes` minutes (default 15, at most 60), fleet-wide.
     * @throws RunledgerApiError (400 when `minutes` is outside 1..60, 401, 429).
     */
    queues: async (query: QueuesQuery = {}): Promise<QueueList> =>
      unwrap(await this.raw.GET('/v1/queues', { params: { query } })),
  };

  /** System: readiness of the API and its Redis (no API key needed). */
  readonly system = {
    /**
     * `GET /readyz`: Redis answers and has memory left, with its memory figures (bytes) and
     * whether new runs and dataset versions are admitted (`redis.admitting` false above
     * `RUNLEDGER_REDIS_MEMORY_HIGH_WATER` of `maxmemory`: submissions get 503 then).
     * @throws RunledgerApiError 503 `unavailable` when Redis is unreachable or out of memory
     *   (`detail` says which, `retryAfter` in seconds).
     */
    ready: async (): Promise<Readiness> => unwrap(await this.raw.GET('/readyz')),
  };

  /** Audit: the project's log of changes made through the API (needs a key with role `admin`). */
  readonly audit = {
    /**
     * `GET /v1/audit`: one page of the project's audit entries, newest first (`since` ISO-8601
     * or ms, `action` e.g. `run.delete`, `limit` 1..1000, `cursor` = the previous page's
     * `nextCursor`). Each entry: time, key id (never the key), action, object id, request id,
     * HTTP status.
     * @throws RunledgerApiError (400 bad query, 401, 403 when the key's role is not `admin`, 429).
     */
    list: async (query: AuditQuery = {}): Promise<AuditList> =>
      unwrap(await this.raw.GET('/v1/audit', { params: { query } })),
  };

  /** Keys: the project's stored API keys and their roles (needs a key with role `admin`). */
  readonly keys = {
    /** `GET /v1/keys`: the project's stored keys, oldest first (never the keys themselves). */
    list: async (): Promise<ApiKeyList> => unwrap(await this.raw.GET('/v1/keys')),
    /**
     * `POST /v1/keys`: a new key for the project with `role` (default `admin`); the answer's
     * `key` is shown only this once.
     * @throws RunledgerApiError (400, 401, 403 when the key's role is not `admin`, 429).
     */
    create: async (body: CreateApiKey = {}): Promise<CreatedApiKey> =>
      unwrap(await this.raw.POST('/v1/keys', { body })),
    /**
     * `DELETE /v1/keys/:id` (204): the key is refused (401) from now on.
     * @throws RunledgerApiError (404 unknown or another project's key, 403).
     */
    revoke: async (id: string): Promise<void> => {
      unwrap(await this.raw.DELETE('/v1/keys/{id}', { params: { path: { id } } }));
    },
  };

  /**
   * POSTs an `application/x-ndjson` body to `path` streamed from `items`: the first line is
   * `header`, then one item a line, pulled only as the body is sent (about 64 KiB at a time), so
   * a dataset of any size is never held in memory. Sent once (a stream cannot be replayed), never
   * retried.
   * @returns the JSON answer. @throws RunledgerApiError, what `items` throws, fetch's error.
   */
  private async postNdjson<T>(
    path: string,
    header: unknown,
    items: AsyncIterable<unknown> | Iterable<unknown>,
    options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<T> {
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
    const request = new Request(`${this.baseUrl}${path}`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: {
        ...this.headers,
        accept: 'application/json',
        'content-type': 'application/x-ndjson',
        ...options.headers,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    } as RequestInit);
    let response: Response;
    try {
      response = await this.baseFetch(request);
    } catch (err) {
      throw sourceError ?? err;
    }
    if (!response.ok) throw await RunledgerApiError.fromResponse(response);
    return (await response.json()) as T;
  }

  private async *pages(id: string, options: ResultsOptions): AsyncGenerator<ResultList> {
    const { signal, ...query } = options;
    let cursor = query.cursor;
    for (;;) {
      signal?.throwIfAborted();
      const page = await this.runs.resultsPage(id, {
        ...query,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      yield page;
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }

  private async *allResults(id: string, options: ResultsOptions): AsyncGenerator<Result> {
    for await (const page of this.pages(id, options)) yield* page.results;
  }
}

/**
 * Creates a client. `baseUrl` defaults to `RUNLEDGER_URL` and `apiKey` to `RUNLEDGER_API_KEY`
 * (read only where `process` exists).
 * @example
 * const client = createClient({ baseUrl: 'http://127.0.0.1:3000' });
 * const run = await client.runs.create({ target: { name: 'echo' }, dataset: { items: [{ input: 1 }] } });
 * const done = await client.runs.wait(run.id);
 */
export function createClient(options: ClientOptions = {}): RunledgerClient {
  return new RunledgerClient(options);
}
