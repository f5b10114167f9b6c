/**
 * The script layer: every run Lua script (../lua/*.lua, header = contract) as one typed method,
 * argument by argument, and every reply decoded here, once (like BullMQ's `scripts.ts`). Replies
 * lead with a `ScriptCode`; `scriptError` (../script-codes.ts) turns the negative ones into the
 * shared errors, and each method maps those to its outcome. The run hash's fields come back raw
 * (`RunHashFields`): only the run-hash codec (./run-hash.ts) reads them.
 */
import type { ClientContext, Result as RedisResult } from 'ioredis';
import { RunNotFoundError, RunTerminalError } from '../errors.js';
import { defineScripts } from '../redis.js';
import type { RunStatus, StoredItem } from '../schemas.js';
import { ScriptCode, scriptError } from '../script-codes.js';
import type { StoreResources } from './resources.js';

/** Lua scripts by ioredis command name, with their key counts (the `-N` of the file name). */
const SCRIPTS = {
  rlCreateRun: { file: 'create-run-3', keys: 3 },
  rlClaimItems: { file: 'claim-items-4', keys: 4 },
  rlRecordResults: { file: 'record-results-9', keys: 9 },
  rlFinishRun: { file: 'finish-run-9', keys: 9 },
  rlReadRun: { file: 'read-run-4', keys: 4 },
  rlAddRerun: { file: 'add-rerun-2', keys: 2 },
  rlFindOpenChunks: { file: 'find-open-chunks-2', keys: 2 },
  rlAcquireSlot: { file: 'acquire-slot-1', keys: 1 },
  rlSwapScoreSort: { file: 'swap-score-sort-4', keys: 4 },
  rlRetainRun: { file: 'retain-run-3', keys: 3 },
} as const;

/** A script reply: `[ScriptCode, ...answer]` (see each script's header). */
type ScriptReply = unknown[];
type ScriptCommand<Context extends ClientContext> = (
  ...args: (string | number)[]
) => RedisResult<ScriptReply, Context>;
declare module 'ioredis' {
  interface RedisCommander<Context> {
    rlCreateRun: ScriptCommand<Context>;
    rlClaimItems: ScriptCommand<Context>;
    rlRecordResults: ScriptCommand<Context>;
    rlFinishRun: ScriptCommand<Context>;
    rlReadRun: ScriptCommand<Context>;
    rlFindOpenChunks: ScriptCommand<Context>;
    rlAcquireSlot: ScriptCommand<Context>;
    rlAddRerun: ScriptCommand<Context>;
    rlSwapScoreSort: ScriptCommand<Context>;
    rlRetainRun: ScriptCommand<Context>;
  }
}

/** A run hash as stored: field -> value (read by ./run-hash.ts only). */
export type RunHashFields = Record<string, string>;

/** Outcome of a claim (claim-items-4). `items` holds only items with no result yet. */
export type ClaimReply =
  | { state: 'ok'; specJson: string | null; items: { index: number; item: StoredItem | null }[] }
  | { state: 'missing' }
  | { state: 'terminal'; status: RunStatus };

/** Outcome of `recordResults`: `recorded` new results; `finished` when this call completed the run. */
export type RecordOutcome =
  | {
      state: 'ok';
      recorded: number;
      done: number;
      total: number;
      finished: boolean;
      /** Present (true) when this call ended the run `failed` by its budget (`maxFailures`, `maxCostUsd`). */
      stopped?: true;
    }
  | { state: 'missing' };

/** Outcome of `RunExecution.finishRun`: the run ended by this call, or why it was not. */
export type FinishOutcome =
  | { state: 'finished'; cancelledItems: number }
  | { state: 'terminal'; status: RunStatus }
  | { state: 'missing' };

/**
 * Outcome of one finish-run-9 call: `cancelledItems` recorded by it; `next` -1 when the run
 * ended, else the ending goes on with another call; `began` when this call began the ending
 * (else it continued one begun before); `status` the one the run ends with.
 */
export type FinishStep =
  | {
      state: 'ok';
      cancelledItems: number;
      next: number;
      began: boolean;
      status: 'cancelled' | 'failed';
    }
  | { state: 'terminal'; status: RunStatus }
  | { state: 'missing' };

/** read-run-4's answer: the run hash, its latency figures (ms), error types and reruns. */
export interface RunReadReply {
  fields: RunHashFields;
  latency: {
    /** Results with a latency. */
    count: number;
    /** Highest latency, ms; null when count is 0. */
    max: number | null;
    /** Nearest-rank percentiles asked for, in order, ms; null when count is 0. */
    percentiles: (number | null)[];
  };
  /** The errtypes hash: `n:<type>` -> count, `m:<type>` -> first message. */
  errtypes: Record<string, string>;
  /** Rerun run ids, oldest first. */
  reruns: string[];
}

/** `[field, value, field, value, ...]` (a stream entry's fields) as a record. */
export function pairsToRecord(flat: readonly string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  return h;
}

