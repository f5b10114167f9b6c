/**
 * The contract between runledger workers and user modules that register targets and scorers
 * (`RUNLEDGER_TARGETS=path[,path]`). A module exports `targets` and/or `scorers` arrays
 * (named exports, or the same keys on its default export).
 */
import type { Logger } from 'pino';
import type { Usage } from './schemas.js';

/** What a target receives besides the item's input. */
export interface TargetContext {
  /** Fires on timeout (`execution.timeoutMs`), on cancel of the run, and on forced shutdown. */
  signal: AbortSignal;
  /** 1-based attempt number. */
  attempt: number;
  /** The run's `target.config` (`{}` when none). */
  config: Record<string, unknown>;
  runId: string;
  itemId: string;
  itemIndex: number;
  /** Child logger carrying runId and itemId. */
  logger: Logger;
}

/** What a target returns: the output, and optionally token usage and cost (USD). */
export interface TargetOutput {
  output: unknown;
  usage?: Usage & { model?: string };
  costUsd?: number;
}

/** A named target: executes one item. Throw `NonRetryableError` for errors a retry cannot fix. */
export interface TargetDefinition {
  name: string;
  description: string;
  run(input: unknown, context: TargetContext): Promise<TargetOutput>;
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

/** Identity helper that types a target definition. */
export function defineTarget(definition: TargetDefinition): TargetDefinition {
  return definition;
}

/** Identity helper that types a scorer definition. */
export function defineScorer(definition: ScorerDefinition): ScorerDefinition {
  return definition;
}

/**
 * Thrown by a target when retrying cannot help (HTTP 4xx other than 408/429, invalid input):
 * the item fails at once with this error. `type` ends up in the result's `error.type`.
 */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
  constructor(
    message: string,
    readonly type = 'target_error',
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * Thrown by a target for a retryable failure that carries a type and status (e.g. HTTP 503).
 * With `retryAfterMs` (e.g. HTTP 429 `Retry-After`) the worker waits that long, holding no
 * slot, and tries the same attempt again: it does not count as an attempt (at most 20 such
 * waits per item, then it does).
 */
export class RetryableError extends Error {
  override name = 'RetryableError';
  constructor(
    message: string,
    readonly type = 'target_error',
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
