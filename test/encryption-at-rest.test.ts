/**
 * Encryption at rest end to end (issue 12 part 4): the API app (app.request) and in-process
 * workers on a private redis-server. The same runs with and without `RUNLEDGER_ENCRYPTION_KEYS`
 * give the same API answers (results, search, export, compare, rerun, dataset items, error
 * types); a dump of every key of the encrypted side finds none of the runs' and the dataset's
 * plaintext markers (and the plaintext side does: the dump would see them); keys rotate
 * (written under kid0, read with `kid1,kid0`, new writes under kid1); a removed key answers a
 * 500 problem naming it.
 */
import { randomBytes } from 'node:crypto';
import {
  createRedis,
  loadConfig,
  NonRetryableError,
  type Result,
  type Run,
} from '@runledger/shared';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApp, type OpenedApp, openApp } from './helpers/app.js';
import { dumpText } from './helpers/redis-dump.js';
import { destroyRedisServer, type RedisServer, startRedisServer } from './helpers/redis-server.js';
import { waitTerminal } from './helpers/run-checks.js';
import { anyConfigTarget } from './helpers/targets.js';

/** Echoes `input.text` as `{ answer }`; fails (not retried) naming it when `input.fail`. */
const markerTarget = anyConfigTarget(
  'marker',
  'echoes input.text, fails naming it',
  async (input) => {
    const { text, fail } = input as { text: string; fail?: boolean };
    if (fail) throw new NonRetryableError(`no answer for ${text}`);
    return { output: { answer: text } };
  },
);

const KEY0 = `kid0:${randomBytes(32).toString('base64')}`;
const KEY1 = `kid1:${randomBytes(32).toString('base64')}`;
/** Every marker holds `-`, which base64 never does: no ciphertext can contain one by chance. */
const marker = (what: string, i: number) => `secret-${what}-${i}-marker`;
const ITEMS = 12;
const items = (tag: string) =>
  Array.from({ length: ITEMS }, (_, i) => ({
    id: marker(`${tag}id`, i),
    input: { text: marker(`${tag}in`, i), fail: i % 4 === 3 },
    expectedOutput: { answer: i % 3 === 0 ? 'wrong' : marker(`${tag}in`, i) },
    metadata: { note: marker(`${tag}meta`, i) },
  }));
/** Every marker of `items(tag)`, and those the failed results' errors hold. */
const markersOf = (tag: string) =>
  items(tag).flatMap((it, i) => [
    it.id,
    it.input.text,
    it.metadata.note,
    ...(it.input.fail ? [`no answer for ${marker(`${tag}in`, i)}`] : []),
  ]);

let server: RedisServer;
let redis: Redis;
const open: Side[] = [];

/** An API app and (optionally) a worker on `prefix` with `keys` as RUNLEDGER_ENCRYPTION_KEYS. */
type Side = OpenedApp & { prefix: string };

async function side(prefix: string, keys: string, withWorker = true): Promise<Side> {
  const config = loadConfig({
    REDIS_URL: server.url,
    RUNLEDGER_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: '8',
    RUNLEDGER_ENCRYPTION_KEYS: keys,
  });
  const opened = await openApp(
    config,
    redis,
    withWorker ? { worker: { targets: [markerTarget] } } : {},
  );
  const s: Side = { prefix, ...opened };
  open.push(s);
  return s;
}

/** `method path` on the side's app with `body` as JSON; status, parsed body (null when not JSON) and text. */
async function call<T>(
  s: Side,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T; text: string }> {
  const answer = await callApp(s.app, method, path, { body });
  return { status: answer.status, body: (answer.json ?? null) as T, text: answer.text };
}

/** Waits until run `id` is terminal; the run. */
const finished = (s: Side, id: string): Promise<Run> => waitTerminal(s.store, id);

/** Submits `spec` (201 expected) and waits for the run to end. */
async function runToEnd(s: Side, spec: unknown): Promise<Run> {
  const created = await call<Run>(s, 'POST', '/v1/runs', spec);
  expect(created.status, created.text).toBe(201);
  return finished(s, created.body.id);
}

/** What must not depend on where or when a run ran (ids, times, latencies, worker) left out. */
function stable(r: Result) {
  return {
    itemId: r.itemId,
    itemIndex: r.itemIndex,
    status: r.status,
    input: r.input,
    expectedOutput: r.expectedOutput,
    metadata: r.metadata,
    output: r.output,
    error: r.error,
    attempts: r.attempts,
    scores: r.scores,
    masked: r.masked,
  };
}

