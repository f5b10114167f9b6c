/**
 * Admission of attempts, shared by every worker of the fleet through Redis:
 *
 * - per-target rate limits (`RUNLEDGER_TARGET_LIMITS`): requests and tokens per minute, counted
 *   by rate-limiter-flexible (`RateLimiterRedis`, fixed windows of `windowSeconds`);
 * - per-run concurrency (`execution.concurrency`): a Redis semaphore of slots that
 *   expire (`fleet.acquireRunSlot`, acquire-slot-1.lua: a dead worker's slot frees itself).
 *
 * A refusal is not an attempt: the item gives its worker slot back, waits, and asks again
 * (see `executeItem`).
 */
import type { Fleet, RunStore } from '@runledger/shared';
import { NameSchema } from '@runledger/shared';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { readJsonTable } from './prices.js';

/** Limits of one target, shared by every worker. */
export const TargetLimitSchema = z
  .object({
    /** Requests per minute. */
    rpm: z.number().int().positive().optional(),
    /** Tokens (input + output, as reported by the target) per minute. */
    tpm: z.number().int().positive().optional(),
    /**
     * Length of the fixed counting window, seconds (1..60): `rpm * windowSeconds / 60` requests
     * (and `tpm * windowSeconds / 60` tokens) per window, which must be whole numbers. Shorter
     * windows spread requests more evenly. @defaultValue 60
     */
    windowSeconds: z.number().int().min(1).max(60).default(60),
  })
  .strict()
  .superRefine((limit, ctx) => {
    if (limit.rpm === undefined && limit.tpm === undefined) {
      ctx.addIssue({ code: 'custom', message: 'set rpm and/or tpm' });
    }
    for (const field of ['rpm', 'tpm'] as const) {
      const perMinute = limit[field];
      if (perMinute === undefined) continue;
      const perWindow = (perMinute * limit.windowSeconds) / 60;
      if (!Number.isInteger(perWindow)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} * windowSeconds / 60 must be a whole number (is ${perWindow})`,
        });
      }
    }
  });
export type TargetLimit = z.infer<typeof TargetLimitSchema>;

/** `{ "<target>": { rpm?, tpm?, windowSeconds? } }`. */
export const TargetLimitsSchema = z.record(NameSchema, TargetLimitSchema);
export type TargetLimits = z.infer<typeof TargetLimitsSchema>;

/**
 * Parses `RUNLEDGER_TARGET_LIMITS` (inline JSON or a file path; '' = no limits).
 * @throws WorkerTableError when the file cannot be read or a limit is invalid.
 */
export function loadTargetLimits(value: string): TargetLimits {
  return readJsonTable('RUNLEDGER_TARGET_LIMITS', value, TargetLimitsSchema);
}

/** What one admission check answered. */
export type Admission =
  | { admitted: true; ticket: AttemptTicket }
  | { admitted: false; waitMs: number; reason: 'rpm' | 'tpm' | 'concurrency' };

/** An admitted attempt. Call `done` exactly once when the attempt ended. */
export interface AttemptTicket {
  /** Releases the run slot (if any) and charges `tokens` to the target's token limit. */
  done(tokens: number): void;
}

/** Asks, before each attempt, whether it may start now. */
export interface AttemptGate {
  /** Admits one attempt, or says how long to wait (ms) before asking again. Rejects on Redis errors. */
  enter(): Promise<Admission>;
}

/** The shared request and token counters of one target. */
export class TargetLimiter {
  private readonly requests: RateLimiterRedis | null;
  private readonly tokens: RateLimiterRedis | null;
  private readonly tokensPerWindow: number;

  /**
   * @param redis the worker's command connection (rate-limiter-flexible needs it `ready`).
   * @param keyPrefix `store.keys.targetLimitPrefix`; keys `<prefix>:rpm:<target>`, `<prefix>:tpm:<target>`.
   */
  constructor(
    redis: RunStore['redis'],
    keyPrefix: string,
    readonly target: string,
    readonly limit: TargetLimit,
  ) {
    const window = limit.windowSeconds;
    /** A fixed-window limiter of `perMinute` points per minute, scaled to the window; null: none. */
    const limiter = (kind: 'rpm' | 'tpm', perMinute: number | undefined) =>
      perMinute === undefined
        ? null
        : new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${keyPrefix}:${kind}`,
            points: (perMinute * window) / 60,
            duration: window,
          });
    this.requests = limiter('rpm', limit.rpm);
    this.tokensPerWindow = limit.tpm === undefined ? 0 : (limit.tpm * window) / 60;
    this.tokens = limiter('tpm', limit.tpm);
  }

  /**
   * Takes one request of the current window. Resolves 0 when taken, else the ms until the
   * window ends (the token budget of the window is checked first, and nothing is taken when spent).
   */
  async take(): Promise<{ waitMs: number; reason: 'rpm' | 'tpm' } | null> {
    if (this.tokens) {
      const used = await this.tokens.get(this.target);
      if (used && used.consumedPoints >= this.tokensPerWindow) {
        return { waitMs: Math.max(1, used.msBeforeNext), reason: 'tpm' };
      }
    }
    if (this.requests) {
      try {
        await this.requests.consume(this.target, 1);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        return { waitMs: Math.max(1, err.msBeforeNext), reason: 'rpm' };
      }
    }
    return null;
  }

  /** Charges `tokens` used by an attempt to the current window (later attempts wait when spent). */
  async charge(tokens: number): Promise<void> {
    if (!this.tokens || tokens <= 0) return;
    await this.tokens.penalty(this.target, Math.round(tokens));
  }
}

