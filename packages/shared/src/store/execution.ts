/**
 * The three transitions of a run's execution, each one atomic script (./scripts.ts): the claim
 * before attempts start (`queued -> running`), recording results exactly once (-> `completed`,
 * or `failed` on a budget stop) and ending a run early (-> `cancelled` or `failed`).
 * docs/architecture.md#invariants says what they guarantee.
 */
import { waitForReplicas } from '../redis-replication.js';
import { cancelledResult } from '../results.js';
import type { RunStatus, StoredItem, StoredResult, StoredSpec } from '../schemas.js';
import type { StoreResources } from './resources.js';
import { decodeSpec } from './run-hash.js';
import type { FinishOutcome, RecordOutcome, RunScripts } from './scripts.js';
import type { ValueCodec } from './value-codec.js';

/** Outcome of `claimItems`. `items` holds only items with no result yet. */
export type ClaimOutcome =
  | { state: 'ok'; spec: StoredSpec | null; items: { index: number; item: StoredItem | null }[] }
  | { state: 'missing' }
  | { state: 'terminal'; status: RunStatus };

/**
 * Results encoded for record-results-9 (`RunExecution.encodeResults`): `count` results, `metas`
 * the JSON array of their metas (see `resultMeta`), `values` their stored values (result codec:
 * compact JSON, encrypted when at-rest encryption is on), in the same order.
 */
export interface EncodedResults {
  count: number;
  metas: string;
  values: string[];
}

/** One final result to record for the item at `index`. */
export interface ResultRecord {
  index: number;
  result: StoredResult;
}

/**
 * What record-results-9 needs of a result besides its stored value (see its header), by
 * position: index, status, latency, scores, input and output tokens, cost, error type and
 * message of a failed one, and the model of a result with tokens and no cost (`''` when it has
 * none: the result is unpriced); null where absent, trailing nulls left out. The metas of a call
 * travel as one JSON array.
 */
function resultMeta({ index, result }: ResultRecord, codec: ValueCodec): unknown[] {
  const meta: unknown[] = [index, result.status, result.latencyMs ?? null, null];
  if (result.scores) {
    const sc: [string, number, boolean][] = [];
    for (const name in result.scores) {
      const s = result.scores[name]!;
      sc.push([name, s.score, s.passed]);
    }
    if (sc.length > 0) meta[3] = sc;
  }
  const failed = result.status === 'failed' && result.error;
  if (result.usage || result.costUsd !== undefined || failed) {
    meta.push(
      result.usage?.inputTokens ?? null,
      result.usage?.outputTokens ?? null,
      result.costUsd ?? null,
    );
  }
  if (failed) meta.push(result.error!.type ?? null, codec.encodeText(result.error!.message));
  const u = result.usage;
  if (u && result.costUsd === undefined && u.inputTokens + u.outputTokens > 0) {
    // unpriced: tokens were spent and nothing priced them
    while (meta.length < 9) meta.push(null);
    meta.push(u.model ?? '');
  }
  while (meta.length > 2 && meta.at(-1) === null) meta.pop();
  return meta;
}

/** Claims, records results, ends runs early. */
export class RunExecution {
  constructor(
    private readonly r: StoreResources,
    private readonly scripts: RunScripts,
  ) {}

  /**
   * The gate before attempts start (see claim-items-4.lua): checks the run may go on, marks it
   * `running`, and returns those of `indexes` that have no result yet.
   * @param options.withItems return each item's JSON (first attempts); false for retries.
   * @param options.withSpec return the run's spec (first claim of a run by this process); its
   *   `execution` leaves out the budget (`maxFailures`, `maxCostUsd`), which only the scripts read.
   * @param options.now ms since epoch. @defaultValue Date.now()
   */
  async claimItems(
    runId: string,
    indexes: number[],
    options: { withItems: boolean; withSpec: boolean; now?: number },
  ): Promise<ClaimOutcome> {
    const reply = await this.scripts.claimItems(
      runId,
      indexes,
      options.now ?? Date.now(),
      options.withItems,
      options.withSpec,
    );
    if (reply.state !== 'ok') return reply;
    const spec = reply.specJson === null ? null : decodeSpec(reply.specJson);
    return { state: 'ok', spec, items: reply.items };
  }

