/**
 * `ClaimLeaseManager` against a real Redis with a hand-driven clock: which items may start an
 * attempt, when their claim lease runs out, and what claiming again renews. And `pricedResult`,
 * which copies a result instead of changing it.
 */
import type { RunStore, StoredResult } from '@runledger/shared';
import { ClaimLeaseManager, pricedResult } from '@runledger/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from './helpers/context.js';
import { commitTestRun } from './helpers/submit.js';

let ctx: ReturnType<typeof createTestStore>;
let store: RunStore;

beforeAll(() => {
  ctx = createTestStore('claim-lease');
  store = ctx.store;
});
afterAll(() => ctx.close());

const LEASE_MS = 250;

/** A committed run of `n` items (indexes 0..n-1). */
function createRun(n: number): Promise<string> {
  return commitTestRun(store, n);
}

/** A manager over items [start, end) of `runId` whose clock is `clock.now`. */
function manager(runId: string, start: number, end: number, cancelled = () => false) {
  const clock = { now: 1000 };
  const leases = new ClaimLeaseManager({
    execution: store.execution,
    runId,
    start,
    end,
    leaseMs: LEASE_MS,
    isCancelled: cancelled,
    now: () => clock.now,
  });
  return { clock, leases };
}

describe('ClaimLeaseManager', () => {
  it('claimChunk: every item of the chunk may start until leaseMs after the claim was sent', async () => {
    const runId = await createRun(6);
    const { clock, leases } = manager(runId, 2, 5);
    expect(leases.holds(2)).toBe(false); // nothing claimed yet
    const claim = await leases.claimChunk(true);
    expect(claim.state).toBe('ok');
    if (claim.state !== 'ok') return;
    expect(claim.spec?.target.name).toBe('echo');
    expect(claim.items.map((c) => [c.index, c.item?.id])).toEqual([
      [2, 'item-2'],
      [3, 'item-3'],
      [4, 'item-4'],
    ]);
    clock.now = 1000 + LEASE_MS - 1;
    expect([2, 3, 4].map((i) => leases.holds(i))).toEqual([true, true, true]);
    clock.now = 1000 + LEASE_MS;
    expect([2, 3, 4].map((i) => leases.holds(i))).toEqual([false, false, false]);
  });

  it('reclaim renews one item; reclaimAll renews only the items still without a result', async () => {
    const runId = await createRun(4);
    const { clock, leases } = manager(runId, 0, 4);
    await leases.claimChunk(false);
    clock.now = 5000;
    expect(await leases.reclaim(0)).toBe(true);
    clock.now = 5000 + LEASE_MS - 1;
    expect([0, 1, 2, 3].map((i) => leases.holds(i))).toEqual([true, false, false, false]);

    await store.execution.recordResults(runId, [
      { index: 1, result: { status: 'succeeded', attempts: 1, output: 1, completedAt: 1 } },
    ]);
    clock.now = 9000;
    const again = await leases.reclaimAll([1, 2, 3]);
    expect(again.state === 'ok' && again.items.map((c) => c.index)).toEqual([2, 3]);
    expect([0, 1, 2, 3].map((i) => leases.holds(i))).toEqual([false, false, true, true]);
    expect(await leases.reclaim(1)).toBe(false); // it has a result: it must not run
    expect(leases.holds(1)).toBe(false);
  });

  it('after cancel, nothing is renewed: reclaim is false, reclaimAll sees the run terminal', async () => {
    const runId = await createRun(3);
    let cancelledHere = false;
    const { clock, leases } = manager(runId, 0, 3, () => cancelledHere);
    await leases.claimChunk(false);
    cancelledHere = true;
    expect(await leases.reclaim(0)).toBe(false); // known cancelled here: not even sent
    cancelledHere = false;
    await store.execution.finishRun(runId, 'cancelled');
    clock.now = 1000 + LEASE_MS;
    expect(await leases.reclaim(0)).toBe(false);
    expect(await leases.reclaimAll([0, 1, 2])).toEqual({ state: 'terminal', status: 'cancelled' });
    expect([0, 1, 2].map((i) => leases.holds(i))).toEqual([false, false, false]);
  });
});

describe('pricedResult', () => {
  it('returns a priced copy and leaves the result it was given as it was', () => {
    const usage = Object.freeze({ inputTokens: 1_000_000, outputTokens: 500_000 });
    const result: StoredResult = Object.freeze({
      status: 'succeeded',
      attempts: 1,
      output: 'x',
      usage,
    });
    const prices = { m: { inputPerMTok: 2, outputPerMTok: 4 } };
    const priced = pricedResult(result, 'm', {}, prices);
    expect(priced).toStrictEqual({
      status: 'succeeded',
      attempts: 1,
      output: 'x',
      usage: { inputTokens: 1_000_000, outputTokens: 500_000, model: 'm' },
      costUsd: 4,
    });
    expect(result).toStrictEqual({ status: 'succeeded', attempts: 1, output: 'x', usage });
    expect(usage).toStrictEqual({ inputTokens: 1_000_000, outputTokens: 500_000 });
    // nothing to price: the same object back
    expect(pricedResult(result, undefined, {}, prices)).toBe(result);
  });
});
