/**
 * One vocabulary of outcomes from Lua to HTTP: the Lua code table (lua/includes/codes.lua) equals
 * `ScriptCode`, every script names its KEYS and includes the table, each script's outcomes (run
 * against a real Redis) decode through `scriptError` to the right Error class, and each class of
 * the error family carries its HTTP status and problem kind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import {
  ConflictError,
  DatasetCommitError,
  DatasetStore,
  InvalidCursorError,
  NotFoundError,
  PayloadTooLargeError,
  RunledgerError,
  RunNotFoundError,
  RunStateError,
  RunTerminalError,
  SCRIPT_CODE_LUA_NAMES,
  ScriptCode,
  scriptError,
  UnavailableError,
  ValidationError,
} from '@runledger/shared';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { useTestStore } from './helpers/context.js';
import { commitTestRun } from './helpers/submit.js';

const LUA_DIR = new URL('../packages/shared/src/lua/', import.meta.url);
const scripts = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
const lua = (file: string) => readFileSync(new URL(file, LUA_DIR), 'utf8');

const { store, redis, prefix } = useTestStore('codes');
const datasets = new DatasetStore(redis, { prefix });

/** A committed run of `n` items; its id. */
function createRun(n: number): Promise<string> {
  const items = Array.from({ length: n }, (_, i) => ({ id: String(i), input: i }));
  return commitTestRun(store, n, {}, items);
}

/**
 * claim-items-4 sent straight to Redis: a claim of item 0 of `runId` at time 1 ms, with items
 * and spec, events capped at 10. Its raw reply (`[ScriptCode, ...]`).
 */
function claimRaw(runId: string) {
  const k = store.keys.run(runId);
  return redis.rlClaimItems(k.run, k.items, k.results, k.events, 1, '1', '1', 10, 0);
}

/**
 * finish-run-9 sent straight to Redis: `runId` cancelled at time 1 ms (events capped at 10), no
 * error message, `{}` for the items without a result, a slice of 10,000 items. Its raw reply
 * (`[ScriptCode, ...]`).
 */
const cancelRaw = (runId: string) =>
  redis.rlFinishRun(...store.keys.runKeyList(runId), 1, 10, 'cancelled', '', '{}', 10_000);

