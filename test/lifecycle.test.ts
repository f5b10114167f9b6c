/**
 * `GET /v1/runs/:id/snapshot`, `POST /v1/runs/import` and `POST /v1/runs/cleanup` through the
 * API over a real Redis: exact round trip (counters, results, items, scores, latency
 * percentiles, error types, events with their ids), byte-identical snapshots, 409s, 400s for
 * truncated and tampered snapshots with nothing written, roles, project isolation, cleanup dry
 * run vs real.
 */
import { createHash } from 'node:crypto';
import { pruneAfterFinish, type Run, type StoredResult } from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness, requestJson } from './helpers/app.js';
import { commitTestRun } from './helpers/submit.js';

const ADMIN = 'life-alpha-admin-0123456789';
const READER = 'life-alpha-read-0123456789a';
const BETA = 'life-beta-admin-0123456789ab';
const DAY = 86_400_000;
const ok: StoredResult = { status: 'succeeded', attempts: 1, latencyMs: 2, output: 1 };

let h: AppHarness;

beforeAll(async () => {
  h = await createAppHarness('life', {
    RUNLEDGER_API_KEYS: `alpha:${ADMIN}:admin,alpha:${READER}:read,beta:${BETA}:admin`,
    RUNLEDGER_CLAIM_LEASE_MS: '50',
  });
});
afterAll(() => h.close());

const call = (method: string, path: string, key: string, body?: string, type?: string) =>
  h.app.request(path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(type ? { 'content-type': type } : {}) },
    ...(body !== undefined ? { body } : {}),
  });

const importSnapshot = (text: string, key = ADMIN) =>
  call('POST', '/v1/runs/import', key, text, 'application/x-ndjson');

/** Every key of the harness prefix that holds `runId`. */
async function runKeys(runId: string): Promise<string[]> {
  return (await h.redis.keys(`${h.prefix}:{${runId}}:*`)).sort();
}

/** A finished run of `project` with rich results: scores, latency, usage, cost, a failure. */
async function richRun(
  project: string,
  options: { finishedAt?: number; datasetId?: string; n?: number } = {},
): Promise<string> {
  const n = options.n ?? 12;
  const id = await commitTestRun(h.store, n, {
    project,
    scorers: [{ name: 'exact_match' }],
    datasetId: options.datasetId ?? 'qa',
    // created before it finished, as every run is
    createdAt: (options.finishedAt ?? Date.now()) - 60_000,
    tags: ['nightly'],
    metadata: { owner: 'ops' },
  });
  const records = Array.from({ length: n }, (_, i) => {
    const result: StoredResult =
      i % 5 === 4
        ? {
            status: 'failed',
            attempts: 3,
            latencyMs: 100 + i,
            error: { message: `upstream 502 on item ${i}`, type: 'http_error', status: 502 },
          }
        : {
            status: 'succeeded',
            attempts: 1,
            latencyMs: 7 * i + 0.25,
            output: { answer: `a/${i}`, n: i },
            usage: { inputTokens: 10 + i, outputTokens: 3 },
            costUsd: 0.0001 * (i + 1),
            scores: { exact_match: { score: i % 2, passed: i % 2 === 1 } },
          };
    return { index: i, result };
  });
  // two batches, as a worker writes them
  const at = options.finishedAt ?? Date.now();
  const half = Math.floor(n / 2);
  await h.store.execution.recordResults(id, records.slice(0, half), at - 5);
  const outcome = await h.store.execution.recordResults(id, records.slice(half), at);
  expect(outcome).toMatchObject({ state: 'ok', finished: true });
  return id;
}

async function snapshotText(id: string, key = ADMIN): Promise<string> {
  const res = await call('GET', `/v1/runs/${id}/snapshot`, key);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  return res.text();
}

async function allResults(id: string): Promise<unknown[]> {
  const res = await requestJson<{ results: unknown[] }>(
    h.app,
    'GET',
    `/v1/runs/${id}/results?limit=1000`,
    undefined,
    ADMIN,
  );
  expect(res.status).toBe(200);
  return res.body.results;
}

const getRun = async (id: string) => {
  const res = await requestJson<Run>(h.app, 'GET', `/v1/runs/${id}`, undefined, ADMIN);
  return res;
};

