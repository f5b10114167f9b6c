/**
 * zod schemas of experiments (`/v1/experiments`) and run comparisons (`/v1/runs/:a/compare/:b`):
 * the request body, and the answers as the API returns them (also the OpenAPI document).
 */
import { z } from '@hono/zod-openapi';
import {
  ExecutionSchema,
  NameSchema,
  RunSpecHeaderSchema,
  ScorerRefSchema,
  ScoreSummarySchema,
  TargetRefSchema,
  UnpricedSchema,
  UsageSchema,
} from './schemas.js';
import { PrivacySchema } from './scrub.js';

/** Max variants of one experiment. */
export const MAX_VARIANTS = 20;
/** Max trials (runs per variant) of one experiment. */
export const MAX_TRIALS = 20;

export const VariantSchema = z
  .strictObject({
    name: NameSchema,
    target: TargetRefSchema,
    /** This variant's execution policy; defaults to the experiment's `execution`. */
    execution: ExecutionSchema.optional(),
    /** This variant's PII scrubbing; defaults to the experiment's `privacy`. */
    privacy: PrivacySchema.optional(),
  })
  .openapi('Variant');
export type Variant = z.infer<typeof VariantSchema>;

/**
 * `POST /v1/experiments`: one dataset, several variants; one run per variant x trial.
 * `dataset` is exactly a run spec's `dataset` (validated by the same run spec schema as
 * `POST /v1/runs`, errors at `dataset.*`).
 */
