/**
 * Generated from the runledger API's OpenAPI document (GET /openapi.json) by
 * packages/client/scripts/generate.ts (openapi-typescript). Do not edit: run
 * `npm run generate -w @runledger/client`; test/client-generated.test.ts fails when stale.
 */
export interface paths {
  '/v1/runs/cleanup': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Delete the finished runs older than a duration (or list them: dryRun)
     * @description Finished runs (completed, failed, cancelled) of the key's project whose `completedAt` is older than `olderThan`, optionally only of one `status`, `target` or `datasetId`, are deleted like `DELETE /v1/runs/:id` (every key and queued job); queued and running runs are never touched. With `dryRun: true` nothing is deleted. Needs an `admin` key; audited as `run.cleanup`.
     */
    post: operations['cleanupRuns'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/snapshot': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A finished run as one NDJSON document (streamed), to archive or import
     * @description NDJSON, one JSON value a line: (1) `{"type":"run","format":1,"run":<Run>,"hash":{...},"errtypes":{...},"reruns":[[id,ms],...]}` the run as shown and its stored fields (sorted, without `expiresAt`); (2) one `{"type":"result","index":i,"item":...,"result":...,"latencyMs"?:n}` per item in item order; (3) one `{"type":"event","id":"<ms>-<seq>","fields":[...]}` per event of the run, with its stream id; (4) last `{"type":"digest","sha256":"<hex>","lines":N}`: SHA-256 of the N lines before it (each with its `\n`). Secret target/scorer config fields read `[redacted]`. Two snapshots of one run are byte-identical. 409 while the run is queued or running.
     */
    get: operations['snapshotRun'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/import': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Restore a run from its snapshot
     * @description The body is a snapshot (`GET /v1/runs/:id/snapshot`, `application/x-ndjson`). The run is restored under its id with the same counters, results, items, scores, latency figures, error types and events (same event ids); its retention TTL starts again and it is listed by `GET /v1/runs` (it joins no keep-last group). Checked before anything is written: a truncated snapshot (no digest line, fewer lines) or a tampered one (digest mismatch) or a malformed one is a 400, a snapshot of another project a 400, a run that exists a 409; nothing is written then. At most `RUNLEDGER_MAX_IMPORT_BYTES` (413). Needs an `admin` key; audited as `run.import`.
     */
    post: operations['importRun'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List runs, newest first
     * @description Filters combine (AND). One request inspects at most 2,000 runs of the index, so with filters (e.g. `q`) a page may hold fewer than `limit` runs, even none, with a non-null `nextCursor`: follow it until it is null.
     */
    get: operations['listRuns'];
    put?: never;
    /**
     * Submit a run
     * @description JSON: the whole run spec. NDJSON (`application/x-ndjson`, streamed): line 1 the run spec without `dataset.items` (`RunSpecHeader`), then one `Item` per line. Item ids default to the item index; `datasetVersion` defaults to a sha256 of the items. Checked at submit (400 with field paths): a live worker serves the target (unless `execution.waitForWorkers`), `target.config` fits the target config schema, an `http`/`openai` URL is allowed by `RUNLEDGER_HTTP_TARGET_ALLOW`, every scorer is known.
     */
    post: operations['createRun'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/aggregate': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Totals over the runs that match the filters, by target and by model
     * @description Same filters as `GET /v1/runs`. `totals`: runs, items, succeeded / failed / cancelled items, tokens in / out, cost (USD), average duration (ms) of finished runs, pass rate per scorer items-weighted (`sum passed / sum totalItems` over the runs using it); `byTarget` and `byModel` (`target.config.model`, where it is a string): the same per group. Reads at most 10,000 runs of the index, newest first; `truncated: true` when it stopped there.
     */
    get: operations['aggregateRuns'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Get a run */
    get: operations['getRun'];
    put?: never;
    post?: never;
    /**
     * Delete a run and all its results
     * @description Answers only once no new attempt of the run can start anywhere (it waits the claim lease, `RUNLEDGER_CLAIM_LEASE_MS`, after the run was deleted).
     */
    delete: operations['deleteRun'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/results': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List a run's results in item order, search or sort them
     * @description Pages in item order: without `status` a page covers item indexes `[cursor, cursor+limit)` (results not landed yet are absent); with `status` the next `limit` matching results. `q` searches (a bounded scan: short pages with a `nextCursor` are normal), `sort` orders by latency or by a scorer's score (an index built in Redis on demand, kept 300 s; for a run in flight rebuilt at most every 5 s, so its pages may lag the newest results by up to 5 s); the cursor of a sorted page is an opaque token. `scorer` with `passed` lists the results that passed (`true`) or did not pass (`false`) that scorer. `q`, `sort` and `scorer`/`passed` combine with each other and with `status`, not with `effective=true` (400). With `effective=true` each item shows its latest result across the run and its reruns (`POST /v1/runs/:id/rerun`, `/replay`, recursively; a later rerun wins; `runId` says which run, `itemIndex` is the index in this run), `status` filters the effective status, and `effective` gives `{ runIds, totalItems, succeeded, failed, cancelled, pending, scores }` over every item: what the run scores once its reruns repaired failures.
     */
    get: operations['listRunResults'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Cancel a run
     * @description Items without a result are recorded `cancelled`; items in flight are aborted by their workers. Answers only once no new attempt of the run can start anywhere (it waits the claim lease, `RUNLEDGER_CLAIM_LEASE_MS`, after the run ended).
     */
    post: operations['cancelRun'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Stream a run's events (Server-Sent Events)
     * @description Replays events after `Last-Event-ID` (header) or `lastEventId` (query), from the start without either, then streams live ones: `event: status|progress`, `id: <event id>`, `data: JSON`. Ends after a terminal status event.
     */
    get: operations['streamRunEvents'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{a}/compare/{b}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Compare two runs over the same dataset version, item by item
     * @description Per item (joined by item id): improved, regressed or unchanged, by pass/fail and by score, for one scorer; the pass rates of a and b (`passRate = passed / totalItems`, as on the runs, with the full `ScoreSummary` in `scoreA`/`scoreB`) and the difference b - a with a paired bootstrap 95% interval over the joined items (2000 resamples, `seed`). 409 when the runs are over different dataset versions; 400 when the scorer is not on both runs.
     */
    get: operations['compareRuns'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/rerun': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Rerun the failed (or all) items of a finished run as a new run
     * @description A new run with the same target (real config), scorers, execution, retention, tags and metadata over the chosen items of the original (item ids kept, indexes from 0), named `<name> (rerun)`, with `parentRunId` = the original and its `datasetId`, `datasetVersion` and `datasetHash`. `failed` takes results `failed` or `cancelled`. 409 while the original is queued or running; 400 when `failed` selects no item.
     */
    post: operations['rerunRun'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/replay': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Replay every item of a finished run (regression check): rerun with only=all */
    post: operations['replayRun'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/results.jsonl': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Export a run's results as JSON Lines (streamed)
     * @description One `Result` a line, in item order; results not landed yet are absent.
     */
    get: operations['exportRunResultsJsonl'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/results.csv': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Export a run's results as CSV (streamed)
     * @description Header row, then one row a result in item order. Columns: runId, itemId, itemIndex, status, attempts, latencyMs, queueMs, costUsd, inputTokens, outputTokens, error_type, error_message, input, expectedOutput, output, scores. Strings are written as is, structured values as JSON, missing values empty (RFC 4180 quoting).
     */
    get: operations['exportRunResultsCsv'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/latency': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Histogram of a run's item latencies
     * @description Counts of items per latency bucket `[fromMs, toMs)` (the last bucket includes its end), over the items that ran; equal widths, or equal ratios when max / min >= 20. Percentiles are on the run (`latencyMs`).
     */
    get: operations['getRunLatencyHistogram'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/items/{index}/request': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * What an openai target item sends the model
     * @description The chat completions request of item `index` of an `openai` run: URL and JSON body as attempt 1 sends them (`{{attempt}}` reads 1). 404 when the run, or the item, does not exist, or the run's target is not `openai`; 409 when the item's templates cannot be rendered (the item fails `invalid_input` on the workers for the same reason).
     */
    get: operations['getItemRequest'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List the project's datasets, oldest first */
    get: operations['listDatasets'];
    put?: never;
    /**
     * Create a dataset (version 1)
     * @description JSON: the whole body. NDJSON (`application/x-ndjson`, streamed, for datasets of any size up to `RUNLEDGER_MAX_ITEMS`): line 1 the body without `items` (`CreateDatasetHeader`), then one `Item` per line.
     */
    post: operations['createDataset'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Get a dataset and its versions */
    get: operations['getDataset'];
    put?: never;
    post?: never;
    /** Delete a dataset and every version (runs keep their own copy of the items) */
    delete: operations['deleteDataset'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets/{id}/versions/{version}/items': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Page through a version's items in order */
    get: operations['listDatasetVersionItems'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets/{id}/items': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Add a version: append items to the latest version, or replace them
     * @description `append`: the latest items followed by the given ones (ids must stay unique: 400 at `items.N.id`); `replace`: the given items only. When the new content hash equals the latest version's, no version is added: 200 with the dataset as it is and `created: false` (a `name` still renames). 409 when another version was added meanwhile. NDJSON (`application/x-ndjson`, streamed): line 1 the body without `items` (`AddDatasetItemsHeader`), then one `Item` per line.
     */
    post: operations['addDatasetVersion'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/experiments': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List the project's experiments, newest first */
    get: operations['listExperiments'];
    put?: never;
    /**
     * Create an experiment: one run per variant and trial over one dataset
     * @description `dataset` is validated exactly like a run spec's (`POST /v1/runs`); every run pins the same dataset version. Variant names are unique; 1-20 variants, 1-20 trials.
     */
    post: operations['createExperiment'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/experiments/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Side-by-side summary of an experiment
     * @description Per variant: per scorer the run `ScoreSummary` figures (`passRate = passed / items`, `passRateOfScored`, `errors`) with a Wilson 95% interval, pass@k and pass^k (trials > 1), latency p50/p90/p99, tokens, cost, errors by type. Computed from every result. When a run was deleted or expired, `incomplete` is true, `missingRunIds` lists it and the figures cover the remaining runs only.
     */
    get: operations['getExperiment'];
    put?: never;
    post?: never;
    /**
     * Delete an experiment and every one of its runs
     * @description Each run of the experiment is deleted as `DELETE /v1/runs/:id` does (queued jobs, every key, index entries; workers abort its items in flight), then the experiment. Answers once no new attempt of its runs can start (it waits `RUNLEDGER_CLAIM_LEASE_MS`). 404 for an unknown experiment or another project's.
     */
    delete: operations['deleteExperiment'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/experiments/{id}/report': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The summary plus one row per item (per variant and trial: status, passed per scorer) */
    get: operations['getExperimentReport'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/audit': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The project's audit log, newest first
     * @description Every change made through the API (runs created, cancelled, rerun, replayed, deleted; datasets created, pushed, deleted; experiments created, deleted; keys created, revoked) with the key id (never the key), object id, request id and HTTP status. Needs role `admin`. Kept up to `RUNLEDGER_AUDIT_MAXLEN` entries per project and `RUNLEDGER_AUDIT_MAX_AGE_SECONDS`.
     */
    get: operations['listAudit'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/keys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The project's stored API keys (never the keys)
     * @description Needs role `admin`. Keys from `RUNLEDGER_API_KEYS` are not listed.
     */
    get: operations['listApiKeys'];
    put?: never;
    /**
     * Create an API key for the project
     * @description Needs role `admin`. The key is in this answer only; Redis keeps its sha256. Audited as `key.create`.
     */
    post: operations['createApiKey'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/keys/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Revoke a stored API key of the project
     * @description Needs role `admin`. Requests with the key are refused (401) from now on. 404 for an unknown key or another project's. Audited as `key.revoke`.
     */
    delete: operations['revokeApiKey'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/healthz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Liveness: the process is up
     * @description No API key needed. Answers 200 while the process runs; it does not touch Redis.
     */
    get: operations['health'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/readyz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Readiness: Redis answers PING and has memory left
     * @description No API key needed. 503 when Redis does not answer PING within 2000 ms, or is out of memory (`used_memory` >= `maxmemory`: writes are refused). The answer reports Redis's memory and whether new runs are admitted (`RUNLEDGER_REDIS_MEMORY_HIGH_WATER`).
     */
    get: operations['ready'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/metrics': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Prometheus metrics
     * @description Runs by status, queue depths, HTTP latency. Open while no API key is configured; once keys exist it needs `Authorization: Bearer` with any API key (any role) or `RUNLEDGER_METRICS_TOKEN` (401 otherwise). With `RUNLEDGER_METRICS_LISTEN` it is served on that address instead and answers 404 here.
     */
    get: operations['metrics'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/workers': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Live workers (heartbeat within 3 heartbeat intervals) */
    get: operations['listWorkers'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/queues': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Queue depth and throughput per target
     * @description For every target ever submitted or served by a live worker: chunk jobs in its queue by state, the items its `queued`/`running` runs still have to run, the live workers serving it, and items recorded per minute over the last `minutes` minutes. Fleet-wide (all projects), like `GET /v1/workers`.
     */
    get: operations['listQueues'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    RunSpecHeader: {
      name?: string;
      target: components['schemas']['TargetRef'];
      /** @default {} */
      dataset?: {
        id?: string;
        version?: string;
      };
      /** @default [] */
      scorers?: components['schemas']['ScorerRef'][];
      execution?: components['schemas']['Execution'];
      retention?: {
        ttlSeconds?: number;
        keepLast?: number;
      };
      /** @default [] */
      tags?: string[];
      /** @default {} */
      metadata?: {
        [key: string]: unknown;
      };
      privacy?: components['schemas']['Privacy'];
    };
    TargetRef: {
      name: string;
      config?: {
        [key: string]: unknown;
      };
    };
    ScorerRef: {
      name: string;
      config?: {
        [key: string]: unknown;
      };
    };
    /**
     * @default {
     *       "maxAttempts": 3,
     *       "backoff": {
     *         "type": "exponential",
     *         "delayMs": 1000
     *       },
     *       "timeoutMs": 60000
     *     }
     */
    Execution: {
      /** @default 3 */
      maxAttempts?: number;
      /**
       * @default {
       *       "type": "exponential",
       *       "delayMs": 1000
       *     }
       */
      backoff?: {
        /**
         * @default exponential
         * @enum {string}
         */
        type?: 'fixed' | 'exponential';
        /** @default 1000 */
        delayMs?: number;
      };
      /** @default 60000 */
      timeoutMs?: number;
      concurrency?: number;
      maxCostUsd?: number;
      maxFailures?: number;
      /** @description Accept the run even when no live worker serves its target: it stays queued until one does (failed after RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS). Default: refused at submit. */
      waitForWorkers?: boolean;
    };
    /**
     * @description PII scrubbing before anything is stored: matches are replaced by `[email]`, `[phone]`, `[card]`, `[ip]`, `[secret]` or `[<pattern name>]`.
     * @example {
     *       "scrub": [
     *         "email",
     *         "card"
     *       ],
     *       "patterns": [
     *         {
     *           "name": "employee_id",
     *           "regex": "EMP-\\d{6}"
     *         }
     *       ]
     *     }
     */
    Privacy: {
      /**
       * @description Detectors to run: "all" or a list of `secret`, `email`, `card`, `ip`, `phone`. Default: `RUNLEDGER_SCRUB`; `[]` turns that default off.
       * @example [
       *       "email",
       *       "card"
       *     ]
       */
      scrub?: 'all' | string[];
      patterns?: components['schemas']['ScrubPattern'][];
      /** @description Region whose national phone format is recognised besides +<code> numbers. Default US. */
      phoneRegion?: string;
    };
    /**
     * @description A custom detector: matches of `regex` (JavaScript syntax, at most 200 characters, no nested quantifiers, must not match "") are masked as `[<name>]`.
     * @example {
     *       "name": "employee_id",
     *       "regex": "EMP-\\d{6}"
     *     }
     */
    ScrubPattern: {
      name: string;
      regex: string;
      flags?: string;
    };
    /** @description `data` of a `status` event: sent on every status transition. */
    RunStatusEventData: {
      /** @enum {string} */
      status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
      /** @description When, in ms since the Unix epoch */
      at: number;
      /** @description Why the run failed or was cancelled */
      error?: string;
    };
    /** @description `data` of a `progress` event: sent when results land (batched). */
    RunProgressEventData: {
      /** @description succeeded + failed + cancelled */
      done: number;
      /** @description The run’s totalItems */
      total: number;
      succeeded: number;
      failed: number;
      cancelled: number;
    };
    CreateDatasetHeader: {
      /** @description Default: a new ULID */
      id?: string;
      name: string;
      privacy?: components['schemas']['Privacy'] & unknown;
    };
    AddDatasetItemsHeader: {
      /**
       * @default append
       * @enum {string}
       */
      mode?: 'append' | 'replace';
      /** @description Rename the dataset */
      name?: string;
      privacy?: components['schemas']['Privacy'] & unknown;
    };
    /**
     * @example {
     *       "dryRun": true,
     *       "before": "2026-11-01T12:00:00.000Z",
     *       "count": 1,
     *       "runs": [
     *         {
     *           "id": "01JZ8X6T2M3N4P5Q6R7S8T9V0W",
     *           "name": "nightly",
     *           "status": "failed",
     *           "target": "echo",
     *           "datasetId": "qa",
     *           "completedAt": "2026-10-02T08:00:00.000Z"
     *         }
     *       ]
     *     }
     */
    CleanupResult: {
      dryRun: boolean;
      /** @description ISO-8601 UTC: runs that finished before this */
      before: string;
      count: number;
      /** @description The runs deleted (or, with `dryRun`, that would be), newest first */
      runs: components['schemas']['CleanedRun'][];
    };
    CleanedRun: {
      id: string;
      name: string | null;
      /** @enum {string} */
      status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
      target: string;
      datasetId: string | null;
      /** @description ISO-8601 UTC */
      completedAt: string;
    };
    Problem: {
      /** @example urn:runledger:problem:validation */
      type: string;
      /** @example Bad Request */
      title: string;
      /** @example 400 */
      status: number;
      detail: string;
      instance?: string;
      errors?: {
        /** @example dataset.items.3.id */
        path: string;
        message: string;
      }[];
    };
    CleanupRuns: {
      /**
       * @description Runs that finished (`completedAt`) longer ago than this: `<n><s|m|h|d|w>`
       * @example 30d
       */
      olderThan: string;
      /**
       * @description Only runs that ended with this status
       * @enum {string}
       */
      status?: 'completed' | 'failed' | 'cancelled';
      /** @description Only this target */
      target?: string;
      /** @description Only this dataset */
      datasetId?: string;
      /**
       * @description `true`: answer the runs that would be deleted, delete nothing
       * @default false
       */
      dryRun?: boolean;
    };
    Run: {
      id: string;
      project: string;
      name: string | null;
      /** @enum {string} */
      status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
      target: components['schemas']['TargetRef'];
      scorers: components['schemas']['ScorerRef'][];
      execution: components['schemas']['Execution'];
      datasetId: string | null;
      datasetVersion: string | null;
      datasetHash: string | null;
      parentRunId: string | null;
      totalItems: number;
      succeededCount: number;
      failedCount: number;
      cancelledCount: number;
      progress: number;
      latencyMs: components['schemas']['Latency'];
      usage: components['schemas']['Usage'];
      costUsd: number;
      unpriced: components['schemas']['Unpriced'];
      scores: {
        [key: string]: components['schemas']['ScoreSummary'];
      };
      errorTypes: components['schemas']['ErrorType'][];
      reruns: string[];
      tags: string[];
      metadata: {
        [key: string]: unknown;
      };
      retention: {
        ttlSeconds: number;
        keepLast?: number;
      };
      createdAt: string;
      startedAt: string | null;
      completedAt: string | null;
      expiresAt: string | null;
      error: string | null;
      /**
       * @description The status the run is being ended with while its remaining items are recorded as cancelled (a cancel, a budget stop or a reconciler failure of a large run takes a few seconds); `status` stays `queued` or `running` meanwhile and no item starts. Null otherwise.
       * @enum {string|null}
       */
      ending: 'cancelled' | 'failed' | null;
      traceId: string | null;
      privacy: components['schemas']['ScrubPolicy'];
      experimentId?: string;
      variant?: string;
      trialIndex?: number;
    };
    /** @description Item latencies in ms over the run's items that ran; null before any. p50/p90/p99: nearest-rank percentiles read from the run's log histogram (1% buckets): within 1% of the exact value; mean and max are exact. */
    Latency: {
      p50: number | null;
      p90: number | null;
      p99: number | null;
      mean: number | null;
      max: number | null;
    };
    Usage: {
      inputTokens: number;
      outputTokens: number;
      model?: string;
    };
    /**
     * @description Results recorded with token usage and no cost (no price for their model in the workers' `RUNLEDGER_PRICES`, none reported by the target): `costUsd` leaves their tokens out, and a run with `execution.maxCostUsd` ends `failed` at the first one (`budget cannot be enforced`). `model`: the first one's model, null when it had none.
     * @example {
     *       "results": 0,
     *       "model": null
     *     }
     */
    Unpriced: {
      results: number;
      model: string | null;
    };
    /** @description One scorer over a run. `passRate = passed / totalItems` is THE pass rate (see `summarizeScore` in stats.ts); `passRateOfScored` is shown beside it. */
    ScoreSummary: {
      mean: number | null;
      passed: number;
      failed: number;
      errors: number;
      passRate: number | null;
      passRateOfScored: number | null;
    };
    ErrorType: {
      type: string;
      count: number;
      message: string;
    };
    /**
     * @description What is masked before the run's data is stored: its `privacy` option resolved at submit (else `RUNLEDGER_SCRUB`); null when nothing is. See Result.masked.
     * @example {
     *       "scrub": [
     *         "email",
     *         "card"
     *       ],
     *       "patterns": [],
     *       "phoneRegion": "US"
     *     }
     */
    ScrubPolicy: {
      scrub: ('secret' | 'email' | 'card' | 'ip' | 'phone')[];
      patterns: {
        name: string;
        regex: string;
        flags?: string;
      }[];
      phoneRegion: string;
    } | null;
    RunSpec: {
      name?: string;
      target: components['schemas']['TargetRef'];
      dataset: {
        id?: string;
        version?: string;
        items?: components['schemas']['Item'][];
      };
      /** @default [] */
      scorers?: components['schemas']['ScorerRef'][];
      execution?: components['schemas']['Execution'];
      retention?: {
        ttlSeconds?: number;
        keepLast?: number;
      };
      /** @default [] */
      tags?: string[];
      /** @default {} */
      metadata?: {
        [key: string]: unknown;
      };
      privacy?: components['schemas']['Privacy'];
    };
    Item: {
      id?: string;
      input: unknown;
      expectedOutput?: unknown;
      metadata?: {
        [key: string]: unknown;
      };
    };
    RunList: {
      runs: components['schemas']['Run'][];
      nextCursor: string | null;
    };
    /** @description Totals over the runs that match the filters, and the same figures per target and per model. */
    RunAggregate: {
      totals: components['schemas']['RunFigures'];
      byTarget: components['schemas']['RunGroup'][];
      byModel: components['schemas']['RunGroup'][];
      scanned: number;
      truncated: boolean;
    };
    RunFigures: {
      runs: number;
      items: number;
      succeededItems: number;
      failedItems: number;
      cancelledItems: number;
      inputTokens: number;
      outputTokens: number;
      costUsd: number;
      unpricedResults: number;
      finishedRuns: number;
      avgDurationMs: number | null;
      passRate: number | null;
      scores: {
        [key: string]: components['schemas']['ScorerAggregate'];
      };
    };
    ScorerAggregate: {
      passed: number;
      totalItems: number;
      passRate: number | null;
    };
    RunGroup: components['schemas']['RunFigures'] & {
      key: string;
    };
    ResultList: {
      results: components['schemas']['Result'][];
      nextCursor: string | null;
      effective?: components['schemas']['EffectiveSummary'];
    };
    Result: {
      runId: string;
      itemId: string;
      itemIndex: number;
      /** @enum {string} */
      status: 'succeeded' | 'failed' | 'cancelled';
      input?: unknown;
      expectedOutput?: unknown;
      metadata: {
        [key: string]: unknown;
      } | null;
      output?: unknown;
      error: components['schemas']['ResultError'];
      attempts: number;
      latencyMs: number | null;
      queueMs: number | null;
      startedAt: string | null;
      completedAt: string | null;
      usage: components['schemas']['Usage'] & (Record<string, never> | null);
      costUsd: number | null;
      scores: {
        [key: string]: {
          score: number;
          passed: boolean;
        };
      };
      workerId: string | null;
      /**
       * @description Values the run's privacy policy masked, per kind (`email`, `phone`, `card`, `ip`, `secret`, or a custom pattern's name): in the item at submission plus in the output and error when the result was recorded. `{}` when none.
       * @example {
       *       "email": 2
       *     }
       */
      masked: {
        [key: string]: number;
      };
      trialIndex?: number;
    };
    ResultError: {
      message: string;
      type: string;
      status?: number;
    } | null;
    /** @description Counters and scores over the effective results: per item, the latest result across the run and its reruns. */
    EffectiveSummary: {
      runIds: string[];
      totalItems: number;
      succeeded: number;
      failed: number;
      cancelled: number;
      pending: number;
      scores: {
        [key: string]: components['schemas']['ScoreSummary'];
      };
    };
    Compare: {
      a: string;
      b: string;
      scorer: string;
      datasetVersion: string | null;
      items: number;
      unmatched: number;
      byPass: {
        improved: number;
        regressed: number;
        unchanged: number;
        improvedItems: string[];
        regressedItems: string[];
      };
      byScore: {
        improved: number;
        regressed: number;
        unchanged: number;
        improvedItems: string[];
        regressedItems: string[];
      };
      passRateA: number | null;
      passRateB: number | null;
      scoreA: components['schemas']['ScoreSummary'];
      scoreB: components['schemas']['ScoreSummary'];
      diff: number | null;
      ci95: [number, number] | null;
      bootstrap: {
        resamples: number;
        seed: number;
      };
      /**
       * @description What sets the runs apart: the target fields (dotted paths) whose values differ, with a's and b's values (null where one has none), as an experiment's variants show them; `{}` each when both targets are the same. Secret fields compare redacted.
       * @example {
       *       "a": {
       *         "config.params.temperature": 0
       *       },
       *       "b": {
       *         "config.params.temperature": 0.8
       *       }
       *     }
       */
      differences: {
        a: {
          [key: string]: unknown;
        };
        b: {
          [key: string]: unknown;
        };
      };
    };
    Rerun: {
      /**
       * @description `failed`: items whose result is `failed` or `cancelled`; `all`: every item
       * @default failed
       * @enum {string}
       */
      only?: 'failed' | 'all';
    };
    LatencyHistogram: {
      runId: string;
      count: number;
      minMs: number | null;
      maxMs: number | null;
      /** @enum {string} */
      scale: 'linear' | 'log';
      buckets: {
        fromMs: number;
        toMs: number;
        count: number;
      }[];
    };
    /** @description What an `openai` target item sends: the URL and JSON body (`model`, `messages`, params) as attempt 1 sends them, rendered from the run config and the item by the code the workers use; no headers (the API key is on the workers); secret fields `[redacted]`. */
    ItemRequest: {
      runId: string;
      itemIndex: number;
      itemId: string;
      target: string;
      /** @enum {string} */
      method: 'POST';
      url: string;
      body: {
        [key: string]: unknown;
      };
    };
    DatasetChange: components['schemas']['Dataset'] & {
      created: boolean;
    };
    DatasetVersion: {
      version: number;
      itemCount: number;
      /** @example sha256:3f2a9c0d1e4b5a6f */
      contentHash: string;
      createdAt: string;
    };
    Dataset: {
      id: string;
      name: string;
      project: string;
      latestVersion: number;
      createdAt: string;
      updatedAt: string;
      versions: components['schemas']['DatasetVersion'][];
    };
    CreateDataset: {
      /** @description Default: a new ULID */
      id?: string;
      name: string;
      items: components['schemas']['Item'][];
      privacy?: components['schemas']['Privacy'] & unknown;
    };
    DatasetList: {
      datasets: components['schemas']['Dataset'][];
      nextCursor: string | null;
    };
    DatasetItemList: {
      datasetId: string;
      version: number;
      items: {
        index: number;
        id: string;
        input?: unknown;
        expectedOutput?: unknown;
        metadata?: {
          [key: string]: unknown;
        };
      }[];
      nextCursor: string | null;
    };
    AddDatasetItems: {
      items: components['schemas']['Item'][];
      /**
       * @default append
       * @enum {string}
       */
      mode?: 'append' | 'replace';
      /** @description Rename the dataset */
      name?: string;
      privacy?: components['schemas']['Privacy'] & unknown;
    };
    ExperimentSummary: {
      id: string;
      project: string;
      name: string;
      /** @enum {string} */
      status: 'running' | 'completed' | 'failed' | 'cancelled';
      createdAt: string;
      datasetId: string | null;
      datasetVersion: string | null;
      trials: number;
      scorers: string[];
      incomplete: boolean;
      missingRunIds: string[];
      variants: components['schemas']['VariantSummary'][];
    };
    VariantSummary: {
      name: string;
      target: components['schemas']['TargetRef'];
      /**
       * @description What sets this variant apart: the target fields (dotted paths) whose values are not the same in every variant, with this variant's value (null where it has none); `{}` when all targets are the same. Secret fields compare redacted.
       * @example {
       *       "config.params.temperature": 0.8
       *     }
       */
      differences: {
        [key: string]: unknown;
      };
      runIds: string[];
      missingRunIds: string[];
      /** @enum {string} */
      status: 'running' | 'completed' | 'failed' | 'cancelled';
      totalItems: number;
      completedItems: number;
      scores: {
        [key: string]: components['schemas']['VariantScore'];
      };
      latencyMs: {
        p50: number | null;
        p90: number | null;
        p99: number | null;
      };
      usage: components['schemas']['Usage'];
      costUsd: number;
      unpriced: components['schemas']['Unpriced'];
      errors: {
        count: number;
        byType: {
          [key: string]: number;
        };
      };
      cancelled: number;
    };
    /** @description One scorer over every trial run of a variant: a run's ScoreSummary (passRate = passed / n items) plus its Wilson 95% interval and pass@k / pass^k. */
    VariantScore: components['schemas']['ScoreSummary'] & {
      ci95: [number, number] | null;
      n: number;
      passAtK?: number | null;
      passHatK?: number | null;
    };
    ExperimentSpec: {
      name: string;
      /** @description A run spec's dataset: `{ id?, version?, items: Item[] }` */
      dataset: {
        [key: string]: unknown;
      };
      variants: components['schemas']['Variant'][];
      /** @default [] */
      scorers?: components['schemas']['ScorerRef'][];
      execution?: components['schemas']['Execution'];
      /** @default 1 */
      trials?: number;
      retention?: {
        ttlSeconds?: number;
        keepLast?: number;
      };
      /** @default [] */
      tags?: string[];
      privacy?: components['schemas']['Privacy'];
    };
    Variant: {
      name: string;
      target: components['schemas']['TargetRef'];
      execution?: components['schemas']['Execution'];
      privacy?: components['schemas']['Privacy'];
    };
    ExperimentList: {
      experiments: {
        id: string;
        name: string;
        createdAt: string;
        datasetId: string | null;
        datasetVersion: string | null;
        trials: number;
        variants: {
          name: string;
          target: components['schemas']['TargetRef'];
          runIds: string[];
        }[];
      }[];
      nextCursor: string | null;
    };
    ExperimentReport: components['schemas']['ExperimentSummary'] & {
      items: {
        itemId: string;
        itemIndex: number;
        variants: {
          [key: string]: {
            trialIndex: number;
            /** @enum {string} */
            status: 'succeeded' | 'failed' | 'cancelled' | 'pending';
            passed: {
              [key: string]: boolean | null;
            };
          }[];
        };
      }[];
    };
    AuditList: {
      entries: components['schemas']['AuditEntry'][];
      nextCursor: string | null;
    };
    AuditEntry: {
      /**
       * @description Stream id `<ms>-<seq>`: unique, ordered by time
       * @example 1764547200000-0
       */
      id: string;
      /**
       * @description When it was recorded, ISO-8601 UTC
       * @example 2026-12-01T00:00:00.000Z
       */
      at: string;
      /**
       * @description `run.create`, `run.cancel`, `run.rerun`, `run.replay`, `run.delete`, `run.cleanup`, `run.import`, `dataset.create`, `dataset.push`, `dataset.delete`, `experiment.create`, `experiment.delete`, `key.create`, `key.revoke`
       * @example run.create
       */
      action: string;
      /**
       * @description Id of the API key that made the call (never the key): `env:<project>:<n>` or a stored key's id; null without keys, or for `runledger keys` changes made on Redis directly
       * @example env:team-a:0
       */
      keyId: string | null;
      /**
       * @description The object acted on: the route's id, else the id of what the call created; null when unknown (a refused create)
       * @example 01JZ8X6T2M3N4P5Q6R7S8T9V0W
       */
      objectId: string | null;
      /** @description What the call created besides its object (a rerun: the new run), else null */
      createdId: string | null;
      /** @description The `X-Request-Id` of the call; null for CLI changes */
      requestId: string | null;
      /**
       * @description Outcome: the HTTP status answered (403, 404, ... for refused calls)
       * @example 201
       */
      status: number;
      /**
       * @description `METHOD /path` of the call (no query), or the CLI command
       * @example POST /v1/runs
       */
      call: string;
      /**
       * @description `api`: made through the HTTP API; `cli`: by `runledger keys` on Redis directly
       * @enum {string}
       */
      source: 'api' | 'cli';
    };
    ApiKeyList: {
      keys: components['schemas']['ApiKey'][];
    };
    ApiKey: {
      /**
       * @description 12 hex characters
       * @example 3f9c2a71be04
       */
      id: string;
      /** @example team-a */
      project: string;
      /**
       * @description Free text label
       * @example ci runner
       */
      name: string;
      /**
       * @description What the key may do: read < write < admin
       * @enum {string}
       */
      role: 'read' | 'write' | 'admin';
      /** @description ISO-8601 UTC */
      createdAt: string;
    };
    CreatedApiKey: components['schemas']['ApiKey'] & {
      /**
       * @description The key itself: send it as `Authorization: Bearer <key>`; answered only this once
       * @example rl_team-a_Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg
       */
      key: string;
    };
    CreateApiKey: {
      /**
       * @description A label for listing
       * @default
       */
      name?: string;
      /**
       * @description The key’s role (default admin)
       * @default admin
       * @enum {string}
       */
      role?: 'read' | 'write' | 'admin';
    };
    Readiness: {
      /** @enum {string} */
      status: 'ready';
      /** @description Redis memory (`INFO memory`) */
      redis: {
        /** @example 52428800 */
        usedMemoryBytes: number;
        /**
         * @description `maxmemory`; 0: no limit
         * @example 1073741824
         */
        maxMemoryBytes: number;
        /** @description False above the high-water mark: new runs and dataset versions get 503 */
        admitting: boolean;
      };
    };
    WorkerList: {
      workers: components['schemas']['Worker'][];
    };
    Worker: {
      id: string;
      host: string;
      pid: number;
      targets: {
        name: string;
        description: string;
        configSchema?: {
          [key: string]: unknown;
        };
      }[];
      scorers: {
        name: string;
        description: string;
      }[];
      concurrency: number;
      inFlight: number;
      startedAt: string;
      heartbeatAt: string;
    };
    QueueList: {
      /** @description When the figures were read (ISO 8601) */
      at: string;
      /**
       * @description Width of a throughput bucket, ms
       * @example 60000
       */
      bucketMs: number;
      /** @description One entry per target submitted to or served by a live worker, by name */
      queues: components['schemas']['QueueStats'][];
    };
    QueueStats: {
      /** @example echo */
      target: string;
      /**
       * @description Live workers serving the target
       * @example 2
       */
      workers: number;
      /**
       * @description Chunk jobs in the target's BullMQ queue (`items.<target>`) by state. Chunk jobs carry a priority, so queued ones are `prioritized`; `active` ones are held by a worker; `delayed` ones wait for a retry of the whole chunk.
       * @example {
       *       "waiting": 0,
       *       "prioritized": 12,
       *       "active": 2,
       *       "delayed": 0
       *     }
       */
      jobs: {
        waiting: number;
        prioritized: number;
        active: number;
        delayed: number;
      };
      /**
       * @example {
       *       "runs": 1,
       *       "items": 1400
       *     }
       */
      pending: {
        /** @description Runs `queued` or `running` */
        runs: number;
        /** @description Their items without a result yet (queued or in flight) */
        items: number;
      };
      /** @description Items recorded by workers (succeeded, failed or cancelled in flight), counted in Redis per minute for the whole fleet; each item counts once */
      throughput: {
        /**
         * @description Items recorded in the current and previous minute over the seconds since the previous minute's start; when the previous minute recorded none, the current minute's items over the seconds since its start
         * @example 23.5
         */
        itemsPerSecond: number;
        /** @description One bucket per minute, oldest first; the last is the current, partial minute */
        buckets: {
          /** @description Start of the minute (ISO 8601) */
          start: string;
          /** @description Items recorded in that minute */
          items: number;
        }[];
      };
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  cleanupRuns: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CleanupRuns'];
      };
    };
    responses: {
      /** @description The runs deleted, or that would be */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CleanupResult'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Unsupported Content-Type */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (maxmemory reached); nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  snapshotRun: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The snapshot (application/x-ndjson, Content-Disposition: attachment) */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {"type":"run","format":1,"run":{"id":"01JZ8X6T2M3N4P5Q6R7S8T9V0W"},"hash":{},"errtypes":{},"reruns":[]}
           *     {"type":"result","index":0,"item":{"id":"0","input":"hi"},"result":{"status":"succeeded","attempts":1,"output":"hi"},"latencyMs":3}
           *     {"type":"event","id":"1764600000000-0","fields":["type","status","data","{\"status\":\"queued\"}"]}
           *     {"type":"digest","sha256":"9f2c...","lines":3}
           */
          'application/x-ndjson': string;
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  importRun: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/x-ndjson': string;
      };
    };
    responses: {
      /** @description The restored run */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Run'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Request body too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Unsupported Content-Type */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (maxmemory reached); nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listRuns: {
    parameters: {
      query?: {
        status?: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
        target?: string;
        /** @description The run's `target.config.model`, exactly (the models `byModel` groups by) */
        model?: string;
        datasetId?: string;
        tag?: string;
        /** @description Case-insensitive substring of the run's name or id */
        q?: string;
        /** @description createdAt >= since (ISO-8601 or ms) */
        since?: string;
        /** @description createdAt <= until (ISO-8601 or ms) */
        until?: string;
        limit?: number;
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of runs */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RunList'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  createRun: {
    parameters: {
      query?: never;
      header?: {
        /** @description Same key within 24 h: the same run is returned (200, Idempotent-Replayed: true) */
        'idempotency-key'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['RunSpec'];
        'application/x-ndjson': string;
      };
    };
    responses: {
      /** @description Idempotent replay: the run created earlier with this Idempotency-Key */
      200: {
        headers: {
          'Idempotent-Replayed'?: 'true';
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Run'];
        };
      };
      /** @description Run created */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Run'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Request body too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Unsupported Content-Type */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Also answered before anything is written while Redis memory is above `RUNLEDGER_REDIS_MEMORY_HIGH_WATER` of `maxmemory` (admission control). Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis memory is at 93.5% of maxmemory (979369574 of 1047527424 bytes), above the high-water mark of 90% (RUNLEDGER_REDIS_MEMORY_HIGH_WATER): new runs and dataset versions are refused so running runs can finish; nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  aggregateRuns: {
    parameters: {
      query?: {
        status?: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
        target?: string;
        /** @description The run's `target.config.model`, exactly (the models `byModel` groups by) */
        model?: string;
        datasetId?: string;
        tag?: string;
        /** @description Case-insensitive substring of the run's name or id */
        q?: string;
        /** @description createdAt >= since (ISO-8601 or ms) */
        since?: string;
        /** @description createdAt <= until (ISO-8601 or ms) */
        until?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The totals and groups */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RunAggregate'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  getRun: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The run */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Run'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  deleteRun: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (maxmemory reached); nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listRunResults: {
    parameters: {
      query?: {
        /** @description only results with this status (with `effective=true`: the effective status) */
        status?: 'succeeded' | 'failed' | 'cancelled';
        /** @description `true`: per item, the latest result across the run and its reruns (recursively; a later rerun wins, `runId` names the run each result came from), and the answer's `effective` counters and scores */
        effective?: 'true' | 'false';
        /** @description Case-insensitive substring of the item id, or of the input, output, expected output (strings as they are, other values as JSON) or error message. Scans at most 2,000 items per request: a page may hold fewer than `limit` results with a non-null `nextCursor`; follow it until it is null. */
        q?: string;
        /** @description `latency` / `-latency` (ms, ascending / descending; items that ran), `score:<scorer>` / `-score:<scorer>` (items scored by that scorer of the run). Default: item order. Items without the sort key are left out; `-` is the exact reverse of the ascending order. The score order of a run still queued or running is refreshed at most every 5 s: its sorted pages may lag the newest results by up to 5 s (a finished run is exact). */
        sort?: string;
        /** @description With `passed`: filter by this scorer of the run (a name the run does not score with is a 400 naming `scorer`). */
        scorer?: string;
        /** @description With `scorer`: `true` keeps results that passed the scorer; `false` keeps every other result, also those without its score (the item failed or was cancelled, or the scorer errored), as the run's `passRate = passed / totalItems` counts them. Items without a result are not listed. The same bounded scan as `q`: short pages with a `nextCursor` are normal. */
        passed?: 'true' | 'false';
        limit?: number;
        /** @description `nextCursor` of the previous page, with the same `sort` (a cursor of another sort is a 400) */
        cursor?: string;
      };
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of results */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ResultList'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  cancelRun: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The cancelled run */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Run'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (maxmemory reached); nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  streamRunEvents: {
    parameters: {
      query?: {
        lastEventId?: string;
      };
      header?: {
        'last-event-id'?: string;
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Server-Sent Events: `status` (data `RunStatusEventData`) and `progress` (data `RunProgressEventData`), each with its `id` */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/event-stream':
            | {
                /**
                 * @description The SSE `event:` field
                 * @constant
                 */
                event: 'status';
                /** @description The SSE `id:` field: send it back as `Last-Event-ID` to resume after it */
                id: string;
                /** @description The SSE `data:` field: JSON text of `RunStatusEventData` */
                data: string;
              }
            | {
                /**
                 * @description The SSE `event:` field
                 * @constant
                 */
                event: 'progress';
                /** @description The SSE `id:` field: send it back as `Last-Event-ID` to resume after it */
                id: string;
                /** @description The SSE `data:` field: JSON text of `RunProgressEventData` */
                data: string;
              };
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  compareRuns: {
    parameters: {
      query?: {
        /** @description the scorer to compare by; default: run a's first scorer */
        scorer?: string;
        seed?: number | null;
      };
      header?: never;
      path: {
        /** @description baseline run id */
        a: string;
        /** @description candidate run id */
        b: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The comparison */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Compare'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  rerunRun: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': components['schemas']['Rerun'];
      };
    };
    responses: {
      /** @description The new run */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Run'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Also answered before anything is written while Redis memory is above `RUNLEDGER_REDIS_MEMORY_HIGH_WATER` of `maxmemory` (admission control). Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis memory is at 93.5% of maxmemory (979369574 of 1047527424 bytes), above the high-water mark of 90% (RUNLEDGER_REDIS_MEMORY_HIGH_WATER): new runs and dataset versions are refused so running runs can finish; nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  replayRun: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The new run */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Run'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Also answered before anything is written while Redis memory is above `RUNLEDGER_REDIS_MEMORY_HIGH_WATER` of `maxmemory` (admission control). Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis memory is at 93.5% of maxmemory (979369574 of 1047527424 bytes), above the high-water mark of 90% (RUNLEDGER_REDIS_MEMORY_HIGH_WATER): new runs and dataset versions are refused so running runs can finish; nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  exportRunResultsJsonl: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description application/x-ndjson, Content-Disposition: attachment */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/x-ndjson': string;
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  exportRunResultsCsv: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description text/csv, Content-Disposition: attachment */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/csv': string;
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  getRunLatencyHistogram: {
    parameters: {
      query?: {
        /** @description How many buckets (log-spaced when max / min >= 20) */
        buckets?: number;
      };
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The histogram */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['LatencyHistogram'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  getItemRequest: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description the run id */
        id: string;
        /** @description the item's index in the run */
        index: number | null;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The item's request */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ItemRequest'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listDatasets: {
    parameters: {
      query?: {
        limit?: number;
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of datasets */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['DatasetList'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  createDataset: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateDataset'];
        'application/x-ndjson': string;
      };
    };
    responses: {
      /** @description Created, with version 1 (`created: true`) */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['DatasetChange'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Request body too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Unsupported Content-Type */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Also answered before anything is written while Redis memory is above `RUNLEDGER_REDIS_MEMORY_HIGH_WATER` of `maxmemory` (admission control). Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis memory is at 93.5% of maxmemory (979369574 of 1047527424 bytes), above the high-water mark of 90% (RUNLEDGER_REDIS_MEMORY_HIGH_WATER): new runs and dataset versions are refused so running runs can finish; nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  getDataset: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The dataset */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Dataset'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  deleteDataset: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (maxmemory reached); nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listDatasetVersionItems: {
    parameters: {
      query?: {
        limit?: number;
        cursor?: string;
      };
      header?: never;
      path: {
        id: string;
        /** @description `3`, `v3` or `latest` */
        version: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of items */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['DatasetItemList'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  addDatasetVersion: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['AddDatasetItems'];
        'application/x-ndjson': string;
      };
    };
    responses: {
      /** @description Unchanged content: the latest version already holds exactly these items (`created: false`); nothing was added */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['DatasetChange'];
        };
      };
      /** @description The dataset with its new version (`created: true`) */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['DatasetChange'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Conflict with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Request body too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Also answered before anything is written while Redis memory is above `RUNLEDGER_REDIS_MEMORY_HIGH_WATER` of `maxmemory` (admission control). Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis memory is at 93.5% of maxmemory (979369574 of 1047527424 bytes), above the high-water mark of 90% (RUNLEDGER_REDIS_MEMORY_HIGH_WATER): new runs and dataset versions are refused so running runs can finish; nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listExperiments: {
    parameters: {
      query?: {
        limit?: number;
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of experiments */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ExperimentList'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  createExperiment: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['ExperimentSpec'];
      };
    };
    responses: {
      /** @description Experiment created (its summary) */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ExperimentSummary'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Request body too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Also answered before anything is written while Redis memory is above `RUNLEDGER_REDIS_MEMORY_HIGH_WATER` of `maxmemory` (admission control). Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis memory is at 93.5% of maxmemory (979369574 of 1047527424 bytes), above the high-water mark of 90% (RUNLEDGER_REDIS_MEMORY_HIGH_WATER): new runs and dataset versions are refused so running runs can finish; nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  getExperiment: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The summary */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ExperimentSummary'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  deleteExperiment: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (maxmemory reached); nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  getExperimentReport: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The report */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ExperimentReport'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listAudit: {
    parameters: {
      query?: {
        /** @description Only entries recorded at or after this time (ISO-8601 or ms since epoch) */
        since?: string;
        /** @description Only entries of this action */
        action?: string;
        limit?: number;
        /** @description `nextCursor` of the previous page: older entries */
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of entries; `nextCursor` null on the last page */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "entries": [
           *         {
           *           "id": "1764547200000-0",
           *           "at": "2026-12-01T00:00:00.000Z",
           *           "action": "run.create",
           *           "keyId": "env:team-a:0",
           *           "objectId": "01JZ8X6T2M3N4P5Q6R7S8T9V0W",
           *           "createdId": null,
           *           "requestId": "5f0e8d52-3e1b-4d5e-9c39-0b1f8f6f2a11",
           *           "status": 201,
           *           "call": "POST /v1/runs",
           *           "source": "api"
           *         }
           *       ],
           *       "nextCursor": null
           *     }
           */
          'application/json': components['schemas']['AuditList'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listApiKeys: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Keys, oldest first */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ApiKeyList'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  createApiKey: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: {
      content: {
        /**
         * @example {
         *       "name": "ci",
         *       "role": "write"
         *     }
         */
        'application/json': components['schemas']['CreateApiKey'];
      };
    };
    responses: {
      /** @description Created */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CreatedApiKey'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Request body too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (maxmemory reached); nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  revokeApiKey: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Revoked */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Redis cannot take the write now: out of memory (`OOM`), a read-only replica during a failover, loading, or unreachable; `detail` names the cause. Nothing partial is left. Retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (maxmemory reached); nothing was written"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  health: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Up */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {string} */
            status: 'ok';
          };
        };
      };
      /** @description Any client error, as a problem (this route takes no input it could reject) */
      '4XX': {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  ready: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Ready */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Readiness'];
        };
      };
      /** @description Redis unreachable or out of memory (`detail` says which; `Retry-After` in seconds) */
      503: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:runledger:problem:unavailable",
           *       "title": "Service Unavailable",
           *       "status": 503,
           *       "detail": "Redis is out of memory (used_memory 104857600 >= maxmemory 104857600)",
           *       "instance": "/readyz"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Any client error, as a problem (this route takes no input it could reject) */
      '4XX': {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  metrics: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Prometheus text exposition format 0.0.4 */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/plain': string;
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Not found (a resource of another project answers 404 too) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Any client error, as a problem (this route takes no input it could reject) */
      '4XX': {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listWorkers: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Live workers */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['WorkerList'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  listQueues: {
    parameters: {
      query?: {
        /** @description Throughput buckets to return: the last N minutes, the current one included (1-60) */
        minutes?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description One entry per target, by name */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "at": "2026-12-01T15:30:12.000Z",
           *       "bucketMs": 60000,
           *       "queues": [
           *         {
           *           "target": "echo",
           *           "workers": 1,
           *           "jobs": {
           *             "waiting": 0,
           *             "prioritized": 12,
           *             "active": 2,
           *             "delayed": 0
           *           },
           *           "pending": {
           *             "runs": 1,
           *             "items": 1400
           *           },
           *           "throughput": {
           *             "itemsPerSecond": 23.5,
           *             "buckets": [
           *               {
           *                 "start": "2026-12-01T15:29:00.000Z",
           *                 "items": 1410
           *               },
           *               {
           *                 "start": "2026-12-01T15:30:00.000Z",
           *                 "items": 282
           *               }
           *             ]
           *           }
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['QueueList'];
        };
      };
      /** @description Invalid request: `errors[]` lists every offending field by dotted path */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Missing or unknown API key (sent once any key is configured) */
      401: {
        headers: {
          /** @description The bearer challenge */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description The API key's role does not allow this call: `detail` names the role it needs (read < write < admin) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description Rate limit or in-flight limit reached: retry after `Retry-After` seconds */
      429: {
        headers: {
          /** @description Seconds to wait before retrying */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
}
