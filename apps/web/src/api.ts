/**
 * The dashboard's only door to runledger: the typed client `@runledger/client` pointed at the
 * public HTTP API (`/v1/...`, same origin); types are the client's, generated from the API's own
 * OpenAPI document.
 *
 * - Errors: an error answer throws `ApiError` (the client's `RunledgerApiError`: `status`,
 *   problem+json `title` / `detail`).
 * - API keys: the key lives in sessionStorage and goes out as `Authorization: Bearer` (added per
 *   request, so a new key applies at once). A 401 clears it and tells `onAuthRequired`
 *   listeners, so the app asks for a key (again).
 * - Idempotent calls (GET, DELETE) are retried by the client on 429/503/network errors.
 */
import {
  type AggregateRunsQuery,
  type Compare,
  createClient,
  type Dataset,
  type DatasetItemList,
  type DatasetList,
  type ExperimentList,
  type ExperimentSummary,
  type ItemRequest,
  type LatencyHistogram,
  type QueueList,
  type QueueStats,
  type Result,
  type ResultList,
  type ResultStatus,
  type Run,
  type RunAggregate,
  type RunList,
  RunledgerApiError,
  type RunledgerClient,
  type RunStatus,
  type Worker as WorkerInfo,
  type WorkerList,
} from '@runledger/client';

export type {
  Compare,
  Dataset,
  DatasetItemList,
  ExperimentSummary,
  ItemRequest,
  LatencyHistogram,
  QueueStats,
  Result,
  ResultStatus,
  Run,
  RunAggregate,
  RunStatus,
  WorkerInfo,
};

/** An API answer other than 2xx: `status`, and the problem's `title` / `detail` when it sent one. */
export { RunledgerApiError as ApiError };

/** True when `err` is an API 404 (a missing, deleted, expired or other project's resource). */
export const isNotFound = (err: unknown): boolean =>
  err instanceof RunledgerApiError && err.status === 404;

const KEY_STORAGE = 'runledger.apiKey';

// ------------------------------------------------------------------ API key

type AuthListener = (reason: 'missing' | 'refused') => void;
const authListeners = new Set<AuthListener>();

/** The API key of this tab, or null. */
export function getApiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

/** Keeps `key` for this tab (sessionStorage); null forgets it. */
export function setApiKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

/** Calls `listener` whenever the API answers 401; returns the unsubscribe function. */
export function onAuthRequired(listener: AuthListener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

// ------------------------------------------------------------------ the client

/**
 * The client's fetch: adds this tab's API key to every request and, on a 401, forgets the key
 * and tells the `onAuthRequired` listeners.
 */
const authFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const key = getApiKey();
  if (key) request.headers.set('authorization', `Bearer ${key}`);
  const response = await fetch(request);
  if (response.status === 401) {
    setApiKey(null);
    for (const listener of authListeners) listener(key !== null ? 'refused' : 'missing');
  }
  return response;
};

let shared: RunledgerClient | null = null;

/** The dashboard's client (same origin, the tab's API key), made on first use. */
function api(): RunledgerClient {
  shared ??= createClient({ baseUrl: location.origin, fetch: authFetch });
  return shared;
}

/** The defined, non-empty values of `params` (a query without `undefined`, `null` or `''`). */
function query<T extends Record<string, unknown>>(
  params: T,
): { [K in keyof T]?: Exclude<T[K], null | undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  }
  return out as { [K in keyof T]?: Exclude<T[K], null | undefined> };
}

/**
 * Checks a key against the API (`GET /v1/runs?limit=1`) without keeping it.
 * @returns true when accepted; false on 401.
 */
export async function checkApiKey(key: string): Promise<boolean> {
  try {
    await createClient({ baseUrl: location.origin, apiKey: key }).runs.list({ limit: 1 });
    return true;
  } catch (err) {
    if (err instanceof RunledgerApiError && err.status === 401) return false;
    throw err;
  }
}

// ------------------------------------------------------------------ runs

/**
 * Filters of `listRuns` and `aggregateRuns`: the query of `GET /v1/runs/aggregate` (`status`,
 * `target`, `model` (`target.config.model`), `datasetId`, `tag`, `q`: case-insensitive substring of the run's name or id, `since` /
 * `until`: createdAt bounds, ISO-8601), each of them optional or undefined.
 */
export type RunFilter = { [K in keyof AggregateRunsQuery]?: AggregateRunsQuery[K] | undefined };

/** A page of `GET /v1/runs`, newest first. */
export type RunPage = RunList;

/** `GET /v1/runs`: one page of runs, newest first. */
export const listRuns = (filter: RunFilter, cursor?: string | null, limit = 50): Promise<RunPage> =>
  api().runs.list(query({ ...filter, cursor, limit }));

/** `GET /v1/runs/aggregate`: totals over the runs matching `filter`, by target and by model. */
export const aggregateRuns = (filter: RunFilter): Promise<RunAggregate> =>
  api().runs.aggregate(query({ ...filter }));

/** `GET /v1/runs/:id`. */
export const getRun = (id: string): Promise<Run> => api().runs.get(id);

/** `GET /v1/runs/:id/items/:index/request`: what item `index` of an openai run sends the model. */
export const getItemRequest = (id: string, index: number): Promise<ItemRequest> =>
  api().runs.itemRequest(id, index);

/** A page of `GET /v1/runs/:id/results`, in item order. */
export type ResultPage = ResultList;

/** How `GET /v1/runs/:id/results` can order results (`-`: descending). */
export type ResultSort = 'latency' | '-latency' | `score:${string}` | `-score:${string}`;

/**
 * `GET /v1/runs/:id/results`: from item index `cursor` (no status) or after it (with status);
 * `q` searches (pages may be short, even empty, with a `nextCursor`), `sort` orders by latency or
 * a scorer's score (cursors are then opaque tokens).
 */