/**
 * One `TargetLimiter` per limited target.
 * @param limits parsed `RUNLEDGER_TARGET_LIMITS`.
 */
export function createTargetLimiters(
  store: Pick<RunStore, 'redis' | 'keys'>,
  limits: TargetLimits,
): Map<string, TargetLimiter> {
  const out = new Map<string, TargetLimiter>();
  for (const [target, limit] of Object.entries(limits)) {
    out.set(target, new TargetLimiter(store.redis, store.keys.targetLimitPrefix, target, limit));
  }
  return out;
}

/** Options of `createAttemptGate`. */
export interface AttemptGateOptions {
  /** Where run slots are taken (`RunStore.fleet`). */
  fleet: Pick<Fleet, 'acquireRunSlot' | 'releaseRunSlot'>;
  runId: string;
  /** The run's `execution.concurrency` (fleet-wide), or undefined for none. */
  concurrency: number | undefined;
  /** Expiry of a run slot, ms: a slot not released by then frees itself (a dead worker's slot). */
  slotExpiryMs: number;
  /** Unique prefix of this process's slot holder ids (e.g. the worker id). */
  holderPrefix: string;
  /** The run's target limiter, or undefined for none. */
  limiter: TargetLimiter | undefined;
  /** Called when a Redis error happens in `done` (slot release, token charge). */
  onError(err: unknown): void;
  /** Longest wait between two asks for a run slot, ms. @defaultValue 50 */
  slotPollMs?: number;
  /** Uniform random in [0, 1) for the poll jitter. @defaultValue Math.random */
  random?: () => number;
}

let holderSeq = 0;

/**
 * The gate of one run's attempts, or null when the run has no concurrency limit and its target
 * no rate limit (no Redis call per attempt then). Order: run slot first (so a slot is not held
 * while waiting for the rate limit: it is released on a rate refusal), then the target's tokens
 * and requests. A refused run slot is asked again after a jittered `slotPollMs` at most (slots
 * are usually freed well before they expire).
 */
export function createAttemptGate(options: AttemptGateOptions): AttemptGate | null {
  const { fleet, runId, concurrency, limiter } = options;
  if (concurrency === undefined && !limiter) return null;
  const pollMs = options.slotPollMs ?? 50;
  const random = options.random ?? Math.random;
  return {
    async enter() {
      let holder: string | null = null;
      if (concurrency !== undefined) {
        holder = `${options.holderPrefix}:${++holderSeq}`;
        const slot = await fleet.acquireRunSlot(runId, holder, concurrency, options.slotExpiryMs);
        if (!slot.acquired) {
          const jittered = Math.ceil(pollMs / 2 + random() * (pollMs / 2));
          return {
            admitted: false,
            waitMs: Math.min(slot.waitMs, jittered),
            reason: 'concurrency',
          };
        }
      }
      const taken = limiter
        ? await limiter.take().catch(async (err: unknown) => {
            if (holder) await fleet.releaseRunSlot(runId, holder).catch(() => {});
            throw err;
          })
        : null;
      if (taken) {
        if (holder) await fleet.releaseRunSlot(runId, holder);
        return { admitted: false, waitMs: taken.waitMs, reason: taken.reason };
      }
      const held = holder;
      let done = false;
      return {
        admitted: true,
        ticket: {
          done(tokens) {
            if (done) return;
            done = true;
            if (held) fleet.releaseRunSlot(runId, held).catch(options.onError);
            if (limiter && tokens > 0) limiter.charge(tokens).catch(options.onError);
          },
        },
      };
    },
  };
}
