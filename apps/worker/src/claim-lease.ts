/**
 * The claim lease of a chunk's items: which item may start an attempt now, and claiming again
 * (one item, or all a chunk still has pending) when a lease ran out. The only place in the
 * worker that knows `RUNLEDGER_CLAIM_LEASE_MS`; "lease" in the worker means this and nothing else.
 */
import { performance } from 'node:perf_hooks';
import type { ClaimOutcome, RunExecution } from '@runledger/shared';

/** Options of a `ClaimLeaseManager`. */
export interface ClaimLeaseOptions {
  /** Where claims are sent (`RunStore.execution`). */
  execution: Pick<RunExecution, 'claimItems'>;
  runId: string;
  /** First item index of the chunk. */
  start: number;
  /** End of the chunk's item indexes (exclusive). */
  end: number;
  /**
   * Claim lease, ms (`RUNLEDGER_CLAIM_LEASE_MS`, the same value the API waits on cancel): an
   * attempt may start until this long after the claim that allowed it was sent.
   */
  leaseMs: number;
  /** True when the run is known cancelled in this process: a claim of one item is then not sent. */
  isCancelled(): boolean;
  /** Monotonic clock, ms. @defaultValue performance.now */
  now?: () => number;
}

/**
 * The claim leases of one chunk's items (like BullMQ's `LockManager` for job locks, but a lease
 * here is never extended in the background: it is renewed only by claiming again).
 *
 * The rule and why it is strict (invariant 3, "after cancel returns, no new attempt starts"):
 * docs/architecture.md#cancel-delete-and-the-claim-lease. In short: a claim
 * (`RunExecution.claimItems`) runs in Redis ordered against cancel's `finishRun` script, so a
 * claim executed after it sees the run terminal. A chunk claims all its items at once (`claimChunk`)
 * and gets a lease: each claimed item may start its attempt while `now() < t0 + leaseMs`, `t0`
 * read BEFORE the claim was sent. The caller checks `holds(index)` synchronously, in the same tick
 * as the target call. When an item's lease ran out while it waited for a slot, it is claimed again
 * together with the chunk's other pending items (`reclaimAll`, one round trip), which all get a
 * new lease: a chunk makes about one claim per `leaseMs` of its life, whatever the item count.
 * Retries claim their item again before each attempt (`reclaim`).
 *
 * @example
 * const leases = new ClaimLeaseManager({ execution: store.execution, runId, start, end, leaseMs, isCancelled });
 * const claim = await leases.claimChunk(true);
 * if (leases.holds(index)) target.run(...); // same tick as the check
 * else if (await leases.reclaim(index)) ...;
 */
export class ClaimLeaseManager {
  /** End of each item's lease (`now()` time, ms), by `index - start`; 0 before any claim. */
  private readonly until: Float64Array;
  private readonly now: () => number;

  constructor(private readonly options: ClaimLeaseOptions) {
    this.until = new Float64Array(Math.max(0, options.end - options.start));
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Claims every item of the chunk in one `claimItems` call, with the items' bodies and, when
   * `withSpec`, the run's spec. On `state: 'ok'` every item of the chunk gets a lease counted from
   * when the claim was sent. @throws the Redis error of the call.
   */
  async claimChunk(withSpec: boolean): Promise<ClaimOutcome> {
    const { start, end } = this.options;
    const indexes: number[] = [];
    for (let i = start; i < end; i++) indexes.push(i);
    const sentAt = this.now(); // before sending: the lease counts from here (conservative)
    const claim = await this.options.execution.claimItems(this.options.runId, indexes, {
      withItems: true,
      withSpec,
    });
    if (claim.state === 'ok') this.until.fill(sentAt + this.options.leaseMs);
    return claim;
  }

  /** True while the lease of item `index` holds: its attempt may start in this tick. */
  holds(index: number): boolean {
    return this.now() < this.until[index - this.options.start]!;
  }

  /**
   * Claims item `index` alone again (before a retry, or when its lease ran out) and renews its
   * lease: resolves true when it may run, false when the run is cancelled here, ended or gone, or
   * the item has a result already. @throws the Redis error of the call.
   */
  async reclaim(index: number): Promise<boolean> {
    if (this.options.isCancelled()) return false;
    const sentAt = this.now();
    const again = await this.options.execution.claimItems(this.options.runId, [index], {
      withItems: false,
      withSpec: false,
    });
    if (again.state !== 'ok' || again.items.length !== 1) return false;
    this.renew(index, sentAt);
    return true;
  }

  /**
   * Claims `indexes` again in one call (the chunk's pending items, whose leases ran out) and
   * renews the lease of every item the claim returned (those with no result yet).
   * @throws the Redis error of the call.
   */
  async reclaimAll(indexes: number[]): Promise<ClaimOutcome> {
    const sentAt = this.now();
    const again = await this.options.execution.claimItems(this.options.runId, indexes, {
      withItems: false,
      withSpec: false,
    });
    if (again.state === 'ok') for (const c of again.items) this.renew(c.index, sentAt);
    return again;
  }

  private renew(index: number, sentAt: number): void {
    this.until[index - this.options.start] = sentAt + this.options.leaseMs;
  }
}