function stableRun(run: Run) {
  return {
    status: run.status,
    totalItems: run.totalItems,
    succeededCount: run.succeededCount,
    failedCount: run.failedCount,
    cancelledCount: run.cancelledCount,
    scores: run.scores,
    errorTypes: run.errorTypes,
    datasetVersion: run.datasetVersion,
  };
}

/** Every value under `prefix` (and BullMQ's `{prefix}`), read by type, as one text. */
const dump = (prefix: string): Promise<string> => dumpText(redis, [`${prefix}:*`, `{${prefix}}:*`]);

/** Every answer a user reads of run `id` (and its rerun and dataset), made independent of ids and times. */
async function answers(s: Side, runId: string, rerunId: string, datasetRunId: string) {
  const results = `/v1/runs/${runId}/results`;
  /** Every GET a user makes, by name; each must answer 200. */
  const paths = {
    run: `/v1/runs/${runId}`,
    page: `${results}?limit=100`,
    failedPage: `${results}?status=failed`,
    search: `${results}?q=${encodeURIComponent('TIN-5-MARK')}`,
    searchError: `${results}?q=${encodeURIComponent('no answer for secret-tin-7')}`,
    sorted: `${results}?sort=-score:exact_match&limit=100`,
    jsonl: `/v1/runs/${runId}/results.jsonl`,
    csv: `/v1/runs/${runId}/results.csv`,
    compare: `/v1/runs/${runId}/compare/${rerunId}?seed=7`,
    effective: `${results}?effective=true&limit=100`,
    datasetRun: `/v1/runs/${datasetRunId}/results?limit=100`,
    datasetItems: '/v1/datasets/enc-data/versions/latest/items?limit=100',
  };
  const got = {} as Record<keyof typeof paths, { status: number; body: unknown; text: string }>;
  for (const [name, path] of Object.entries(paths) as [keyof typeof paths, string][]) {
    got[name] = await call(s, 'GET', path);
  }
  for (const r of Object.values(got)) expect(r.status, r.text).toBe(200);
  /** The stable form of the results of the page answered as `name`. */
  const stablePage = (name: keyof typeof paths) =>
    (got[name].body as { results: Result[] }).results.map(stable);
  const ids = (text: string) =>
    text.replaceAll(runId, 'RUN').replaceAll(rerunId, 'RERUN').replaceAll(datasetRunId, 'DRUN');
  return {
    run: stableRun(got.run.body as Run),
    results: stablePage('page'),
    failed: stablePage('failedPage'),
    search: stablePage('search'),
    searchError: stablePage('searchError'),
    sorted: (got.sorted.body as { results: Result[] }).results.map((r) => r.itemId),
    jsonl: got.jsonl.text
      .trim()
      .split('\n')
      .map((line) => stable(JSON.parse(line) as Result)),
    csvRows: got.csv.text.trim().split('\n').length,
    csvHeader: got.csv.text.split('\n')[0],
    compare: JSON.parse(ids(JSON.stringify(got.compare.body))) as unknown,
    effective: stablePage('effective'),
    datasetRun: stablePage('datasetRun'),
    datasetItems: (got.datasetItems.body as { items: unknown[] }).items,
  };
}

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url);
});

afterAll(async () => {
  for (const s of open) await s.close();
  redis?.disconnect();
  if (server) await destroyRedisServer(server);
});

/** A run of `items('t')` with exact_match, a rerun of all its items, a dataset and a run over it. */
async function scenario(s: Side) {
  const spec = {
    target: { name: 'marker' },
    dataset: { items: items('t') },
    scorers: [{ name: 'exact_match' }],
  };
  const run = await runToEnd(s, spec);
  const rerun = await call<Run>(s, 'POST', `/v1/runs/${run.id}/rerun`, { only: 'all' });
  expect(rerun.status, rerun.text).toBe(201);
  await finished(s, rerun.body.id);
  const dataset = await call(s, 'POST', '/v1/datasets', {
    id: 'enc-data',
    name: 'enc data',
    items: items('d'),
  });
  expect(dataset.status, dataset.text).toBe(201);
  const appended = await call(s, 'POST', '/v1/datasets/enc-data/items', {
    mode: 'append',
    items: [{ id: marker('dappendid', 0), input: { text: marker('dappendin', 0) } }],
  });
  expect(appended.status, appended.text).toBe(201);
  const datasetRun = await runToEnd(s, {
    target: { name: 'marker' },
    dataset: { id: 'enc-data' },
    scorers: [{ name: 'exact_match' }],
  });
  return { run, rerunId: rerun.body.id, datasetRun };
}

