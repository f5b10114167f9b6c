/**
 * The dashboard's only door to runledger: thin, fetch-based calls of the public HTTP API
 * (`/v1/...`, same origin), typed with the API's own types from `@runledger/shared`.
 *
 * - Errors: a non-2xx answer throws `ApiError` carrying the problem+json `detail`.
 * - API keys: the key lives in sessionStorage and goes out as `Authorization: Bearer`. A 401
 *   clears it and tells `onAuthRequired` listeners, so the app asks for a key (again).
 *
 * To be replaced by the typed client package (see the client issue); keep it thin.
 */
import type {
  Compare,
  ExperimentSummary,
  LatencyHistogram,
  Result,
  ResultStatus,
  Run,
  RunStatus,
  TargetRef,
  WorkerInfo,
} from '@runledger/shared';

export type {
  Compare,
  ExperimentSummary,
  LatencyHistogram,
  Result,
  ResultStatus,
  Run,
  RunStatus,
  WorkerInfo,
};

const KEY_STORAGE = 'runledger.apiKey';

/** An API answer other than 2xx: `status`, and the problem's `title` / `detail` when it sent one. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail || title || `HTTP ${status}`);
  }
}

/** True when `err` is an API 404 (a missing, deleted, expired or other project's resource). */
export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.status === 404;

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

