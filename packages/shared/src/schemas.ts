/**
 * zod schemas: the one source for request validation, TypeScript types and the OpenAPI document.
 * `z` comes from `@hono/zod-openapi` so every schema can carry `.openapi()` metadata.
 */
import { z } from '@hono/zod-openapi';
import { type MaskCounts, PrivacySchema, type ScrubPolicy, ScrubPolicySchema } from './scrub.js';

/** Names of targets, scorers and projects: letters, digits, `_`, `-`, `.`; 1-64 chars. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Names of targets and scorers: `NAME_PATTERN` (also used in queue names). */
export const NameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be 1-64 letters, digits, "_", "-" or "."');

/** A dataset version reference: `3` or `v3`. */
export const DATASET_VERSION_PATTERN = /^v?([1-9]\d{0,8})$/;

/** Parses `3` / `v3` into 3; null when it is not a version number. */
export function parseDatasetVersion(value: string): number | null {
  const m = DATASET_VERSION_PATTERN.exec(value);
  return m ? Number(m[1]) : null;
}

const JsonRecord = z.record(z.string(), z.unknown());
const presentUnknown = (what: string) =>
  z.unknown().refine((v) => v !== undefined, { message: `${what} is required` });

/** One dataset entry. `id` defaults to the item's index as a string. */
export const ItemSchema = z
  .object({
    id: z.string().min(1).max(256).optional(),
    input: presentUnknown('input'),
    expectedOutput: z.unknown().optional(),
    metadata: JsonRecord.optional(),
  })
  .strict()
  .openapi('Item');
export type Item = z.infer<typeof ItemSchema>;

/** An item as stored: its id is always set. */
export interface StoredItem {
  id: string;
  input: unknown;
  expectedOutput?: unknown;
  metadata?: Record<string, unknown>;
  /** Values the run's privacy policy masked in this item at submission, per kind (./scrub.ts). */
  masked?: MaskCounts;
}

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
/** `queued -> running -> completed | failed | cancelled`; the last three are terminal. */
export type RunStatus = z.infer<typeof RunStatusSchema>;
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

export const RESULT_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;
export const ResultStatusSchema = z.enum(RESULT_STATUSES);
export type ResultStatus = z.infer<typeof ResultStatusSchema>;

/** Config schemas of the built-in scorers; registered scorers take any object. */
export const BUILTIN_SCORER_CONFIGS = {
  exact_match: z
    .object({ caseSensitive: z.boolean().default(true), trim: z.boolean().default(false) })
    .strict(),
  contains: z
    .object({ value: z.string().optional(), caseSensitive: z.boolean().default(true) })
    .strict(),
  regex: z
    .object({
      pattern: z.string().min(1).refine(isValidRegex, 'must be a valid regular expression'),
      flags: z
        .string()
        .regex(/^[dgimsuyv]*$/, 'must be JavaScript regex flags')
        .default(''),
    })
    .strict(),
  json_equal: z.object({}).strict(),
  numeric_close: z
    .object({
      tolerance: z.number().nonnegative().default(1e-6),
      relative: z.boolean().default(false),
    })
    .strict(),
} as const;
export type BuiltinScorerName = keyof typeof BUILTIN_SCORER_CONFIGS;

/**
 * True when the built-in scorer `ref` compares each output with its item's `expectedOutput`:
 * `exact_match`, `json_equal`, `numeric_close`, and `contains` without `config.value`. False for
 * `regex` and for scorers registered by workers (what they read is not known here).
 */