describe('encryption at rest', () => {
  it('gives the same API answers as without encryption, and a dump of every key finds no plaintext marker', async () => {
    const plain = await side('rl-plain', '');
    const enc = await side('rl-enc', KEY1);
    const p = await scenario(plain);
    const e = await scenario(enc);
    expect(e.run.status).toBe('completed');
    expect(stableRun(e.run)).toEqual(stableRun(p.run));
    expect(e.run.failedCount).toBe(3);
    expect(e.run.errorTypes).toEqual([
      { type: 'target_error', count: 3, message: `no answer for ${marker('tin', 3)}` },
    ]);

    const ea = await answers(enc, e.run.id, e.rerunId, e.datasetRun.id);
    const pa = await answers(plain, p.run.id, p.rerunId, p.datasetRun.id);
    expect(ea).toEqual(pa);
    // the answers really hold the values (decrypted)
    expect(ea.results).toHaveLength(ITEMS);
    expect(ea.results[1]).toMatchObject({
      itemId: marker('tid', 1),
      input: { text: marker('tin', 1), fail: false },
      output: { answer: marker('tin', 1) },
      metadata: { note: marker('tmeta', 1) },
      scores: { exact_match: { score: 1, passed: true } },
    });
    expect(ea.failed.map((r) => r.error?.message)).toEqual(
      [3, 7, 11].map((i) => `no answer for ${marker('tin', i)}`),
    );
    expect(ea.search.map((r) => r.itemId)).toEqual([marker('tid', 5)]);
    expect(ea.searchError.map((r) => r.itemId)).toEqual([marker('tid', 7)]);
    expect(ea.jsonl).toEqual(ea.results);
    expect(ea.csvRows).toBe(ITEMS + 1);
    expect(ea.datasetItems).toHaveLength(ITEMS + 1);
    expect(ea.datasetRun).toHaveLength(ITEMS + 1);

    const encDump = await dump('rl-enc');
    const plainDump = await dump('rl-plain');
    const wanted = [
      ...markersOf('t'),
      ...markersOf('d'),
      marker('dappendid', 0),
      marker('dappendin', 0),
    ];
    // the plaintext side stores every marker: the dump would find them
    expect(wanted.filter((m) => !plainDump.includes(m))).toEqual([]);
    expect(wanted.filter((m) => encDump.includes(m))).toEqual([]);
    expect(encDump).not.toContain('secret-');
    expect(encDump).toContain('enc:v1:kid1:');
    // values are stored under kid1; scores, statuses and latencies stay plaintext
    const stored = await redis.hget(`rl-enc:{${e.run.id}}:items`, '0');
    expect(stored).toMatch(/^enc:v1:kid1:/);
    const result = JSON.parse((await redis.hget(`rl-enc:{${e.run.id}}:results`, '1'))!);
    expect(result).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      scores: { exact_match: { score: 1, passed: true } },
    });
    expect(result.sealed).toMatch(/^enc:v1:kid1:/);
    expect(result.output).toBeUndefined();
  });

  it('rotates keys: data written under kid0 stays readable with kid1,kid0, new writes are under kid1; a removed key answers 500 naming it', async () => {
    const before = await side('rl-rot', KEY0);
    const first = await scenario(before);
    const firstAnswers = await answers(before, first.run.id, first.rerunId, first.datasetRun.id);
    expect(await redis.hget(`rl-rot:{${first.run.id}}:items`, '0')).toMatch(/^enc:v1:kid0:/);
    await before.close();
    open.splice(open.indexOf(before), 1);

    const rotated = await side('rl-rot', `${KEY1},${KEY0}`);
    // everything written under kid0 reads the same
    expect(await answers(rotated, first.run.id, first.rerunId, first.datasetRun.id)).toEqual(
      firstAnswers,
    );
    // new writes: a run over the dataset (kid0 items read, staged under kid1), a new version
    const again = await runToEnd(rotated, {
      target: { name: 'marker' },
      dataset: { id: 'enc-data' },
      scorers: [{ name: 'exact_match' }],
    });
    expect(again.status).toBe('completed');
    expect(again.succeededCount).toBe(10);
    expect(await redis.hget(`rl-rot:{${again.id}}:items`, '0')).toMatch(/^enc:v1:kid1:/);
    const sealed = JSON.parse((await redis.hget(`rl-rot:{${again.id}}:results`, '0'))!).sealed;
    expect(sealed).toMatch(/^enc:v1:kid1:/);
    const v3 = await call<{ version: number }>(rotated, 'POST', '/v1/datasets/enc-data/items', {
      mode: 'append',
      items: [{ id: 'new', input: { text: 'x' } }],
    });
    expect(v3.status, v3.text).toBe(201);
    const versionKeys = await redis.keys('rl-rot:dataset:*');
    const v3Key = versionKeys.find((k) => k.endsWith(':version:3'));
    expect(v3Key, versionKeys.join(',')).toBeDefined();
    expect(await redis.hget(v3Key!, '0')).toMatch(/^enc:v1:kid1:/);
    const v2Key = v3Key!.replace(/3$/, '2');
    expect(await redis.hget(v2Key, '0')).toMatch(/^enc:v1:kid0:/);

    // kid0 removed: reading what it wrote answers 500 naming kid0; kid1's data still reads
    const withoutOld = await side('rl-rot', KEY1, false);
    const problems = [
      await call<{ detail: string; type: string; status: number }>(
        withoutOld,
        'GET',
        `/v1/runs/${first.run.id}/results`,
      ),
      await call<{ detail: string; type: string; status: number }>(
        withoutOld,
        'GET',
        `/v1/runs/${first.run.id}/results.jsonl`,
      ),
      await call<{ detail: string; type: string; status: number }>(
        withoutOld,
        'GET',
        `/v1/runs/${first.run.id}`,
      ),
      await call<{ detail: string; type: string; status: number }>(
        withoutOld,
        'GET',
        '/v1/datasets/enc-data/versions/2/items',
      ),
      await call<{ detail: string; type: string; status: number }>(
        withoutOld,
        'GET',
        `/v1/runs/${first.run.id}/compare/${first.rerunId}`,
      ),
    ];
    for (const p of problems) {
      expect(p.status, p.text).toBe(500);
      expect(p.body).toMatchObject({
        type: 'urn:runledger:problem:decryption_failed',
        status: 500,
        detail: 'decryption failed (key kid0)',
      });
      expect(p.text).not.toContain('secret-');
    }
    const readable = await call<{ results: Result[] }>(
      withoutOld,
      'GET',
      `/v1/runs/${again.id}/results?limit=100`,
    );
    expect(readable.status).toBe(200);
    expect(readable.body.results).toHaveLength(ITEMS + 1);
    // no key at all: kid1's data answers 500 naming kid1
    const noKeys = await side('rl-rot', '', false);
    const missing = await call<{ detail: string }>(noKeys, 'GET', `/v1/runs/${again.id}/results`);
    expect(missing.status).toBe(500);
    expect(missing.body.detail).toBe('decryption failed (key kid1)');
  });

  it('snapshots hold the decrypted values; an import (after delete) encrypts them again under the current key and snapshots byte-identically', async () => {
    const before = await side('rl-snap', KEY0);
    const { run } = await scenario(before);
    const snapshot = await call<null>(before, 'GET', `/v1/runs/${run.id}/snapshot`);
    expect(snapshot.status, snapshot.text).toBe(200);
    expect(snapshot.text).not.toContain('enc:v1:');
    expect(snapshot.text).toContain(marker('tmeta', 4));
    expect(snapshot.text).toContain(`no answer for ${marker('tin', 3)}`); // the error type's message
    const results = await call<{ results: Result[] }>(
      before,
      'GET',
      `/v1/runs/${run.id}/results?limit=100`,
    );
    // rotated: kid1 encrypts, kid0 still decrypts
    const rotated = await side('rl-snap', `${KEY1},${KEY0}`, false);
    expect((await call(rotated, 'DELETE', `/v1/runs/${run.id}`)).status).toBe(204);
    const imported = await rotated.app.request('/v1/runs/import', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: snapshot.text,
    });
    expect(imported.status, await imported.clone().text()).toBe(201);
    expect(await redis.hget(`rl-snap:{${run.id}}:items`, '0')).toMatch(/^enc:v1:kid1:/);
    const sealed = JSON.parse((await redis.hget(`rl-snap:{${run.id}}:results`, '3'))!).sealed;
    expect(sealed).toMatch(/^enc:v1:kid1:/);
    expect(await redis.hget(`rl-snap:{${run.id}}:errtypes`, 'm:target_error')).toMatch(
      /^enc:v1:kid1:/,
    );
    const again = await call<null>(rotated, 'GET', `/v1/runs/${run.id}/snapshot`);
    expect(again.text).toBe(snapshot.text);
    const restored = await call<{ results: Result[] }>(
      rotated,
      'GET',
      `/v1/runs/${run.id}/results?limit=100`,
    );
    expect(restored.body.results.map(stable)).toEqual(results.body.results.map(stable));
    // every key of the prefix (runs, dataset, queues): no plaintext marker
    expect(await dump('rl-snap')).not.toContain('secret-');
  });
});