function authHeaders(): Record<string, string> {
  const key = getApiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

// ------------------------------------------------------------------ requests

/** Reads a failed response into an ApiError (problem+json `title`/`detail` when present). */
async function toApiError(res: Response): Promise<ApiError> {
  let title = res.statusText;
  let detail = '';
  try {
    const body = (await res.json()) as { title?: unknown; detail?: unknown };
    if (typeof body.title === 'string') title = body.title;
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(res.status, title, detail);
}

/** One API call; JSON in and out. 204 answers undefined. */
async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 401) {
    const hadKey = getApiKey() !== null;
    setApiKey(null);
    for (const listener of authListeners) listener(hadKey ? 'refused' : 'missing');
  }
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A query string of the defined, non-empty values of `params` (with a leading `?`, or ''). */
function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

/**
 * Checks a key against the API (`GET /v1/runs?limit=1`) without keeping it.
 * @returns true when accepted; false on 401.
 */
export async function checkApiKey(key: string): Promise<boolean> {
  const res = await fetch('/v1/runs?limit=1', { headers: { authorization: `Bearer ${key}` } });
  if (res.status === 401) return false;
  if (!res.ok) throw await toApiError(res);
  return true;
}

// ------------------------------------------------------------------ runs

/** Filters of `listRuns` (the query of `GET /v1/runs`). */
export interface RunFilter {
  status?: RunStatus | undefined;
  target?: string | undefined;
  datasetId?: string | undefined;
  tag?: string | undefined;
  /** createdAt >= since (ISO-8601). */
  since?: string | undefined;
  /** createdAt <= until (ISO-8601). */
  until?: string | undefined;
}

/** A page of `GET /v1/runs`, newest first. */
export interface RunPage {
  runs: Run[];
  nextCursor: string | null;
}

/** `GET /v1/runs`: one page of runs, newest first. */
export const listRuns = (filter: RunFilter, cursor?: string | null, limit = 50) =>
  request<RunPage>('GET', `/v1/runs${query({ ...filter, cursor, limit })}`);

/** `GET /v1/runs/:id`. */
export const getRun = (id: string) => request<Run>('GET', `/v1/runs/${enc(id)}`);

/** A page of `GET /v1/runs/:id/results`, in item order. */
export interface ResultPage {
  results: Result[];
  nextCursor: string | null;
}

/** `GET /v1/runs/:id/results`: from item index `cursor` (no status) or after it (with status). */
export const listResults = (
  id: string,
  options: { status?: ResultStatus | undefined; cursor?: string | null; limit?: number },
) =>
  request<ResultPage>(
    'GET',
    `/v1/runs/${enc(id)}/results${query({
      status: options.status,
      cursor: options.cursor,
      limit: options.limit ?? 100,
    })}`,
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
  let cursor: string | null = null;
  do {
    const page: ResultPage = await listResults(id, { cursor, limit: 1000 });
    const hit = page.results.find((r) => r.itemId === itemId);
    if (hit) return hit;
    cursor = page.nextCursor;
  } while (cursor);
  return null;
}

/** Every result of run `id`, in item order, at most `max` (pages of 1000). */
export async function loadResults(id: string, max: number): Promise<Result[]> {
  const out: Result[] = [];
  let cursor: string | null = null;
  do {
    const page: ResultPage = await listResults(id, { cursor, limit: 1000 });
    out.push(...page.results);
    cursor = page.nextCursor;
  } while (cursor && out.length < max);
  return out.slice(0, max);
}

/** `POST /v1/runs/:id/cancel`. */
export const cancelRun = (id: string) => request<Run>('POST', `/v1/runs/${enc(id)}/cancel`);

/** `POST /v1/runs/:id/rerun` (`failed`: only its failed items; `all`: every item). Answers the new run. */
export const rerunRun = (id: string, only: 'failed' | 'all') =>
  request<Run>('POST', `/v1/runs/${enc(id)}/rerun`, { only });

/** `DELETE /v1/runs/:id`. */
export const deleteRun = (id: string) => request<undefined>('DELETE', `/v1/runs/${enc(id)}`);

/**
 * Downloads `GET /v1/runs/:id/results.<format>` as a file (through fetch, so the API key goes
 * along in the header; a plain link could not carry it).
 */
export async function downloadExport(id: string, format: 'csv' | 'jsonl'): Promise<void> {
  const res = await fetch(`/v1/runs/${enc(id)}/results.${format}`, { headers: authHeaders() });
  if (!res.ok) throw await toApiError(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `${id}.${format}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `GET /v1/runs/:a/compare/:b` (409 when the runs are over different dataset versions). */
export const compareRuns = (a: string, b: string, scorer?: string) =>
  request<Compare>('GET', `/v1/runs/${enc(a)}/compare/${enc(b)}${query({ scorer })}`);

/**
 * Follows `GET /v1/runs/:id/events` (Server-Sent Events, read through fetch so the API key goes
 * along) and calls `onEvent` per event until the stream ends or `signal` aborts.
 */
export async function followRunEvents(
  id: string,
  onEvent: (type: string, data: Record<string, unknown>) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(`/v1/runs/${enc(id)}/events`, {
    headers: { accept: 'text/event-stream', ...authHeaders() },
    signal,
  });
  if (!res.ok || !res.body) throw await toApiError(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (data) {
        try {
          onEvent(type, JSON.parse(data) as Record<string, unknown>);
        } catch {
          // not JSON: ignore
        }
      }
      end = buffer.indexOf('\n\n');
    }
  }
}

// ------------------------------------------------------------------ experiments, datasets, workers

/**
 * An entry of `GET /v1/experiments` (the API's `ExperimentList` schema, which the shared
 * package does not export as a type).
 */
export interface ExperimentListEntry {
  id: string;
  name: string;
  createdAt: string;
  datasetId: string | null;
  datasetVersion: string | null;
  trials: number;
  variants: { name: string; target: TargetRef; runIds: string[] }[];
}

/** `GET /v1/experiments`: a page of experiments, newest first. */
export const listExperiments = (cursor?: string | null) =>
  request<{ experiments: ExperimentListEntry[]; nextCursor: string | null }>(
    'GET',
    `/v1/experiments${query({ cursor, limit: 50 })}`,
  );

/** `GET /v1/experiments/:id`: variants x trials with their summaries. */
export const getExperiment = (id: string) =>
  request<ExperimentSummary>('GET', `/v1/experiments/${enc(id)}`);

/** A dataset as `GET /v1/datasets/:id` answers it (the API's `Dataset` schema). */
export interface Dataset {
  id: string;
  name: string;
  project: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  versions: { version: number; itemCount: number; contentHash: string; createdAt: string }[];
}

/** An item of a dataset version (the API's `DatasetItemList` schema). */
export interface DatasetItem {
  index: number;
  id: string;
  input: unknown;
  expectedOutput?: unknown;
  metadata?: Record<string, unknown>;
}

/** `GET /v1/datasets`. */
export const listDatasets = (cursor?: string | null) =>
  request<{ datasets: Dataset[]; nextCursor: string | null }>(
    'GET',
    `/v1/datasets${query({ cursor, limit: 50 })}`,
  );

/** `GET /v1/datasets/:id`. */
export const getDataset = (id: string) => request<Dataset>('GET', `/v1/datasets/${enc(id)}`);

/** `GET /v1/datasets/:id/versions/:version/items`: a page of items. */
export const listDatasetItems = (id: string, version: number, cursor?: string | null) =>
  request<{ items: DatasetItem[]; nextCursor: string | null }>(
    'GET',
    `/v1/datasets/${enc(id)}/versions/${version}/items${query({ cursor, limit: 50 })}`,
  );

/** `GET /v1/workers`: live workers. */
export const listWorkers = () => request<{ workers: WorkerInfo[] }>('GET', '/v1/workers');

/** `GET /v1/runs/:id/latency`: the histogram of the run's item latencies. */
export const getLatencyHistogram = (id: string, buckets = 40) =>
  request<LatencyHistogram>('GET', `/v1/runs/${enc(id)}/latency${query({ buckets })}`);