/** A run script's reply that wrote nothing: the run is missing, or terminal already. */
type RunRefusal = { state: 'missing' } | { state: 'terminal'; status: RunStatus };

/**
 * Decodes a run script's reply code: the refusal (`RunNotFound`, `RunTerminal`), or null when
 * the script did what was asked.
 * @throws the error of any other negative code (`scriptError`).
 */
function refusal(reply: readonly unknown[], runId: string): RunRefusal | null {
  const error = scriptError(reply, { runId });
  if (error instanceof RunNotFoundError) return { state: 'missing' };
  if (error instanceof RunTerminalError) {
    return { state: 'terminal', status: error.runStatus as RunStatus };
  }
  if (error) throw error;
  return null;
}

const numberOrNull = (v: unknown): number | null =>
  v === null || v === undefined || v === false ? null : Number(v);

/** The run scripts, typed (see ../lua/<file>.lua for each contract). */
export class RunScripts {
  constructor(private readonly r: StoreResources) {
    defineScripts(r.redis, SCRIPTS);
  }

  /**
   * create-run-3: makes the staged run `runId` visible as `queued` with `fields` as its hash.
   * @param now ms since epoch. @param totalItems the staged item count it must find.
   * @throws RunStateError when the run exists already or the staged items do not number `totalItems`.
   */
  async createRun(
    runId: string,
    now: number,
    totalItems: number,
    fields: Record<string, string | number>,
  ): Promise<void> {
    const k = this.r.keys.run(runId);
    const reply = await this.r.redis.rlCreateRun(
      k.run,
      k.items,
      k.events,
      now,
      this.r.eventsMaxLen,
      this.r.safetyTtlSeconds,
      totalItems,
      ...Object.entries(fields).flat(),
    );
    const error = scriptError(reply, { runId, totalItems });
    if (error) throw error;
  }

  /**
   * claim-items-4: the gate before attempts start. `now` ms since epoch; `withItems` returns
   * each item, `withSpec` the spec JSON.
   */
  async claimItems(
    runId: string,
    indexes: readonly number[],
    now: number,
    withItems: boolean,
    withSpec: boolean,
  ): Promise<ClaimReply> {
    const k = this.r.keys.run(runId);
    const reply = await this.r.redis.rlClaimItems(
      k.run,
      k.items,
      k.results,
      k.events,
      now,
      withItems ? '1' : '0',
      withSpec ? '1' : '0',
      this.r.eventsMaxLen,
      ...indexes,
    );
    const refused = refusal(reply, runId);
    if (refused) return refused;
    const open = reply[2] as string;
    const values = this.r.codec.decodeItemList(reply[3] as string | string[] | null);
    const items: { index: number; item: StoredItem | null }[] = [];
    // the open indexes as one comma-separated string of decimal digits, read in place (no
    // string per index)
    if (open.length > 0) {
      let index = 0;
      for (let at = 0; at <= open.length; at++) {
        const c = at < open.length ? open.charCodeAt(at) : 44; /* , */
        if (c === 44) {
          items.push({ index, item: values?.[items.length] ?? null });
          index = 0;
        } else index = index * 10 + (c - 48); /* 0 */
      }
    }
    return { state: 'ok', specJson: (reply[1] as string | null) || null, items };
  }

  /**
   * record-results-9: records results exactly once per item. `metasJson`: the JSON array of
   * their metas (see the script's header); `values`: their stored values, in the same order.
   * @param now ms since epoch.
   */
  async recordResults(
    runId: string,
    now: number,
    metasJson: string,
    values: readonly string[],
  ): Promise<RecordOutcome> {
    const reply = await this.r.redis.rlRecordResults(
      ...this.r.keys.runKeyList(runId),
      now,
      this.r.eventsMaxLen,
      metasJson,
      ...values,
    );
    const refused = refusal(reply, runId);
    if (refused?.state === 'missing') return refused;
    if (refused) throw new RunTerminalError(runId, refused.status); // record-results-9 never answers it
    const [, recorded = 0, done = 0, total = 0, finished = 0, stopped = 0] = reply.map(Number);
    const outcome: RecordOutcome = { state: 'ok', recorded, done, total, finished: finished === 1 };
    if (stopped === 1) outcome.stopped = true;
    return outcome;
  }

  /**
   * finish-run-9, one slice: begins ending the run `status` with `error` (or continues the
   * ending begun before, with its own status and error), recording `cancelledJson` for each
   * item without a result among the next `slice` items. @param now ms since epoch.
   */
  async finishRun(
    runId: string,
    now: number,
    status: 'cancelled' | 'failed',
    error: string,
    cancelledJson: string,
    slice: number,
  ): Promise<FinishStep> {
    const reply = await this.r.redis.rlFinishRun(
      ...this.r.keys.runKeyList(runId),
      now,
      this.r.eventsMaxLen,
      status,
      error,
      cancelledJson,
      slice,
    );
    const refused = refusal(reply, runId);
    if (refused) return refused;
    return {
      state: 'ok',
      cancelledItems: Number(reply[1]),
      next: Number(reply[2]),
      began: Number(reply[3]) === 1,
      status: reply[4] as 'cancelled' | 'failed',
    };
  }