describe('the code table', () => {
  it('lua/includes/codes.lua holds exactly the names and numbers of ScriptCode', () => {
    const table = /local Code = \{([^}]*)\}/.exec(lua('includes/codes.lua'))?.[1] ?? '';
    const fromLua = Object.fromEntries(
      [...table.matchAll(/([A-Z_]+) = (-?\d+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    const fromTs = Object.fromEntries(
      Object.entries(SCRIPT_CODE_LUA_NAMES).map(([code, name]) => [name, Number(code)]),
    );
    expect(fromLua).toEqual(fromTs);
    const numeric = Object.values(ScriptCode).filter((v) => typeof v === 'number');
    expect(numeric.sort()).toEqual(Object.values(fromTs).sort());
  });

  it('every script includes the table, names its N keys once and documents its codes', () => {
    expect(scripts.length).toBeGreaterThan(0);
    for (const file of scripts) {
      const source = lua(file);
      const keys = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
      expect(source, file).toContain('--@include codes');
      expect(source, file).toMatch(/Returns \(codes: includes\/codes\.lua\):/);
      const code = source.slice(source.indexOf(']]') + 2);
      // KEYS[1]..KEYS[N] appear once each, in the `local ... = KEYS[1], ...` declaration
      const used = [...code.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
      expect(used, file).toEqual(Array.from({ length: keys }, (_, i) => i + 1));
      expect(code, file).toMatch(/^local [a-zA-Z, \n]+ =\s+KEYS\[1\]/m);
      // no bare numeric return code: every outcome is a named Code
      expect(code, file).not.toMatch(/return \{?-?\d/);
    }
  });
});

describe('each script outcome decodes to its Error class', () => {
  it('create-run-3: RUN_EXISTS and STAGED_COUNT_MISMATCH -> RunStateError (409)', async () => {
    const id = await createRun(1);
    const k = store.keys.run(id);
    const exists = await redis.rlCreateRun(k.run, k.items, k.events, 1, 10, 60, 1, 'id', id);
    expect(exists).toEqual([ScriptCode.RunExists]);
    const err = scriptError(exists, { runId: id, totalItems: 1 });
    expect(err).toBeInstanceOf(RunStateError);
    expect([err?.message, err?.status, err?.type]).toEqual([
      `run ${id} exists already`,
      409,
      'urn:runledger:problem:conflict',
    ]);

    const other = store.keys.run(ulid());
    const short = await redis.rlCreateRun(other.run, other.items, other.events, 1, 10, 60, 2);
    expect(short).toEqual([ScriptCode.StagedCountMismatch]);
    const mismatch = scriptError(short, { runId: 'r', totalItems: 2 });
    expect(mismatch).toBeInstanceOf(RunStateError);
    expect(mismatch?.message).toBe('run r: staged items do not number 2');
    expect(await redis.exists(other.run)).toBe(0);
  });

  it('claim-items-4 and finish-run-9: RUN_NOT_FOUND -> RunNotFoundError, RUN_TERMINAL -> RunTerminalError', async () => {
    const gone = ulid();
    const claimGone = await claimRaw(gone);
    expect(claimGone).toEqual([ScriptCode.RunNotFound]);
    const finishGone = await cancelRaw(gone);
    expect(finishGone).toEqual([ScriptCode.RunNotFound]);
    for (const reply of [claimGone, finishGone]) {
      const err = scriptError(reply, { runId: gone });
      expect(err).toBeInstanceOf(RunNotFoundError);
      expect([err?.name, err?.message, err?.status, err?.kind]).toEqual([
        'RunNotFoundError',
        `run ${gone} not found`,
        404,
        'not_found',
      ]);
    }

    const id = await createRun(2);
    expect((await store.execution.finishRun(id, 'cancelled', 'stop')).state).toBe('finished');
    const claimDone = await claimRaw(id);
    expect(claimDone).toEqual([ScriptCode.RunTerminal, 'cancelled']);
    const finishDone = await cancelRaw(id);
    expect(finishDone).toEqual([ScriptCode.RunTerminal, 'cancelled']);
    for (const reply of [claimDone, finishDone]) {
      const err = scriptError(reply, { runId: id });
      expect(err).toBeInstanceOf(RunTerminalError);
      expect(err).toBeInstanceOf(RunStateError);
      expect(err).toMatchObject({
        runId: id,
        runStatus: 'cancelled',
        status: 409,
        kind: 'conflict',
      });
      expect(err?.message).toBe(`run ${id} is already cancelled`);
    }
    // the store's outcomes keep their public shape
    expect(
      await store.execution.claimItems(id, [0], { withItems: false, withSpec: false }),
    ).toEqual({
      state: 'terminal',
      status: 'cancelled',
    });
    expect(await store.execution.finishRun(gone, 'cancelled')).toEqual({ state: 'missing' });
  });

  it('record-results-9, read-run-4, add-rerun-2, find-open-chunks-2: RUN_NOT_FOUND -> RunNotFoundError', async () => {
    const gone = ulid();
    const k = store.keys.run(gone);
    const replies = [
      await redis.rlRecordResults(...store.keys.runKeyList(gone), 1, 10, '[[0,"succeeded"]]', '{}'),
      await redis.rlReadRun(k.run, k.latency, k.errtypes, k.reruns, 50),
      await redis.rlAddRerun(k.run, k.reruns, ulid(), 1),
      await redis.rlFindOpenChunks(k.run, k.results, 0, 10),
    ];
    for (const reply of replies) {
      expect(reply).toEqual([ScriptCode.RunNotFound]);
      expect(scriptError(reply, { runId: gone })).toBeInstanceOf(RunNotFoundError);
    }
    expect(await redis.exists(k.reruns, k.results)).toBe(0);
    // and the store maps them to its documented answers
    expect(
      await store.execution.recordResults(gone, [
        { index: 0, result: { status: 'succeeded', attempts: 1 } },
      ]),
    ).toEqual({ state: 'missing' });
    expect(await store.runs.getRun(gone)).toBeNull();
    expect(await store.runs.addRerun(gone, ulid(), 1)).toBe(false);
    expect(await store.fleet.findOpenChunks(gone)).toEqual([]);
  });

  it('OK replies lead with ScriptCode.Ok and decode to no error', async () => {
    const id = await createRun(3);
    const k = store.keys.run(id);
    const claim = await redis.rlClaimItems(k.run, k.items, k.results, k.events, 1, '0', '0', 10, 0);
    // no items asked for: the open indexes as one string, no item values
    expect(claim).toEqual([ScriptCode.Ok, null, '0', null]);
    // a claim of items 0 and 2 with their values, without the spec (raw reply)
    const claimWithItems = () =>
      redis.rlClaimItems(k.run, k.items, k.results, k.events, 1, '1', '0', 10, 0, 2);
    // plain items travel as one JSON array, in the order of the indexes
    expect(await claimWithItems()).toEqual([
      ScriptCode.Ok,
      null,
      '0,2',
      '[{"id":"0","input":0},{"id":"2","input":2}]',
    ]);
    // an item that is not plain JSON (an encrypted one): the items travel as a list
    await redis.hset(k.items, '2', 'enc:v1:k1:abc');
    expect(await claimWithItems()).toEqual([
      ScriptCode.Ok,
      null,
      '0,2',
      ['{"id":"0","input":0}', 'enc:v1:k1:abc'],
    ]);
    const recorded = await redis.rlRecordResults(
      ...store.keys.runKeyList(id),
      1,
      10,
      '[[0,"succeeded"]]',
      '{"status":"succeeded","attempts":1}',
    );
    expect(recorded).toEqual([ScriptCode.Ok, 1, 1, 3, 0, 0]);
    expect(await redis.rlFindOpenChunks(k.run, k.results, 0, 10)).toEqual([ScriptCode.Ok, -1, 0]);
    const read = await redis.rlReadRun(k.run, k.latency, k.errtypes, k.reruns, 50);
    expect(read[0]).toBe(ScriptCode.Ok);
    // the run hash and the errtypes hash each as one JSON object string
    expect(JSON.parse(read[1] as string)).toMatchObject({ totalItems: '3', succeededCount: '1' });
    expect(read.slice(2, 4)).toEqual([0, null]);
    expect(JSON.parse(read[5] as string)).toEqual({});
    expect(await redis.rlAddRerun(k.run, k.reruns, ulid(), 1)).toEqual([ScriptCode.Ok]);
    const finished = await redis.rlFinishRun(
      ...store.keys.runKeyList(id),
      1,
      10,
      'cancelled',
      '',
      '{}',
      10_000,
    );
    // 2 items recorded cancelled, the run ended (-1), this call began the ending, its status
    expect(finished).toEqual([ScriptCode.Ok, 2, -1, 1, 'cancelled']);
    for (const reply of [claim, recorded, read, finished]) {
      expect(scriptError(reply, { runId: id })).toBeNull();
    }
  });

  it('acquire-slot-1: OK, then BUSY with a wait hint (not an error)', async () => {
    const key = store.keys.runSlots(ulid());
    expect(await redis.rlAcquireSlot(key, 1000, 1, 'a', 500)).toEqual([ScriptCode.Ok, 0]);
    const busy = await redis.rlAcquireSlot(key, 1100, 1, 'b', 500);
    expect(busy).toEqual([ScriptCode.Busy, 400]);
    expect(scriptError(busy, { runId: 'r' })).toBeNull();
    await redis.del(key);
  });

  it('dataset-commit-4: every outcome and its DatasetCommitError (404 missing, 409 otherwise)', async () => {
    const project = 'codes';
    const commit = async (
      id: string,
      mode: 'create' | 'update',
      base: number,
      count: number,
      items: string[],
    ) => {
      const d = store.keys.dataset(project, id);
      const staging = d.staging(ulid());
      if (items.length > 0)
        await redis.hset(staging, ...items.flatMap((json, i) => [String(i), json]));
      const info = JSON.stringify({
        version: base + 1,
        itemCount: count,
        contentHash: `sha256:${items.join('').length}`,
        createdAt: 'x',
      });
      return redis.rlDatasetCommit(
        d.meta,
        d.versions,
        staging,
        d.version(base + 1),
        mode,
        base,
        count,
        info,
        1,
        id,
        'n',
        project,
        `sha256:${items.join('').length}`,
      );
    };
    const id = `ds-${ulid()}`;
    expect(await commit(id, 'create', 0, 1, ['{"id":"a"}'])).toEqual([ScriptCode.Ok, 1]);
    const unchanged = await commit(id, 'update', 1, 1, ['{"id":"b"}']);
    expect(unchanged.slice(0, 2)).toEqual([ScriptCode.Unchanged, 1]);
    expect(scriptError(unchanged, { datasetId: id, count: 1, base: 1 })).toBeNull();

    const cases: [unknown[], DatasetCommitError['reason'], number, string][] = [
      [
        await commit(id, 'create', 0, 1, ['{"id":"c"}']),
        'exists',
        409,
        `dataset ${id} exists already`,
      ],
      [
        await commit('nope', 'update', 1, 1, ['{"id":"c"}']),
        'missing',
        404,
        'dataset nope not found',
      ],
      [
        await commit(id, 'update', 0, 2, ['{"id":"c"}', '{"id":"d"}']),
        'conflict',
        409,
        `dataset ${id} changed meanwhile (version 1 was committed after version 0); retry`,
      ],
      [
        await commit(id, 'update', 1, 3, ['{"id":"ee"}']),
        'incomplete',
        409,
        `dataset ${id}: staged items do not number 3`,
      ],
    ];
    expect(cases.map(([reply]) => reply[0])).toEqual([
      ScriptCode.DatasetExists,
      ScriptCode.DatasetNotFound,
      ScriptCode.DatasetChanged,
      ScriptCode.StagedCountMismatch,
    ]);
    for (const [reply, reason, status, message] of cases) {
      const subject = {
        datasetId: reply[0] === ScriptCode.DatasetNotFound ? 'nope' : id,
        count: reason === 'incomplete' ? 3 : 1,
        base: 0,
      };
      const err = scriptError(reply, subject);
      expect(err).toBeInstanceOf(DatasetCommitError);
      expect(err).toMatchObject({ name: 'DatasetCommitError', reason, status, message });
    }
    // the writer throws the same
    const w = datasets.writer(project, id);
    await w.add('{"id":"z"}');
    await expect(w.commit({ mode: 'create', base: 0 })).rejects.toMatchObject({
      reason: 'exists',
      status: 409,
    });
  });

  it('an unknown code is a bug, not an outcome: scriptError throws', () => {
    expect(() => scriptError([-99], { runId: 'r' })).toThrow(/unexpected script reply code -99/);
    expect(() => scriptError([ScriptCode.DatasetChanged, 1], { runId: 'r' })).toThrow(/unexpected/);
  });
});

describe('the error family', () => {
  it('each class carries its name, HTTP status, problem kind and type', () => {
    const table = [
      [new RunledgerError('boom'), 'RunledgerError', 500, 'internal'],
      [
        new ValidationError('bad', [{ path: 'a', message: 'm' }]),
        'ValidationError',
        400,
        'validation',
      ],
      [new InvalidCursorError(), 'InvalidCursorError', 400, 'validation'],
      [new NotFoundError('no'), 'NotFoundError', 404, 'not_found'],
      [new RunNotFoundError('r1'), 'RunNotFoundError', 404, 'not_found'],
      [new ConflictError('c'), 'ConflictError', 409, 'conflict'],
      [new RunStateError('s'), 'RunStateError', 409, 'conflict'],
      [new RunTerminalError('r1', 'completed'), 'RunTerminalError', 409, 'conflict'],
      [new DatasetCommitError('missing', 'm'), 'DatasetCommitError', 404, 'not_found'],
      [new DatasetCommitError('conflict', 'm'), 'DatasetCommitError', 409, 'conflict'],
      [new PayloadTooLargeError('big'), 'PayloadTooLargeError', 413, 'payload_too_large'],
      [new UnavailableError('down'), 'UnavailableError', 503, 'unavailable'],
    ] as const;
    for (const [err, name, status, kind] of table) {
      expect(err).toBeInstanceOf(RunledgerError);
      expect([err.name, err.status, err.kind, err.type]).toEqual([
        name,
        status,
        kind,
        `urn:runledger:problem:${kind}`,
      ]);
    }
    expect(new InvalidCursorError().errors).toEqual([
      { path: 'cursor', message: 'not a cursor this API handed out' },
    ]);
  });
});