describe('snapshot and import', () => {
  it('round trip: the restored run has the same counters, results, scores, latency, error types and events; its snapshot is byte-identical', async () => {
    const id = await richRun('alpha');
    const before = (await getRun(id)).body;
    const results = await allResults(id);
    const events = await h.redis.xrange(h.store.keys.run(id).events, '-', '+');
    const latency = await h.redis.hgetall(h.store.keys.run(id).latency);
    const text = await snapshotText(id);
    // a second snapshot of the same run: byte-identical
    expect(await snapshotText(id)).toBe(text);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 12 + events.length + 1);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'digest', lines: lines.length - 1 });

    expect((await call('DELETE', `/v1/runs/${id}`, ADMIN)).status).toBe(204);
    expect(await runKeys(id)).toEqual([]);

    const imported = await importSnapshot(text);
    expect(imported.status).toBe(201);
    const restored = (await imported.json()) as Run;
    const { expiresAt: e1, ...was } = before;
    const { expiresAt: e2, ...now } = restored;
    expect(now).toEqual(was);
    expect(restored.latencyMs.p50).not.toBeNull();
    expect(restored.errorTypes).toEqual([
      { type: 'http_error', count: 2, message: 'upstream 502 on item 4' },
    ]);
    // the retention starts again
    expect(Date.parse(e2!)).toBeGreaterThanOrEqual(Date.parse(e1!));
    const ttl = await h.redis.ttl(h.store.keys.run(id).run);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(await allResults(id)).toEqual(results);
    expect(await h.redis.xrange(h.store.keys.run(id).events, '-', '+')).toEqual(events);
    // the latency histogram and the status bitmaps rebuilt as they were
    expect(await h.redis.hgetall(h.store.keys.run(id).latency)).toEqual(latency);
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
      expect(await h.redis.bitcount(h.store.keys.run(id)[status])).toBe(
        { succeeded: 10, failed: 2, cancelled: 0 }[status],
      );
    }
    // listed again, as a finished run (not in flight)
    expect(await h.redis.zscore(h.store.keys.runsIndex, id)).not.toBeNull();
    expect(await h.redis.zscore(h.store.keys.activeRuns, id)).toBeNull();
    expect(await snapshotText(id)).toBe(text);
  });

  it('409 when the run exists; 409 for a snapshot of a run still going on', async () => {
    const id = await richRun('alpha', { n: 3 });
    const text = await snapshotText(id);
    const again = await importSnapshot(text);
    expect(again.status).toBe(409);
    const running = await commitTestRun(h.store, 2, { project: 'alpha' });
    const res = await call('GET', `/v1/runs/${running}/snapshot`, ADMIN);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/only finished runs/);
  });

  it('400 for truncated or tampered snapshots, and nothing is written', async () => {
    const id = await richRun('alpha', { n: 4 });
    const text = await snapshotText(id);
    expect((await call('DELETE', `/v1/runs/${id}`, ADMIN)).status).toBe(204);
    const lines = text.trimEnd().split('\n');
    const cases: [string, string, RegExp][] = [
      ['no digest line', `${lines.slice(0, -1).join('\n')}\n`, /truncated/],
      ['cut in the middle', text.slice(0, Math.floor(text.length / 2)), /truncated/],
      ['a line left out', `${[...lines.slice(0, 2), ...lines.slice(3)].join('\n')}\n`, /truncated/],
      ['a value changed', text.replace('"attempts":1', '"attempts":2'), /digest mismatch/],
      ['empty', '', /truncated/],
    ];
    for (const [what, body, detail] of cases) {
      const res = await importSnapshot(body);
      expect(res.status, what).toBe(400);
      expect(((await res.json()) as { detail: string }).detail, what).toMatch(detail);
      expect(await runKeys(id), what).toEqual([]);
      expect(await h.redis.zscore(h.store.keys.runsIndex, id), what).toBeNull();
    }
    // an edit with a recomputed digest still has to add up: counters against results
    const edited = lines
      .slice(0, -1)
      .map((line, i) =>
        i === 1 ? line.replace('"status":"succeeded"', '"status":"cancelled"') : line,
      );
    const sha256 = createHash('sha256');
    for (const line of edited) sha256.update(`${line}\n`);
    const forged = `${[...edited, JSON.stringify({ type: 'digest', sha256: sha256.digest('hex'), lines: edited.length })].join('\n')}\n`;
    const res = await importSnapshot(forged);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(
      /succeededCount 4 but 3 succeeded results/,
    );
    expect(await runKeys(id)).toEqual([]);
    expect((await importSnapshot(text)).status).toBe(201);
  });

  it('an import never takes a latency summary from the snapshot: the run reads its rebuilt histogram', async () => {
    const id = await richRun('alpha', { n: 4 });
    const before = (await getRun(id)).body;
    const text = await snapshotText(id);
    expect(text).not.toContain('latencySummary');
    expect((await call('DELETE', `/v1/runs/${id}`, ADMIN)).status).toBe(204);
    // a snapshot edited to carry a forged, well-formed summary stamped with the run's own
    // counters, its digest recomputed
    const lines = text.trimEnd().split('\n').slice(0, -1);
    const head = JSON.parse(lines[0]!) as { hash: Record<string, string> };
    const forged = `${head.hash.succeededCount},${head.hash.failedCount},${head.hash.cancelledCount}|[4,"1","1","1","1"]`;
    head.hash.latencySummary = forged;
    lines[0] = JSON.stringify(head);
    const sha256 = createHash('sha256');
    for (const line of lines) sha256.update(`${line}\n`);
    const digest = JSON.stringify({
      type: 'digest',
      sha256: sha256.digest('hex'),
      lines: lines.length,
    });
    expect((await importSnapshot(`${[...lines, digest].join('\n')}\n`)).status).toBe(201);
    // (the import's answer read the run: the cache holds what the histogram gives)
    expect(await h.redis.hget(h.store.keys.run(id).run, 'latencySummary')).not.toBe(forged);
    const restored = await getRun(id);
    expect(restored.status).toBe(200);
    expect(restored.body.latencyMs).toEqual(before.latencyMs);
  });

  it('roles and projects: a read key snapshots but cannot import; another project sees 404 and cannot import it', async () => {
    const id = await richRun('alpha', { n: 2 });
    const text = await snapshotText(id, READER);
    expect((await importSnapshot(text, READER)).status).toBe(403);
    expect((await call('GET', `/v1/runs/${id}/snapshot`, BETA)).status).toBe(404);
    expect((await call('DELETE', `/v1/runs/${id}`, ADMIN)).status).toBe(204);
    const res = await importSnapshot(text, BETA);
    expect(res.status).toBe(400);
    expect(await runKeys(id)).toEqual([]);
    const wrongType = await call('POST', '/v1/runs/import', ADMIN, text, 'application/json');
    expect(wrongType.status).toBe(415);
    // audited: the refused and the accepted import
    expect((await importSnapshot(text)).status).toBe(201);
    const audit = await requestJson<{
      entries: { action: string; objectId: string | null; status: number }[];
    }>(h.app, 'GET', '/v1/audit?action=run.import', undefined, ADMIN);
    expect(audit.status).toBe(200);
    expect(audit.body.entries.some((e) => e.objectId === id && e.status === 201)).toBe(true);
  });
});

