/**
 * Named request and response types of the runledger API, all taken from the generated
 * `components`/`operations` (packages/client/src/generated/openapi.ts, from the API's own
 * OpenAPI document): nothing here re-declares a schema by hand.
 */
import type { components, operations } from './generated/openapi.js';

type Schemas = components['schemas'];

/** A run (`GET /v1/runs/:id`): counters, latency (ms), usage, cost (USD), scores, times (ISO-8601 UTC). */
export type Run = Schemas['Run'];
/** Results with token usage and no price (`Run.unpriced`, `VariantSummary.unpriced`): how many, and the first one's model. */
export type Unpriced = Schemas['Unpriced'];
/** A run's status: `queued -> running -> completed | failed | cancelled`. */
export type RunStatus = Run['status'];
/** The JSON body of `POST /v1/runs`: items inline, or `dataset.id` (+ `version`) of a stored dataset. */
export type RunSpec = Schemas['RunSpec'];
/** The first line of an NDJSON submission: the run spec without `dataset.items`. */
export type RunSpecHeader = Schemas['RunSpecHeader'];
/** A target by name, with its optional config. */
export type TargetRef = Schemas['TargetRef'];
/** A scorer by name, with its optional config. */
export type ScorerRef = Schemas['ScorerRef'];
/** One dataset entry: `id` (default: its index), `input`, optional `expectedOutput`, `metadata`. */
export type Item = Schemas['Item'];
/** A page of runs, newest first; `nextCursor` null on the last page. */
export type RunList = Schemas['RunList'];
/** The outcome of one item in one run. */
export type Result = Schemas['Result'];
/** A result's status. */
export type ResultStatus = Result['status'];
/** A page of results in item order (`effective` with `effective=true`). */
export type ResultList = Schemas['ResultList'];
/** Counters and scores over the effective results (latest per item across reruns). */
export type EffectiveSummary = Schemas['EffectiveSummary'];
/** A scorer's summary over a run: `passRate = passed / totalItems` in [0, 1] or null. */
export type ScoreSummary = Schemas['ScoreSummary'];
/** `GET /v1/runs/:a/compare/:b`: item by item, b against a. */
export type Compare = Schemas['Compare'];
/** An RFC 9457 problem as the API answers errors. */
export type Problem = Schemas['Problem'];
/** One field error of a problem: `path` like `dataset.items.3.input`. */
export type FieldError = NonNullable<Problem['errors']>[number];
/** The JSON body of `POST /v1/experiments`. */
export type ExperimentSpec = Schemas['ExperimentSpec'];
/** An experiment's side-by-side summary. */
export type ExperimentSummary = Schemas['ExperimentSummary'];
/** A page of experiments, newest first. */
export type ExperimentList = Schemas['ExperimentList'];
/** An experiment's summary plus one row per item. */
export type ExperimentReport = Schemas['ExperimentReport'];
/** A stored, versioned dataset. */
export type Dataset = Schemas['Dataset'];
/** `POST /v1/datasets`'s body. */
export type CreateDataset = Schemas['CreateDataset'];
/** `POST /v1/datasets/:id/items`'s body (`append` or `replace`). */
export type AddDatasetItems = Schemas['AddDatasetItems'];
/** Line 1 of an NDJSON `POST /v1/datasets`: the body without `items`. */
export type CreateDatasetHeader = Schemas['CreateDatasetHeader'];
/** Line 1 of an NDJSON `POST /v1/datasets/:id/items`: the body without `items`. */
export type AddDatasetItemsHeader = Schemas['AddDatasetItemsHeader'];
/** A dataset as changed by `POST /v1/datasets/:id/items` (`created`: a new version was made). */
export type DatasetChange = Schemas['DatasetChange'];
/** A page of datasets. */
export type DatasetList = Schemas['DatasetList'];
/** A page of a dataset version's items. */
export type DatasetItemList = Schemas['DatasetItemList'];
/** Live workers. */
export type WorkerList = Schemas['WorkerList'];
/**
 * `GET /readyz` when ready: Redis answers and has memory left; `redis` gives `used_memory` and
 * `maxmemory` (bytes, 0: no limit) and whether new runs are admitted (false above
 * `RUNLEDGER_REDIS_MEMORY_HIGH_WATER`).
 */
export type Readiness = Schemas['Readiness'];
/** A live worker process as its heartbeat advertises it. */
export type Worker = Schemas['Worker'];
/**
 * Per target (`GET /v1/queues`): chunk jobs by BullMQ state, items still to run of its active
 * runs, live workers serving it, and items recorded per minute (`throughput.buckets`, oldest
 * first, `start` ISO-8601; `itemsPerSecond` over the current and previous minute).
 */
export type QueueList = Schemas['QueueList'];
/** One target's queue in a `QueueList`. */
export type QueueStats = Schemas['QueueStats'];
/** Counts of a run's items per latency bucket (`GET /v1/runs/:id/latency`). */
export type LatencyHistogram = Schemas['LatencyHistogram'];
/** `GET /v1/runs/:id/items/:index/request`: what an `openai` item sends (URL and JSON body). */
export type ItemRequest = Schemas['ItemRequest'];
/** `POST /v1/runs/:id/rerun`'s body (`only`: `failed` (default) or `all`). */
export type RerunSpec = Schemas['Rerun'];
/**
 * The `privacy` option of a run spec, an experiment (or one of its variants) and a dataset push:
 * `scrub` (`'all'` or kinds among `secret`, `email`, `card`, `ip`, `phone`; default the server's
 * `RUNLEDGER_SCRUB`, `[]` turns it off), custom `patterns` (`{ name, regex, flags? }`, masked as
 * `[<name>]`) and `phoneRegion` (default `US`). Matches are replaced before anything is stored;
 * each `Result` counts its masks per kind in `masked` (e.g. `{ email: 2 }`). A bad option is a
 * 400 problem naming the field (`privacy.scrub.1`, `privacy.patterns.0.regex`).
 */