export const ExperimentSpecSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    dataset: z.record(z.string(), z.unknown()).openapi({
      description: "A run spec's dataset: `{ id?, version?, items: Item[] }`",
    }),
    variants: z.array(VariantSchema).min(1).max(MAX_VARIANTS),
    scorers: z.array(ScorerRefSchema).max(20).default([]),
    /** Execution policy of variants that set none (the run default otherwise). */
    execution: ExecutionSchema.optional(),
    /** Runs per variant, each over every item (`trialIndex` 0..trials-1). */
    trials: z.number().int().min(1).max(MAX_TRIALS).default(1),
    retention: RunSpecHeaderSchema.shape.retention,
    tags: z.array(z.string().min(1).max(64)).max(20).default([]),
    /** PII scrubbing of every run (variants may set their own); default `RUNLEDGER_SCRUB`. */
    privacy: PrivacySchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.variants.forEach((variant, index) => {
      const first = seen.get(variant.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate variant name "${variant.name}" (first at index ${first})`,
          path: ['variants', index, 'name'],
        });
      } else seen.set(variant.name, index);
    });
  })
  .openapi('ExperimentSpec');
export type ExperimentSpec = z.infer<typeof ExperimentSpecSchema>;

export const EXPERIMENT_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;

const LatencyPercentiles = z.object({
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p99: z.number().nullable(),
});

/**
 * A variant's figures for one scorer over every trial: a run's `ScoreSummary` (the same
 * `summarizeScore` of stats.ts, over the items of every trial run that still exists) plus the
 * Wilson interval of `passRate` and, with trials > 1, pass@k and pass^k.
 */
export const VariantScoreSchema = ScoreSummarySchema.extend({
  /** Wilson 95% interval of `passRate` (over `n` items). */
  ci95: z.tuple([z.number(), z.number()]).nullable(),
  /** The denominator of `passRate`: items of every trial run that still exists. */
  n: z.number().int(),
  /** pass@k (k = trials), averaged over items; only with trials > 1. */
  passAtK: z.number().nullable().optional(),
  /** pass^k (k = trials), averaged over items; only with trials > 1. */
  passHatK: z.number().nullable().optional(),
}).openapi('VariantScore', {
  description:
    "One scorer over every trial run of a variant: a run's ScoreSummary (passRate = passed / n items) plus its Wilson 95% interval and pass@k / pass^k.",
});
export type VariantScore = z.infer<typeof VariantScoreSchema>;

export const VariantSummarySchema = z
  .object({
    name: z.string(),
    target: TargetRefSchema,
    differences: z.record(z.string(), z.unknown()).openapi({
      description:
        "What sets this variant apart: the target fields (dotted paths) whose values are not the same in every variant, with this variant's value (null where it has none); `{}` when all targets are the same. Secret fields compare redacted.",
      example: { 'config.params.temperature': 0.8 },
    }),
    /** Run ids by trial index. */
    runIds: z.array(z.string()),
    /** Runs of this variant that no longer exist (deleted or expired): its figures leave them out. */
    missingRunIds: z.array(z.string()),
    status: z.enum(EXPERIMENT_STATUSES),
    /** Items of the variant's runs that still exist. */
    totalItems: z.number().int(),
    completedItems: z.number().int(),
    scores: z.record(z.string(), VariantScoreSchema),
    latencyMs: LatencyPercentiles,
    usage: UsageSchema,
    costUsd: z.number(),
    /** The variant's runs' unpriced results (summed) and the first one's model. */
    unpriced: UnpricedSchema,
    errors: z.object({ count: z.number().int(), byType: z.record(z.string(), z.number().int()) }),
    cancelled: z.number().int(),
  })
  .openapi('VariantSummary');
export type VariantSummary = z.infer<typeof VariantSummarySchema>;

export const ExperimentSummarySchema = z
  .object({
    id: z.string(),
    project: z.string(),
    name: z.string(),
    status: z.enum(EXPERIMENT_STATUSES),
    createdAt: z.string(),
    datasetId: z.string().nullable(),
    datasetVersion: z.string().nullable(),
    trials: z.number().int(),
    scorers: z.array(z.string()),
    /**
     * True when a run of the experiment no longer exists (deleted or expired): the figures cover
     * the runs that remain only (`missingRunIds`), never as if the experiment were complete.
     */
    incomplete: z.boolean(),
    /** Runs that no longer exist (expired or deleted); their items and results are not counted. */
    missingRunIds: z.array(z.string()),
    variants: z.array(VariantSummarySchema),
  })
  .openapi('ExperimentSummary');
export type ExperimentSummary = z.infer<typeof ExperimentSummarySchema>;

export const ReportTrialSchema = z.object({
  trialIndex: z.number().int(),
  status: z.enum(['succeeded', 'failed', 'cancelled', 'pending']),
  /** Per scorer: passed, or null when unscored. */
  passed: z.record(z.string(), z.boolean().nullable()),
});

export const ExperimentReportSchema = ExperimentSummarySchema.extend({
  items: z.array(
    z.object({
      itemId: z.string(),
      itemIndex: z.number().int(),
      /** Per variant name: one entry per trial. */
      variants: z.record(z.string(), z.array(ReportTrialSchema)),
    }),
  ),
}).openapi('ExperimentReport');
export type ExperimentReport = z.infer<typeof ExperimentReportSchema>;

const ChangeCounts = z.object({
  improved: z.number().int(),
  regressed: z.number().int(),
  unchanged: z.number().int(),
  /** Item ids (joined by `itemId`), in item order of run a. */
  improvedItems: z.array(z.string()),
  regressedItems: z.array(z.string()),
});

export const CompareSchema = z
  .object({
    a: z.string(),
    b: z.string(),
    scorer: z.string(),
    datasetVersion: z.string().nullable(),
    /** Items with a result in both runs (joined by item id). */
    items: z.number().int(),
    /** Items of one run with no result in the other (e.g. still running). */
    unmatched: z.number().int(),
    /** By pass/fail: improved = failed in a, passed in b (an item without the score counts as not passed). */
    byPass: ChangeCounts,
    /** By score: improved = score(b) > score(a) (an unscored item counts as score 0). */
    byScore: ChangeCounts,
    /** Run a's pass rate for the scorer: passed / totalItems (`summarizeScore`, as on the run). */
    passRateA: z.number().nullable(),
    /** Run b's pass rate for the scorer: passed / totalItems. */
    passRateB: z.number().nullable(),
    /** Run a's full `ScoreSummary` for the scorer (the same figures as `GET /v1/runs/:a`). */
    scoreA: ScoreSummarySchema,
    scoreB: ScoreSummarySchema,
    /** passRateB - passRateA. */
    diff: z.number().nullable(),
    /**
     * Paired percentile bootstrap 95% interval of the difference, resampling the joined items
     * (it brackets `diff` once both runs have a result for every item).
     */
    ci95: z.tuple([z.number(), z.number()]).nullable(),
    bootstrap: z.object({ resamples: z.number().int(), seed: z.number().int() }),
    differences: z
      .object({ a: z.record(z.string(), z.unknown()), b: z.record(z.string(), z.unknown()) })
      .openapi({
        description:
          "What sets the runs apart: the target fields (dotted paths) whose values differ, with a's and b's values (null where one has none), as an experiment's variants show them; `{}` each when both targets are the same. Secret fields compare redacted.",
        example: {
          a: { 'config.params.temperature': 0 },
          b: { 'config.params.temperature': 0.8 },
        },
      }),
  })
  .openapi('Compare');
export type Compare = z.infer<typeof CompareSchema>;