describe('cleanup', () => {
  /** `POST /v1/runs/cleanup` with `body` as `key` (ADMIN by default). */
  const cleanup = <T = unknown>(body: unknown, key = ADMIN) =>
    requestJson<T>(h.app, 'POST', '/v1/runs/cleanup', body, key);

  it('dry run lists, the real call deletes exactly the finished runs of the project older than the cutoff', async () => {
    const old = Date.now() - 40 * DAY;
    const oldCompleted = await richRun('alpha', { finishedAt: old, datasetId: 'ds-clean', n: 5 });
    const oldCancelled = await commitTestRun(h.store, 3, {
      project: 'alpha',
      datasetId: 'ds-clean',
      createdAt: old - 60_000,
    });
    await h.store.execution.finishRun(oldCancelled, 'cancelled', 'by test', old);
    const recent = await richRun('alpha', { datasetId: 'ds-clean', n: 2 });
    const running = await commitTestRun(h.store, 2, {
      project: 'alpha',
      datasetId: 'ds-clean',
      createdAt: old,
    });
    const otherProject = await richRun('beta', { finishedAt: old, datasetId: 'ds-clean', n: 2 });

    const dry = await cleanup<{
      dryRun: boolean;
      count: number;
      runs: { id: string; status: string }[];
    }>({ olderThan: '30d', datasetId: 'ds-clean', dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.runs.map((r) => r.id).sort()).toEqual([oldCompleted, oldCancelled].sort());
    for (const id of [oldCompleted, oldCancelled, recent, running, otherProject])
      expect(await h.store.runs.getRunStatus(id)).not.toBeNull();

    const onlyCancelled = await cleanup<{ count: number; runs: { id: string }[] }>({
      olderThan: '30d',
      datasetId: 'ds-clean',
      status: 'cancelled',
    });
    expect(onlyCancelled.body.runs.map((r) => r.id)).toEqual([oldCancelled]);
    expect(await h.store.runs.getRunStatus(oldCancelled)).toBeNull();
    expect(await runKeys(oldCancelled)).toEqual([]);

    const real = await cleanup<{ dryRun: boolean; count: number; runs: { id: string }[] }>({
      olderThan: '30d',
      datasetId: 'ds-clean',
    });
    expect(real.body).toMatchObject({ dryRun: false, count: 1 });
    expect(real.body.runs.map((r) => r.id)).toEqual([oldCompleted]);
    expect(await runKeys(oldCompleted)).toEqual([]);
    expect(await h.store.runs.getRunStatus(recent)).toBe('completed');
    expect(await h.store.runs.getRunStatus(running)).toBe('queued');
    expect(await h.store.runs.getRunStatus(otherProject)).toBe('completed');
  });

  it('cleanup overlapping keep-last finishes: no error, no running run touched, every run reported is gone, at most N finished left', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push(
        await commitTestRun(h.store, 1, {
          project: 'alpha',
          datasetId: 'ds-overlap',
          keepLast: 2,
          createdAt: Date.now() - 10_000,
        }),
      );
    }
    const running = await commitTestRun(h.store, 1, {
      project: 'alpha',
      datasetId: 'ds-overlap',
      createdAt: Date.now() - 10_000,
    });
    const base = Date.now() - 5000;
    const [cleaned] = await Promise.all([
      cleanup<{ runs: { id: string }[] }>({ olderThan: '1s', datasetId: 'ds-overlap' }),
      ...ids.map(async (id, i) => {
        await h.store.execution.recordResults(id, [{ index: 0, result: ok }], base + i);
        await pruneAfterFinish({ store: h.store, queues: h.queues }, id);
      }),
    ]);
    expect(cleaned.status).toBe(200);
    for (const r of cleaned.body.runs) expect(await runKeys(r.id)).toEqual([]);
    const left = [];
    for (const id of ids) if ((await h.store.runs.getRunStatus(id)) !== null) left.push(id);
    expect(left.length).toBeLessThanOrEqual(2);
    // the group lists exactly the runs left (cleanup may have taken kept ones too)
    expect(await h.store.retention.kept('alpha', 'echo', 'ds-overlap')).toEqual(left);
    expect(await h.store.retention.pending()).toEqual([]);
    expect(await h.store.runs.getRunStatus(running)).toBe('queued');
  });

  it('400 on a bad duration; 403 for a read key', async () => {
    const bad = await cleanup<{ errors: { path: string }[] }>({ olderThan: '30 days' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]!.path).toBe('olderThan');
    // a misspelt filter or dry-run flag is refused, never a wider (or real) cleanup
    const typo = await cleanup<{ errors: { path: string; message: string }[] }>({
      olderThan: '1d',
      stauts: 'failed',
      dry_run: true,
    });
    expect(typo.status).toBe(400);
    expect(typo.body.errors).toEqual([
      { path: 'stauts', message: 'unknown field "stauts"' },
      { path: 'dry_run', message: 'unknown field "dry_run"' },
    ]);
    const reader = await cleanup({ olderThan: '1d' }, READER);
    expect(reader.status).toBe(403);
    // every cleanup call is audited as run.cleanup, refused ones with their status
    const audit = await requestJson<{ entries: { action: string; status: number }[] }>(
      h.app,
      'GET',
      '/v1/audit?action=run.cleanup&limit=100',
      undefined,
      ADMIN,
    );
    const statuses = audit.body.entries.map((e) => e.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(400);
    expect(statuses).toContain(403);
  });
});
