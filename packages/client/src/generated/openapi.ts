/**
 * Generated from the runledger API's OpenAPI document (GET /openapi.json) by
 * packages/client/scripts/generate.ts (openapi-typescript). Do not edit: run
 * `npm run generate -w @runledger/client`; test/client-generated.test.ts fails when stale.
 */
export interface paths {
  '/v1/runs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List runs, newest first */
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
     * List a run's results in item order
     * @description Pages in item order: without `status` a page covers item indexes `[cursor, cursor+limit)` (results not landed yet are absent); with `status` the next `limit` matching results. With `effective=true` each item shows its latest result across the run and its reruns (`POST /v1/runs/:id/rerun`, `/replay`, recursively; a later rerun wins; `runId` says which run, `itemIndex` is the index in this run), `status` filters the effective status, and `effective` gives `{ runIds, totalItems, succeeded, failed, cancelled, pending, scores }` over every item: what the run scores once its reruns repaired failures.
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
    /** Create a dataset (version 1) */
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
     * @description `append`: the latest items followed by the given ones (ids must stay unique: 400 at `items.N.id`); `replace`: the given items only. When the new content hash equals the latest version's, no version is added: 200 with the dataset as it is and `created: false` (a `name` still renames). 409 when another version was added meanwhile.
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
     * Readiness: Redis answers PING
     * @description No API key needed. 503 when Redis does not answer PING within 2000 ms.
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
     * @description No API key needed (keep it off the public network): runs by status, queue depths, HTTP latency.
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
        ttlSeconds: number;
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
      };
      createdAt: string;
      startedAt: string | null;
      completedAt: string | null;
      expiresAt: string | null;
      error: string | null;
      traceId: string | null;
      privacy: components['schemas']['ScrubPolicy'];
      experimentId?: string;
      variant?: string;
      trialIndex?: number;
    };
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
    ScrubPolicy: {
      scrub: ('secret' | 'email' | 'card' | 'ip' | 'phone')[];
      patterns: {
        name: string;
        regex: string;
        flags?: string;
      }[];
      phoneRegion: string;
    } | null;
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
        ttlSeconds: number;
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
        ttlSeconds: number;
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
         * @description Items recorded in the current and previous minute over the seconds since the previous minute's start
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
  listRuns: {
    parameters: {
      query?: {
        status?: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
        target?: string;
        datasetId?: string;
        tag?: string;
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
  listRunResults: {
    parameters: {
      query?: {
        /** @description only results with this status (with `effective=true`: the effective status) */
        status?: 'succeeded' | 'failed' | 'cancelled';
        /** @description `true`: per item, the latest result across the run and its reruns (recursively; a later rerun wins, `runId` names the run each result came from), and the answer's `effective` counters and scores */
        effective?: 'true' | 'false';
        limit?: number;
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
          'application/json': {
            /** @enum {string} */
            status: 'ready';
          };
        };
      };
      /** @description Redis unreachable */
      503: {
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