  /**
   * Records final results, exactly once per item, in one atomic script (record-results-9.lua):
   * results, counters, status bitmaps, latency histogram, usage, scores, error types of failed results, a progress
   * event and the terminal transition with retention TTL when the last item lands. Results
   * already stored are kept. With `waitReplicas`, resolves once the replicas hold the write.
   * The same as `recordEncoded(runId, encodeResults(records), now)`.
   * @param now ms since epoch.
   */
  async recordResults(
    runId: string,
    records: ResultRecord[],
    now = Date.now(),
  ): Promise<RecordOutcome> {
    return this.recordEncoded(runId, this.encodeResults(records), now);
  }

  /**
   * `records` in the form record-results-9 takes (see `EncodedResults`). A writer that keeps a
   * batch until Redis answers (and retries it) keeps this, not the result objects: the strings
   * are all that is left of them, so a batch waiting for its reply holds no object graph.
   */
  encodeResults(records: readonly ResultRecord[]): EncodedResults {
    const { codec } = this.r;
    const metas: unknown[][] = new Array(records.length);
    const values: string[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      metas[i] = resultMeta(record, codec);
      values[i] = codec.encodeResult(record.result);
    }
    return { count: records.length, metas: JSON.stringify(metas), values };
  }

  /**
   * Records a batch made by `encodeResults` (as `recordResults` does). The batch is not changed:
   * it may be recorded again (a retry), results already stored are kept.
   * @param now ms since epoch.
   */
  async recordEncoded(
    runId: string,
    batch: EncodedResults,
    now = Date.now(),
  ): Promise<RecordOutcome> {
    if (batch.count === 0) {
      return { state: 'ok', recorded: 0, done: 0, total: 0, finished: false };
    }
    const outcome = await this.scripts.recordResults(runId, now, batch.metas, batch.values);
    if (outcome.state === 'ok') await waitForReplicas(this.r.redis, this.r.waitReplicas);
    return outcome;
  }

  /**
   * Ends a run early: items without a result are recorded `cancelled`, the run moves to `status`
   * (`cancelled` by the API, `failed` when the run itself cannot go on) and gets its retention TTL.
   * Written `finishSliceItems` items per finish-run-9 call (Redis is never held for a whole huge
   * run); from the first call on, no item is claimed and no result recorded. A run whose ending
   * was begun before (a budget stop, a caller that died) is ended with that ending's status and
   * error: the answer is then `terminal` with it, as when the run had ended already.
   * Workers must still be told through `RunEvents.publishCancel` to abort items in flight.
   * @param error the run's error (default `run <status>`). @param now ms since epoch.
   * @returns `finished` (with the items this call recorded `cancelled`) when this call began the
   *   ending; `terminal` when the run had ended or begun ending before; `missing`.
   */
  async finishRun(
    runId: string,
    status: 'cancelled' | 'failed',
    error?: string,
    now = Date.now(),
  ): Promise<FinishOutcome> {
    const cancelled = this.r.codec.encodeResult(
      cancelledResult(error ?? `run ${status}`, { completedAt: now }),
    );
    let cancelledItems = 0;
    let began = false;
    for (;;) {
      const step = await this.scripts.finishRun(
        runId,
        now,
        status,
        error ?? '',
        cancelled,
        this.r.finishSliceItems,
      );
      if (step.state === 'missing') return step;
      // another caller ended the ending this one began (they share its slices): ended all the same
      if (step.state === 'terminal') return began ? { state: 'finished', cancelledItems } : step;
      began ||= step.began;
      cancelledItems += step.cancelledItems;
      if (step.next !== -1) continue;
      if (!began) return { state: 'terminal', status: step.status };
      await waitForReplicas(this.r.redis, this.r.waitReplicas);
      return { state: 'finished', cancelledItems };
    }
  }
}