  /** read-run-4: the run with nearest-rank `percentiles` of its latency; null when it does not exist. */
  async readRun(runId: string, percentiles: readonly number[]): Promise<RunReadReply | null> {
    const k = this.r.keys.run(runId);
    const reply = await this.r.redis.rlReadRun(
      k.run,
      k.latency,
      k.errtypes,
      k.reruns,
      ...percentiles,
    );
    if (refusal(reply, runId)) return null;
    const n = percentiles.length;
    return {
      fields: JSON.parse(reply[1] as string) as Record<string, string>,
      latency: {
        count: Number(reply[2]),
        max: numberOrNull(reply[3]),
        percentiles: reply.slice(4, 4 + n).map(numberOrNull),
      },
      errtypes: this.r.codec.decodeErrtypes(
        JSON.parse((reply[4 + n] as string | undefined) ?? '{}') as Record<string, string>,
      ),
      reruns: ((reply[5 + n] as string[] | undefined) ?? []).map(String),
    };
  }

  /**
   * add-rerun-2: lists `childId` (created at `createdAt`, ms) among the reruns of `parentId`.
   * Returns false when the parent is gone (nothing written).
   */
  async addRerun(parentId: string, childId: string, createdAt: number): Promise<boolean> {
    const k = this.r.keys.run(parentId);
    const reply = await this.r.redis.rlAddRerun(k.run, k.reruns, childId, createdAt);
    return refusal(reply, parentId) === null;
  }

  /**
   * find-open-chunks-2: chunks from `from` (at most `pageChunks`) holding an item without a
   * result; `next` is -1 when done. Null when the run does not exist.
   */
  async findOpenChunks(
    runId: string,
    from: number,
    pageChunks: number,
  ): Promise<{ next: number; chunks: number[] } | null> {
    const k = this.r.keys.run(runId);
    const reply = await this.r.redis.rlFindOpenChunks(k.run, k.results, from, pageChunks);
    if (refusal(reply, runId)) return null;
    return { next: Number(reply[1]), chunks: reply.slice(2).map(Number) };
  }

  /**
   * acquire-slot-1: one of the run's `limit` slots for `holder` for `leaseMs` (ms), at `now`
   * (ms since epoch). `waitMs`: until the earliest held slot expires.
   */
  async acquireSlot(
    runId: string,
    now: number,
    limit: number,
    holder: string,
    leaseMs: number,
  ): Promise<{ acquired: true } | { acquired: false; waitMs: number }> {
    const reply = await this.r.redis.rlAcquireSlot(
      this.r.keys.runSlots(runId),
      now,
      limit,
      holder,
      leaseMs,
    );
    const error = scriptError(reply, { runId });
    if (error) throw error;
    return Number(reply[0]) === ScriptCode.Ok
      ? { acquired: true }
      : { acquired: false, waitMs: Number(reply[1] ?? 1) };
  }

  /**
   * swap-score-sort-4: puts the sort index of run `runId` that a build wrote to `tempKey` in
   * place at `indexKey` (`builtKey` records `built`, `<result count>:<ms>`), both expiring after
   * `ttlMs` (ms) or with the run. A run gone meanwhile gets nothing (the build is deleted).
   * @throws RunNotFoundError when the run is gone.
   */
  async swapSortIndex(
    runId: string,
    keys: { tempKey: string; indexKey: string; builtKey: string },
    ttlMs: number,
    built: string,
  ): Promise<void> {
    const reply = await this.r.redis.rlSwapScoreSort(
      this.r.keys.run(runId).run,
      keys.tempKey,
      keys.indexKey,
      keys.builtKey,
      ttlMs,
      built,
    );
    const error = scriptError(reply, { runId });
    if (error) throw error;
  }

  /**
   * retain-run-3: takes finished run `runId` (completed at `completedAt`, ms since epoch) into the
   * keep-last group whose keys are `group` (../keys.ts `retention`), settled until `until` (ms
   * since epoch), keeping the newest `keepLast` (0: all); `forget` takes it out instead.
   * @returns the run ids the call moved to the pending deletions.
   */
  async retainRun(
    runId: string,
    group: { kept: string; settled: string },
    times: { now: number; completedAt: number; until: number },
    keepLast: number,
    mode?: 'forget',
  ): Promise<string[]> {
    const reply = await this.r.redis.rlRetainRun(
      group.kept,
      group.settled,
      this.r.keys.retentionPending,
      times.now,
      runId,
      times.completedAt,
      times.until,
      keepLast,
      ...(mode ? [mode] : []),
    );
    const error = scriptError(reply, { runId });
    if (error) throw error;
    return (reply[2] as string[] | undefined) ?? [];
  }
}
