/**
 * The contract between runledger workers and user modules that register targets and scorers
 * (`RUNLEDGER_TARGETS=path[,path]`). A module exports `targets` and/or `scorers` arrays
 * (named exports, or the same keys on its default export).
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Usage } from './schemas.js';

/**
 * The zod (4) that runledger validates with, for modules declaring a target's `configSchema`
 * without a zod dependency of their own: `import { defineTarget, z } from '@runledger/shared'`.
 */
export { z } from 'zod';

/**
 * What a target receives besides the item's input. `C`: the type of its parsed config (the
 * output of its `configSchema`).
 */
export interface TargetContext<C = Record<string, unknown>> {
  /** Fires on timeout (`execution.timeoutMs`), on cancel of the run, and on forced shutdown. */
  signal: AbortSignal;
  /** 1-based attempt number. */
  attempt: number;
  /**
   * The run's `target.config` (`{}` when none) as parsed by the target's `configSchema`
   * (defaults applied) when the worker calls the target.
   */
  config: C;
  runId: string;
  itemId: string;
  itemIndex: number;
  /** The item's `metadata` (`{}` when none). Absent only when a caller builds contexts by hand. */
  metadata?: Record<string, unknown>;
  /** Child logger carrying runId and itemId. */
  logger: Logger;
}

/** What a target returns: the output, and optionally token usage and cost (USD). */
export interface TargetOutput {
  output: unknown;
  usage?: Usage & { model?: string };
  costUsd?: number;
}

/**
 * A named target: executes one item. Throw `NonRetryableError` for errors a retry cannot fix.
 *
 * `configSchema` (a zod 4 schema, required) declares the run's `target.config`: the worker
 * parses the config with it before calling `run` (an invalid config fails the item
 * `invalid_config` with field paths, without calling `run`) and advertises it as JSON Schema
 * with its heartbeat, so the API refuses invalid configs at submit (400 with field paths).
 * A target without config declares `z.object({}).strict()`.
 *
 * @example
 * export const knn = defineTarget({
 *   name: 'knn',
 *   description: 'k-nearest neighbours; config.k, default 5',
 *   configSchema: z.object({ k: z.number().int().min(1).default(5) }).strict(),
 *   async run(input, { config }) { return { output: predict(input, config.k) }; },
 * });
 */
export interface TargetDefinition<C = Record<string, unknown>> {
  name: string;
  description: string;
  /** The schema of `target.config` (zod 4); its output is what `run` gets as `context.config`. */
  configSchema: z.ZodType<C>;
  run(input: unknown, context: TargetContext<C>): Promise<TargetOutput>;
}

/** A scorer's verdict on one output: `score` in [0, 1] and pass/fail. */
export interface ScoreOutcome {
  score: number;
  passed: boolean;
}

/** What a scorer receives. */
export interface ScorerInput {
  input: unknown;
  output: unknown;
  expectedOutput: unknown;
  /** The scorer's config from the run spec (built-ins: validated and defaulted). */
  config: Record<string, unknown>;
}

/** A named scorer. May return a number (score; passed when >= 0.5) or a full `ScoreOutcome`. */
export interface ScorerDefinition {
  name: string;
  description: string;
  score(args: ScorerInput): ScoreOutcome | number | Promise<ScoreOutcome | number>;
}

/**
 * Identity helper that types a target definition: `context.config` is typed as the output of
 * `configSchema`.
 */
export function defineTarget<C>(definition: TargetDefinition<C>): TargetDefinition<C> {
  return definition;
}

/** Identity helper that types a scorer definition. */
export function defineScorer(definition: ScorerDefinition): ScorerDefinition {
  return definition;
}

/**
 * Base of the failures a target throws on purpose: `type` ends up in the result's `error.type`,
 * `status` is the HTTP status the target got, when it called one. Throw one of its subclasses.
 */
export class TargetError extends Error {
  override name = 'TargetError';
  constructor(
    message: string,
    readonly type = 'target_error',
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * Thrown by a target when retrying cannot help (HTTP 4xx other than 408/429, invalid input):
 * the item fails at once with this error. `type` ends up in the result's `error.type`.
 */
export class NonRetryableError extends TargetError {
  override name = 'NonRetryableError';
}

/**
 * Thrown by a target for a retryable failure that carries a type and status (e.g. HTTP 503).
 * With `retryAfterMs` (e.g. HTTP 429 `Retry-After`) the worker waits that long, holding no
 * slot, and tries the same attempt again: it does not count as an attempt (at most 20 such
 * waits per item, then it does).
 */
export class RetryableError extends TargetError {
  override name = 'RetryableError';
  constructor(
    message: string,
    type?: string,
    status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message, type, status);
  }
}