export type Privacy = Schemas['Privacy'];
/** A run's resolved scrub policy (`Run.privacy`); null when nothing is scrubbed. */
export type ScrubPolicy = Schemas['ScrubPolicy'];
/**
 * `GET /v1/runs/aggregate`: `totals` over the matching runs, the same figures per target
 * (`byTarget`) and per `target.config.model` (`byModel`), `scanned` runs and `truncated`.
 */
export type RunAggregate = Schemas['RunAggregate'];
/**
 * Figures of a set of runs: runs, items, succeeded/failed/cancelled items, tokens in/out,
 * `costUsd` (USD), `avgDurationMs` of finished runs, `passRate` and per-scorer `scores`
 * (items-weighted `passed / totalItems`).
 */
export type RunFigures = Schemas['RunFigures'];
/** `RunFigures` of one target or model (`key`). */
export type RunGroup = Schemas['RunGroup'];

/** Query of `GET /v1/runs` (`since`/`until` ISO-8601, `q`: substring of the name or id). */
export type ListRunsQuery = NonNullable<operations['listRuns']['parameters']['query']>;
/** Query of `GET /v1/runs/aggregate`: the filters of `ListRunsQuery`, without paging. */
export type AggregateRunsQuery = NonNullable<operations['aggregateRuns']['parameters']['query']>;
/**
 * Query of `GET /v1/runs/:id/results` as the client takes it (`effective` and `passed` booleans).
 * `scorer` + `passed` (both or neither): `passed: false` lists the results that did not pass that
 * scorer of the run, including those without its score (failed or cancelled items, scorer
 * errors); `passed: true` those that passed.
 */
export type ListResultsQuery = Omit<
  NonNullable<operations['listRunResults']['parameters']['query']>,
  'effective' | 'passed'
> & { effective?: boolean; passed?: boolean };
/** Query of `GET /v1/runs/:a/compare/:b`. */
export type CompareQuery = NonNullable<operations['compareRuns']['parameters']['query']>;
/** Query of `GET /v1/runs/:id/latency` (`buckets`). */
export type LatencyQuery = NonNullable<operations['getRunLatencyHistogram']['parameters']['query']>;
/** Query of `GET /v1/queues` (`minutes`: throughput buckets, 1-60, default 15). */
export type QueuesQuery = NonNullable<operations['listQueues']['parameters']['query']>;
/** Query of `GET /v1/experiments`. */
export type ListExperimentsQuery = NonNullable<
  operations['listExperiments']['parameters']['query']
>;
/** Query of `GET /v1/datasets`. */
export type ListDatasetsQuery = NonNullable<operations['listDatasets']['parameters']['query']>;
/** Query of `GET /v1/datasets/:id/versions/:version/items`. */
export type ListDatasetItemsQuery = NonNullable<
  operations['listDatasetVersionItems']['parameters']['query']
>;

/** Data of a `status` event: the new status, when (ms since the epoch), and `error` if any. */
export type StatusEventData = Schemas['RunStatusEventData'];

/** Data of a `progress` event: items done of `total`, by result status. */
export type ProgressEventData = Schemas['RunProgressEventData'];

/** One Server-Sent Event of a run (`GET /v1/runs/:id/events`); `id` resumes after it. */
export type RunEvent =
  | { id: string; event: 'status'; data: StatusEventData }
  | { id: string; event: 'progress'; data: ProgressEventData };

/** One audit log entry: time, key id (never the key), action, object id, request id, HTTP status. */
export type AuditEntry = Schemas['AuditEntry'];
/** A page of audit entries, newest first; `nextCursor` null on the last page. */
export type AuditList = Schemas['AuditList'];
/** Query of `GET /v1/audit` (`since` ISO-8601 or ms, `action`, `limit`, `cursor`). */
export type AuditQuery = NonNullable<operations['listAudit']['parameters']['query']>;
/** A key's role: `read` < `write` < `admin`. */
export type Role = Schemas['ApiKey']['role'];
/** A stored API key's record (never the key). */
export type ApiKey = Schemas['ApiKey'];
/** The project's stored keys. */
export type ApiKeyList = Schemas['ApiKeyList'];
/** `POST /v1/keys`'s body: `name`, `role` (default `admin`), both optional. */
export type CreateApiKey = Partial<Schemas['CreateApiKey']>;
/** A created key: its record plus `key`, shown only this once. */
export type CreatedApiKey = Schemas['CreatedApiKey'];

/**
 * The body of `POST /v1/runs/cleanup`: `olderThan` (`<n><s|m|h|d|w>`, e.g. `30d`), optional
 * `status` (completed, failed, cancelled), `target`, `datasetId`, `dryRun`.
 */
export type CleanupRuns = Schemas['CleanupRuns'];
/** The answer of `POST /v1/runs/cleanup`: the runs deleted (or that would be), newest first. */
export type CleanupResult = Schemas['CleanupResult'];
/** One run in a `CleanupResult`. */
export type CleanedRun = Schemas['CleanedRun'];