export function comparesWithExpected(ref: ScorerRef): boolean {
  switch (ref.name) {
    case 'exact_match':
    case 'json_equal':
    case 'numeric_close':
      return true;
    case 'contains':
      return typeof ref.config?.value !== 'string';
    default:
      return false;
  }
}
export const BUILTIN_SCORERS = Object.keys(BUILTIN_SCORER_CONFIGS) as BuiltinScorerName[];

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export const ScorerRefSchema = z
  .object({ name: NameSchema, config: JsonRecord.optional() })
  .strict()
  .superRefine((scorer, ctx) => {
    const schema = BUILTIN_SCORER_CONFIGS[scorer.name as BuiltinScorerName];
    if (!schema) return;
    const parsed = schema.safeParse(scorer.config ?? {});
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        // one error per unknown key, at its own path, naming the keys the scorer takes (as a
        // target config's are reported)
        const allowed = Object.keys(schema.shape);
        for (const key of issue.keys) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown config key "${key}" for scorer "${scorer.name}" (${allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'it takes none'})`,
            path: ['config', ...issue.path, key],
          });
        }
        continue;
      }
      ctx.addIssue({ code: 'custom', message: issue.message, path: ['config', ...issue.path] });
    }
  })
  .openapi('ScorerRef');
export type ScorerRef = z.infer<typeof ScorerRefSchema>;

export const ExecutionSchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20).default(3),
    backoff: z
      .object({
        type: z.enum(['fixed', 'exponential']).default('exponential'),
        delayMs: z.number().int().min(0).max(600_000).default(1000),
      })
      .strict()
      .default({ type: 'exponential', delayMs: 1000 }),
    timeoutMs: z.number().int().min(1).max(3_600_000).default(60_000),
    concurrency: z.number().int().min(1).max(10_000).optional(),
    /**
     * Budget: the run ends `failed` once its total `costUsd` reaches this (USD, > 0), or at its
     * first result with token usage and no price (`Run.unpriced`: the budget cannot be counted).
     */
    maxCostUsd: z.number().positive().max(1_000_000).optional(),
    /** Budget: the run ends `failed` once this many items failed (>= 1). */
    maxFailures: z.number().int().min(1).optional(),
    /**
     * Accept the run even when no live worker serves its target (it waits for one, up to
     * `RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS`); without it such a run is refused at submit.
     */
    waitForWorkers: z
      .boolean()
      .optional()
      .openapi({
        description:
          'Accept the run even when no live worker serves its target: it stays queued until one ' +
          'does (failed after RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS). Default: refused at submit.',
      }),
  })
  .strict()
  .openapi('Execution');
/**
 * Per-item execution policy. Units: ms. `concurrency`: max items of this run in flight across the
 * whole fleet; `maxCostUsd` (USD) and `maxFailures` end the run `failed` when reached.
 */
export type Execution = z.infer<typeof ExecutionSchema>;

export const TargetRefSchema = z
  .object({ name: NameSchema, config: JsonRecord.optional() })
  .strict()
  .openapi('TargetRef');
export type TargetRef = z.infer<typeof TargetRefSchema>;

/**
 * Everything of a run spec but its items (the first line of an NDJSON submission). Request
 * objects are strict: a field the API does not know (a typo such as `scorerz`) is a 400 naming
 * it, not silently dropped.
 */
export const RunSpecHeaderSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  target: TargetRefSchema,
  dataset: z
    .strictObject({
      id: z.string().min(1).max(200).optional(),
      version: z.string().min(1).max(200).optional(),
    })
    .default({}),
  scorers: z.array(ScorerRefSchema).max(20).default([]),
  execution: ExecutionSchema.default({
    maxAttempts: 3,
    backoff: { type: 'exponential', delayMs: 1000 },
    timeoutMs: 60_000,
  }),
  retention: z
    .strictObject({
      ttlSeconds: z
        .number()
        .int()
        .min(60)
        .max(365 * 24 * 3600)
        .optional(),
      /**
       * Keep only the newest N finished runs of this project with this target name and dataset
       * id: when this run finishes, older finished ones beyond N are deleted (default
       * `RUNLEDGER_RETENTION_KEEP_LAST`; running runs are never pruned).
       */
      keepLast: z.number().int().min(1).max(100_000).optional(),
    })
    .optional(),
  tags: z.array(z.string().min(1).max(64)).max(20).default([]),
  metadata: JsonRecord.default({}),
  /** PII scrubbing of the run's items, outputs and errors (default `RUNLEDGER_SCRUB`); ./scrub.ts. */
  privacy: PrivacySchema.optional(),
});
export type RunSpecHeader = z.infer<typeof RunSpecHeaderSchema>;

/** Builds the full create-run schema for a given item limit (the limit comes from config). */
export function createRunSpecSchema(maxItems: number) {
  return RunSpecHeaderSchema.extend({
    dataset: z.strictObject({
      id: z.string().min(1).max(200).optional(),
      version: z.string().min(1).max(200).optional(),
      /** Inline items; without them `dataset.id` names a stored dataset (`version`: `3`/`v3`, default latest). */
      items: z.array(ItemSchema).min(1).max(maxItems).optional(),
    }),
  })
    .superRefine((spec, ctx) => {
      if (spec.dataset.items === undefined) {
        if (spec.dataset.id === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: 'dataset.items is required unless dataset.id names a stored dataset',
            path: ['dataset', 'items'],
          });
        } else if (
          spec.dataset.version !== undefined &&
          parseDatasetVersion(spec.dataset.version) === null
        ) {
          ctx.addIssue({
            code: 'custom',
            message: 'a stored dataset version is a number (`3` or `v3`)',
            path: ['dataset', 'version'],
          });
        }
        return;
      }
      const seen = new Map<string, number>();
      spec.dataset.items.forEach((item, index) => {
        const id = item.id ?? String(index);
        const first = seen.get(id);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `duplicate item id "${id}" (first at index ${first})`,
            path: ['dataset', 'items', index, 'id'],
          });
        } else seen.set(id, index);
      });
    })
    .openapi('RunSpec');
}
export const RunSpecSchema = createRunSpecSchema(1_000_000);
export type RunSpec = z.infer<typeof RunSpecSchema>;

/** What the worker needs of a run, stored once in the run hash as `spec`. */
export interface StoredSpec {
  target: TargetRef;
  scorers: ScorerRef[];
  execution: Execution;
  /** The scrub policy resolved at submit (absent: nothing is scrubbed). */
  privacy?: ScrubPolicy;
}

export const LatencySchema = z
  .object({
    p50: z.number().nullable(),
    p90: z.number().nullable(),
    p99: z.number().nullable(),
    mean: z.number().nullable(),
    max: z.number().nullable(),
  })
  .openapi('Latency', {
    description:
      "Item latencies in ms over the run's items that ran; null before any. p50/p90/p99: " +
      "nearest-rank percentiles read from the run's log histogram (1% buckets): within 1% of " +
      'the exact value; mean and max are exact.',
  });
/** Item latency figures in ms (nearest-rank percentiles over items that ran, within 1%; mean and max exact); null before any. */
export type Latency = z.infer<typeof LatencySchema>;

export const UsageSchema = z
  .object({
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    /** The model that produced the tokens (results only; priced by `RUNLEDGER_PRICES`). */
    model: z.string().optional(),
  })
  .openapi('Usage');
export type Usage = z.infer<typeof UsageSchema>;

/**
 * Results recorded with token usage and no cost: no price for their model in the workers'
 * `RUNLEDGER_PRICES`, and none reported by the target. `costUsd` leaves their tokens out.
 */
export const UnpricedSchema = z
  .object({
    /** How many results are unpriced. */
    results: z.number().int(),
    /** The model of the first unpriced result recorded; null when it had none (or none is unpriced). */
    model: z.string().nullable(),
  })
  .openapi('Unpriced', {
    description:
      "Results recorded with token usage and no cost (no price for their model in the workers' `RUNLEDGER_PRICES`, none reported by the target): `costUsd` leaves their tokens out, and a run with `execution.maxCostUsd` ends `failed` at the first one (`budget cannot be enforced`). `model`: the first one's model, null when it had none.",
    example: { results: 0, model: null },
  });
export type Unpriced = z.infer<typeof UnpricedSchema>;

export const ScoreSummarySchema = z
  .object({
    /** Mean score over scored items; null when none was scored. */
    mean: z.number().nullable(),
    /** Items scored by this scorer that passed. */
    passed: z.number().int(),
    /** Items scored by this scorer that did not pass. */
    failed: z.number().int(),
    /** Items with a result but no score from this scorer (failed to execute, cancelled, scorer error). */
    errors: z.number().int(),
    /** `passed / totalItems`: items not executed, cancelled or not done yet count as not passed; null when there is no item. */
    passRate: z.number().nullable(),
    /** `passed / (passed + failed)`: among scored items only; null when none was scored. */
    passRateOfScored: z.number().nullable(),
  })
  .openapi('ScoreSummary', {
    description:
      'One scorer over a run. `passRate = passed / totalItems` is THE pass rate (see `summarizeScore` in stats.ts); `passRateOfScored` is shown beside it.',
  });
/** One scorer's summary: see `summarizeScore` (stats.ts), the single definition of the pass rate. */
export type ScoreSummary = z.infer<typeof ScoreSummarySchema>;

export const ErrorTypeSchema = z
  .object({
    /** `error.type` of the failed results (`unknown` when a failed result has no error). */
    type: z.string(),
    /** Failed items with this type. */
    count: z.number().int(),
    /** The full message of the first failed item of this type that was recorded. */
    message: z.string(),
  })
  .openapi('ErrorType');
/** Failed items of a run grouped by `error.type` (cancelled items are not failures). */
export type ErrorType = z.infer<typeof ErrorTypeSchema>;

export const RunSchema = z
  .object({
    id: z.string(),
    /** The project of the API key that created the run (`default` when the API has no keys). */
    project: z.string(),
    name: z.string().nullable(),
    status: RunStatusSchema,
    target: TargetRefSchema,
    scorers: z.array(ScorerRefSchema),
    execution: ExecutionSchema,
    datasetId: z.string().nullable(),
    datasetVersion: z.string().nullable(),
    /** `sha256:<16 hex>` of the run's dataset version's items (stored version or inline items). */
    datasetHash: z.string().nullable(),
    /** The run this one reruns (`POST /v1/runs/:id/rerun`), else null. */
    parentRunId: z.string().nullable(),
    totalItems: z.number().int(),
    succeededCount: z.number().int(),
    failedCount: z.number().int(),
    cancelledCount: z.number().int(),
    progress: z.number().min(0).max(1),
    latencyMs: LatencySchema,
    usage: UsageSchema,
    costUsd: z.number(),
    unpriced: UnpricedSchema,
    scores: z.record(z.string(), ScoreSummarySchema),
    /** Failed items grouped by `error.type`, by count (descending) then type. */
    errorTypes: z.array(ErrorTypeSchema),
    /** Runs created by `POST /v1/runs/:id/rerun` or `/replay` of this run, oldest first (deleted ones left out). */
    reruns: z.array(z.string()),
    tags: z.array(z.string()),
    metadata: JsonRecord,
    retention: z.object({
      ttlSeconds: z.number().int(),
      /** `retention.keepLast` resolved at submit (absent: no count limit). */
      keepLast: z.number().int().optional(),
    }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    error: z.string().nullable(),
    /**
     * The status a run is being ended with while its remaining items are recorded as cancelled
     * (a cancel, a budget stop or the reconciler's failure of a large run: slices of
     * `RUNLEDGER_FINISH_SLICE_ITEMS`, about 3 s for a million items); `status` stays `queued` or
     * `running` meanwhile and no item starts. Null otherwise.
     */
    ending: z.enum(['cancelled', 'failed']).nullable().openapi({
      description:
        'The status the run is being ended with while its remaining items are recorded as cancelled (a cancel, a budget stop or a reconciler failure of a large run takes a few seconds); `status` stays `queued` or `running` meanwhile and no item starts. Null otherwise.',
    }),
    /**
     * OpenTelemetry trace id (32 hex characters) of the request that created the run, whose trace
     * holds the run's chunk jobs and item attempts; null when tracing was off (or not sampled).
     */
    traceId: z.string().nullable(),
    /**
     * What is scrubbed before the run's data is stored (its `privacy` option, else
     * `RUNLEDGER_SCRUB`); null: nothing.
     */
    privacy: ScrubPolicySchema.nullable().openapi({
      description:
        "What is masked before the run's data is stored: its `privacy` option resolved at submit (else `RUNLEDGER_SCRUB`); null when nothing is. See Result.masked.",
      example: { scrub: ['email', 'card'], patterns: [], phoneRegion: 'US' },
    }),
    /** Set only on runs created by an experiment (`POST /v1/experiments`). */
    experimentId: z.string().optional(),
    /** The experiment variant this run belongs to (experiment runs only). */
    variant: z.string().optional(),
    /** 0-based trial of the variant (experiment runs only). */
    trialIndex: z.number().int().optional(),
  })
  .openapi('Run');
/** A run as the API returns it. Times are ISO-8601 UTC; `costUsd` in USD. */
export type Run = z.infer<typeof RunSchema>;

export const ResultErrorSchema = z
  .object({ message: z.string(), type: z.string(), status: z.number().int().optional() })
  .openapi('ResultError');
export type ResultError = z.infer<typeof ResultErrorSchema>;

export const ItemScoreSchema = z.object({ score: z.number(), passed: z.boolean() });
export type ItemScore = z.infer<typeof ItemScoreSchema>;

/** The outcome of one item as stored in the results hash (joined with its item on read). */
export interface StoredResult {
  status: ResultStatus;
  output?: unknown;
  error?: ResultError;
  attempts: number;
  latencyMs?: number;
  queueMs?: number;
  startedAt?: number;
  completedAt?: number;
  usage?: Usage;
  costUsd?: number;
  scores?: Record<string, ItemScore>;
  workerId?: string;
  /** Values masked in `output` and `error` by the run's privacy policy, per kind. */
  masked?: MaskCounts;
}

export const ResultSchema = z
  .object({
    runId: z.string(),
    itemId: z.string(),
    itemIndex: z.number().int(),
    status: ResultStatusSchema,
    input: z.unknown(),
    expectedOutput: z.unknown().nullable(),
    metadata: JsonRecord.nullable(),
    output: z.unknown().nullable(),
    error: ResultErrorSchema.nullable(),
    attempts: z.number().int(),
    latencyMs: z.number().nullable(),
    queueMs: z.number().nullable(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    usage: UsageSchema.nullable(),
    costUsd: z.number().nullable(),
    scores: z.record(z.string(), ItemScoreSchema),
    workerId: z.string().nullable(),
    masked: z.record(z.string(), z.number().int()).openapi({
      description:
        "Values the run's privacy policy masked, per kind (`email`, `phone`, `card`, `ip`, `secret`, or a custom pattern's name): in the item at submission plus in the output and error when the result was recorded. `{}` when none.",
      example: { email: 2 },
    }),
    /** The trial of the result's run (experiment runs with `trials`; absent on other runs). */
    trialIndex: z.number().int().optional(),
  })
  .openapi('Result');
/** One item's result as the API returns it. `latencyMs` is the last attempt's duration; `queueMs` the wait before the first attempt. */
export type Result = z.infer<typeof ResultSchema>;

export const EffectiveSummarySchema = z
  .object({
    /** The run and its reruns (recursively) that were read: the run first, then by creation. */
    runIds: z.array(z.string()),
    /** Items of the run asked for. */
    totalItems: z.number().int(),
    /** Items whose latest result is `succeeded` / `failed` / `cancelled`. */
    succeeded: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    /** Items without any result yet. */
    pending: z.number().int(),
    /** Per scorer, over the latest results (same definition as a run's `scores`). */
    scores: z.record(z.string(), ScoreSummarySchema),
  })
  .openapi('EffectiveSummary', {
    description:
      'Counters and scores over the effective results: per item, the latest result across the run and its reruns.',
  });
/** `GET /v1/runs/:id/results?effective=true`: what the run scores after its reruns repaired items. */
export type EffectiveSummary = z.infer<typeof EffectiveSummarySchema>;

/** An event of a run's stream: `status` on every transition, `progress` when results land. */
export const RunEventSchema = z
  .object({
    id: z.string(),
    type: z.enum(['status', 'progress']),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('RunEvent');
export type RunEvent = z.infer<typeof RunEventSchema>;

export const WorkerInfoSchema = z
  .object({
    id: z.string(),
    host: z.string(),
    pid: z.number().int(),
    /** Served targets; `configSchema`: the JSON Schema of `target.config`, when the target declares one. */
    targets: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        configSchema: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
    scorers: z.array(z.object({ name: z.string(), description: z.string() })),
    concurrency: z.number().int(),
    inFlight: z.number().int(),
    startedAt: z.string(),
    heartbeatAt: z.string(),
  })
  .openapi('Worker');
/** A live worker process as advertised by its heartbeat. */
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

/** BullMQ job payload: one chunk of a run's items, `[start, end)` by item index. */
export const ChunkJobSchema = z.object({
  runId: z.string(),
  chunk: z.number().int().nonnegative(),
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
});
export type ChunkJob = z.infer<typeof ChunkJobSchema>;