export const listResults = (
  id: string,
  options: {
    status?: ResultStatus | undefined;
    q?: string | undefined;
    sort?: ResultSort | undefined;
    /** A scorer of the run: only results that did not pass it (also those without its score). */
    notPassed?: string | undefined;
    cursor?: string | null;
    limit?: number;
  },
): Promise<ResultPage> =>
  api().runs.resultsPage(
    id,
    query({
      status: options.status,
      q: options.q,
      sort: options.sort,
      ...(options.notPassed ? { scorer: options.notPassed, passed: false } : {}),
      cursor: options.cursor,
      limit: options.limit ?? 100,
    }),
  );

/**
 * The result of item `itemId` of run `id`. `indexHint` (the item index, as the results table
 * knows it) makes it one request; without it, pages are read in item order until it is found.
 * @returns null when the run has no result for that item (yet).
 */
export async function findResult(
  id: string,
  itemId: string,
  indexHint?: number,
): Promise<Result | null> {
  if (indexHint !== undefined && Number.isInteger(indexHint) && indexHint >= 0) {
    const page = await listResults(id, { cursor: String(indexHint), limit: 1 });
    const hit = page.results.find((r) => r.itemId === itemId);
    if (hit) return hit;
  }
  for await (const page of api().runs.resultPages(id, { limit: 1000 })) {
    const hit = page.results.find((r) => r.itemId === itemId);
    if (hit) return hit;
  }
  return null;
}

/** Every result of run `id`, in item order, at most `max` (pages of 1000). */
export async function loadResults(id: string, max: number): Promise<Result[]> {
  const out: Result[] = [];
  for await (const page of api().runs.resultPages(id, { limit: 1000 })) {
    out.push(...page.results);
    if (out.length >= max) break;
  }
  return out.slice(0, max);
}

/** `POST /v1/runs/:id/cancel`. */
export const cancelRun = (id: string): Promise<Run> => api().runs.cancel(id);

/** `POST /v1/runs/:id/rerun` (`failed`: only its failed items; `all`: every item). Answers the new run. */
export const rerunRun = (id: string, only: 'failed' | 'all'): Promise<Run> =>
  api().runs.rerun(id, { only });

/** `DELETE /v1/runs/:id`. */
export const deleteRun = (id: string): Promise<void> => api().runs.delete(id);

/**
 * Downloads `GET /v1/runs/:id/results.<format>` as a file (through fetch, so the API key goes
 * along in the header; a plain link could not carry it).
 */
export async function downloadExport(id: string, format: 'csv' | 'jsonl'): Promise<void> {
  const stream = await api().runs.export(id, format);
  const type = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
  const blob = await new Response(stream, { headers: { 'content-type': type } }).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${id}.${format}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `GET /v1/runs/:a/compare/:b` (409 when the runs are over different dataset versions). */
export const compareRuns = (a: string, b: string, scorer?: string): Promise<Compare> =>
  api().runs.compare(a, b, query({ scorer }));

/**
 * Follows `GET /v1/runs/:id/events` (Server-Sent Events, read through fetch so the API key goes
 * along; the client reconnects after a drop) and calls `onEvent` per `status`/`progress` event
 * until the run's terminal status. Rejects when `signal` aborts (with its reason) or the stream
 * fails for good (e.g. 404).
 */
export async function followRunEvents(
  id: string,
  onEvent: (type: string, data: Record<string, unknown>) => void,
  signal: AbortSignal,
): Promise<void> {
  for await (const event of api().runs.events(id, { signal })) onEvent(event.event, event.data);
  signal.throwIfAborted();
}

// ------------------------------------------------------------------ experiments, datasets, workers

/** An entry of `GET /v1/experiments` (the API's `ExperimentList` schema). */
export type ExperimentListEntry = ExperimentList['experiments'][number];

/** `GET /v1/experiments`: a page of experiments, newest first. */
export const listExperiments = (cursor?: string | null): Promise<ExperimentList> =>
  api().experiments.list(query({ cursor, limit: 50 }));

/** `GET /v1/experiments/:id`: variants x trials with their summaries. */
export const getExperiment = (id: string): Promise<ExperimentSummary> => api().experiments.get(id);

/** An item of a dataset version (the API's `DatasetItemList` schema). */
export type DatasetItem = DatasetItemList['items'][number];

/** An entry of `GET /v1/datasets` (the API's `DatasetList` schema). */
export type DatasetListEntry = DatasetList['datasets'][number];

/** `GET /v1/datasets`. */
export const listDatasets = (cursor?: string | null): Promise<DatasetList> =>
  api().datasets.list(query({ cursor, limit: 50 }));

/** `GET /v1/datasets/:id`. */
export const getDataset = (id: string): Promise<Dataset> => api().datasets.get(id);

/** `GET /v1/datasets/:id/versions/:version/items`: a page of items. */
export const listDatasetItems = (
  id: string,
  version: number,
  cursor?: string | null,
): Promise<DatasetItemList> => api().datasets.items(id, version, query({ cursor, limit: 50 }));

/** `GET /v1/workers`: live workers. */
export const listWorkers = (): Promise<WorkerList> => api().workers.list();

/**
 * `GET /v1/queues`: per target, chunk jobs by state, items still to run, live workers, and items
 * recorded per minute over the last `minutes` minutes (oldest first).
 */
export const listQueues = (minutes = 15): Promise<QueueList> => api().workers.queues({ minutes });

/** `GET /v1/runs/:id/latency`: the histogram of the run's item latencies. */
export const getLatencyHistogram = (id: string, buckets = 40): Promise<LatencyHistogram> =>
  api().runs.latency(id, { buckets });
