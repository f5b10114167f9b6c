/**
 * Governance against a real Redis (issue 12 parts 5 and 6): key roles (each role against a
 * route of each class, exact 403 problems naming the role needed; every route has a role in
 * the one table), the audit log (exact entries after a sequence of calls, key id present and
 * key secret absent, filters and paging, length and age caps), `/metrics` with and without keys
 * and scrape token, the separate metrics listener, and the security headers on /v1, /docs and
 * the dashboard.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiServer, createApp, ROUTE_ACCESS, startApi } from '@runledger/api';
import {
  AuditLog,
  createLogger,
  hashApiKey,
  KeyLayout,
  loadConfig,
  parseApiKeys,
} from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, callApp, createAppHarness } from './helpers/app.js';
import { deletePrefix, redisUrl, uniquePrefix } from './helpers/context.js';

const READER = 'reader-key-0123456789abcdef';
const WRITER = 'writer-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';
const LEGACY = 'legacy-key-0123456789abcdef';
const TOKEN = 'scrape-token-0123456789abcdef';
const KEYS = `alpha:${READER}:read,alpha:${WRITER}:write,alpha:${ADMIN}:admin,beta:${LEGACY}`;
const RUN_SPEC = {
  target: { name: 'gov-idle' },
  execution: { waitForWorkers: true },
  dataset: { items: [{ input: 1 }, { input: 2 }] },
};

let h: AppHarness;
/** An audit entry as answered. */
type Entry = Record<string, unknown>;

beforeAll(async () => {
  h = await createAppHarness('gov', {
    RUNLEDGER_API_KEYS: KEYS,
    RUNLEDGER_CLAIM_LEASE_MS: '10',
    RUNLEDGER_METRICS_TOKEN: TOKEN,
  });
});
afterAll(async () => {
  await h?.close();
});

/** A parsed answer: many shapes, each asserted by value. */
// biome-ignore lint/suspicious/noExplicitAny: answers of many shapes, asserted by value
type Body = any;

/** `method path` with `key`; status, parsed body (null when empty) and the request id. */
async function call(
  method: string,
  path: string,
  key: string | null,
  body?: unknown,
  app = h.app,
): Promise<{
  status: number;
  body: Body;
  requestId: string | null;
  headers: Headers;
}> {
  const answer = await callApp(app, method, path, { key, body });
  return {
    status: answer.status,
    body: answer.json === undefined ? answer.text : answer.json,
    requestId: answer.headers.get('x-request-id'),
    headers: answer.headers,
  };
}

const forbiddenBody = (need: string, have: string, instance: string) => ({
  type: 'urn:runledger:problem:forbidden',
  title: 'Forbidden',
  status: 403,
  detail: `this call needs an API key with role "${need}" (or higher); this key has role "${have}"`,
  instance,
});

describe('RUNLEDGER_API_KEYS roles', () => {
  it('parses project:key[:role], admin when none is named', () => {
    expect(parseApiKeys(KEYS).map((k) => [k.project, k.key, k.role])).toEqual([
      ['alpha', READER, 'read'],
      ['alpha', WRITER, 'write'],
      ['alpha', ADMIN, 'admin'],
      ['beta', LEGACY, 'admin'],
    ]);
    // a last part that is not a role stays part of the key
    expect(parseApiKeys('p:abc:def:0123456789abcdef')).toEqual([
      { project: 'p', key: 'abc:def:0123456789abcdef', role: 'admin' },
    ]);
  });
});

describe('route roles', () => {
  it('gives every /v1 route of the app a role in ROUTE_ACCESS, and every change an audit action', () => {
    const routes = new Set(
      h.app.routes
        .filter((r) => r.path.startsWith('/v1/') && r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path}`),
    );
    expect(routes.size).toBeGreaterThan(25);
    const missing = [...routes].filter((r) => ROUTE_ACCESS[r] === undefined);
    expect(missing).toEqual([]);
    const stale = Object.entries(ROUTE_ACCESS)
      .filter(([r, a]) => !a.planned && !routes.has(r))
      .map(([r]) => r);
    expect(stale).toEqual([]);
    for (const [route, access] of Object.entries(ROUTE_ACCESS)) {
      const method = route.split(' ')[0];
      if (method === 'GET') expect(access.action, route).toBeUndefined();
      else expect(access.action, route).toMatch(/^[a-z]+\.[a-z]+$/);
      if (method === 'DELETE') expect(access.role, route).toBe('admin');
    }
  });

  it('read: GET routes and exports; 403 naming write or admin beyond', async () => {
    const created = await call('POST', '/v1/runs', WRITER, RUN_SPEC);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call('GET', '/v1/runs', READER)).status).toBe(200);
    expect((await call('GET', `/v1/runs/${id}`, READER)).status).toBe(200);
    expect((await call('GET', `/v1/runs/${id}/results.jsonl`, READER)).status).toBe(200);
    expect((await call('GET', '/v1/datasets', READER)).status).toBe(200);
    expect((await call('HEAD', '/v1/runs', READER)).status).toBe(200);

    const submit = await call('POST', '/v1/runs', READER, RUN_SPEC);
    expect(submit).toMatchObject({ status: 403, body: forbiddenBody('write', 'read', '/v1/runs') });
    const cancel = await call('POST', `/v1/runs/${id}/cancel`, READER);
    expect(cancel.body).toEqual(forbiddenBody('write', 'read', `/v1/runs/${id}/cancel`));
    const del = await call('DELETE', `/v1/runs/${id}`, READER);
    expect(del.body).toEqual(forbiddenBody('admin', 'read', `/v1/runs/${id}`));
    const audit = await call('GET', '/v1/audit', READER);
    expect(audit.body).toEqual(forbiddenBody('admin', 'read', '/v1/audit'));
    // nothing was changed by the refused calls
    expect((await call('GET', `/v1/runs/${id}`, READER)).body.status).toBe('queued');
  });

  it('write: submits, cancels and creates datasets; 403 naming admin for delete, audit and keys', async () => {
    const created = await call('POST', '/v1/runs', WRITER, RUN_SPEC);
    const id = created.body.id as string;
    expect((await call('POST', `/v1/runs/${id}/cancel`, WRITER)).status).toBe(200);
    const ds = await call('POST', '/v1/datasets', WRITER, {
      id: 'w-ds',
      name: 'W',
      items: [{ input: 1 }],
    });
    expect(ds.status).toBe(201);
    expect((await call('DELETE', `/v1/runs/${id}`, WRITER)).body).toEqual(
      forbiddenBody('admin', 'write', `/v1/runs/${id}`),
    );
    expect((await call('DELETE', '/v1/datasets/w-ds', WRITER)).body).toEqual(
      forbiddenBody('admin', 'write', '/v1/datasets/w-ds'),
    );
    expect((await call('GET', '/v1/audit', WRITER)).body).toEqual(
      forbiddenBody('admin', 'write', '/v1/audit'),
    );
    expect((await call('POST', '/v1/keys', WRITER, { role: 'read' })).body).toEqual(
      forbiddenBody('admin', 'write', '/v1/keys'),
    );
  });

  it('admin (and a key naming no role): deletes, reads the audit log, manages keys', async () => {
    const created = await call('POST', '/v1/runs', ADMIN, RUN_SPEC);
    expect((await call('DELETE', `/v1/runs/${created.body.id}`, ADMIN)).status).toBe(204);
    expect((await call('GET', '/v1/audit', ADMIN)).status).toBe(200);
    expect((await call('GET', '/v1/audit', LEGACY)).status).toBe(200);
    expect((await call('GET', '/v1/keys', LEGACY)).body).toEqual({ keys: [] });
    // a key stored before roles existed (no role in its record) is admin
    const old = 'stored-before-roles-0123456789';
    const record = {
      id: '0123456789ab',
      project: 'alpha',
      name: 'old',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    await h.redis.hset(h.store.keys.apiKeys, hashApiKey(old), JSON.stringify(record));
    expect((await call('GET', '/v1/audit', old)).status).toBe(200);
    expect((await call('GET', '/v1/keys', old)).body).toEqual({
      keys: [{ ...record, role: 'admin' }],
    });
    await h.redis.hdel(h.store.keys.apiKeys, hashApiKey(old));
  });

  it('stored keys carry their role: a read key made through the API is refused a submit', async () => {
    const made = await call('POST', '/v1/keys', LEGACY, { name: 'dash', role: 'read' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ project: 'beta', name: 'dash', role: 'read' });
    const key = made.body.key as string;
    expect((await call('GET', '/v1/runs', key)).status).toBe(200);
    expect((await call('POST', '/v1/runs', key, RUN_SPEC)).body).toEqual(
      forbiddenBody('write', 'read', '/v1/runs'),
    );
    expect((await call('GET', '/v1/keys', LEGACY)).body.keys).toEqual([
      {
        id: made.body.id,
        project: 'beta',
        name: 'dash',
        role: 'read',
        createdAt: made.body.createdAt,
      },
    ]);
    // another project's admin cannot see or revoke it
    expect((await call('GET', '/v1/keys', ADMIN)).body).toEqual({ keys: [] });
    expect((await call('DELETE', `/v1/keys/${made.body.id}`, ADMIN)).status).toBe(404);
    expect((await call('DELETE', `/v1/keys/${made.body.id}`, LEGACY)).status).toBe(204);
    expect((await call('GET', '/v1/runs', key)).status).toBe(401);
  });
});

describe('audit log', () => {
  it('records every change of a sequence exactly: action, key id, object id, outcome; never a key', async () => {
    const app = createApp({
      config: loadConfig({
        REDIS_URL: redisUrl(),
        RUNLEDGER_PREFIX: h.prefix,
        RUNLEDGER_API_KEYS: `gamma:${'gw-key-0123456789abcdef'}:write,gamma:${'ga-key-0123456789abcdef'}:admin,gamma:${'gr-key-0123456789abcdef'}:read`,
        RUNLEDGER_CLAIM_LEASE_MS: '10',
      }),
      store: h.store,
      queues: h.queues,
      logger: createLogger({ level: 'silent' }),
      openBlockingRedis: () => {
        throw new Error('no SSE here');
      },
    });
    const W = 'gw-key-0123456789abcdef';
    const A = 'ga-key-0123456789abcdef';
    const R = 'gr-key-0123456789abcdef';
    const steps = [
      await call('POST', '/v1/runs', W, RUN_SPEC, app),
      await call('GET', '/v1/runs', R, undefined, app), // a read: not audited
      await call('POST', '/v1/runs', R, RUN_SPEC, app), // refused: 403, no object
    ];
    const runId = steps[0]!.body.id as string;
    steps.push(await call('POST', `/v1/runs/${runId}/cancel`, W, undefined, app));
    steps.push(await call('POST', `/v1/runs/${runId}/rerun`, W, { only: 'all' }, app));
    const rerunId = steps[4]!.body.id as string;
    steps.push(await call('DELETE', `/v1/runs/${rerunId}`, W, undefined, app)); // 403
    steps.push(await call('DELETE', `/v1/runs/${runId}`, A, undefined, app));
    steps.push(await call('DELETE', `/v1/runs/${runId}`, A, undefined, app)); // 404 now
    steps.push(
      await call('POST', '/v1/datasets', W, { id: 'g-ds', name: 'G', items: [{ input: 1 }] }, app),
    );
    steps.push(
      await call(
        'POST',
        '/v1/datasets/g-ds/items',
        W,
        { mode: 'append', items: [{ input: 2 }] },
        app,
      ),
    );
    steps.push(await call('DELETE', '/v1/datasets/g-ds', A, undefined, app));
    steps.push(await call('POST', '/v1/keys', A, { name: 'temp', role: 'write' }, app));
    const madeKey = steps.at(-1)!.body as { id: string; key: string };
    steps.push(await call('DELETE', `/v1/keys/${madeKey.id}`, A, undefined, app));
    expect(steps.map((s) => s.status)).toEqual([
      201, 200, 403, 200, 201, 403, 204, 404, 201, 201, 204, 201, 204,
    ]);

    const page = await call('GET', '/v1/audit', A, undefined, app);
    expect(page.status).toBe(200);
    const entries = page.body.entries as Record<string, unknown>[];
    const audited = steps.filter((_, i) => i !== 1).reverse();
    expect(
      entries.map((e) => [e.action, e.keyId, e.objectId, e.createdId, e.status, e.call, e.source]),
    ).toEqual([
      ['key.revoke', 'env:gamma:1', madeKey.id, null, 204, `DELETE /v1/keys/${madeKey.id}`, 'api'],
      ['key.create', 'env:gamma:1', madeKey.id, null, 201, 'POST /v1/keys', 'api'],
      ['dataset.delete', 'env:gamma:1', 'g-ds', null, 204, 'DELETE /v1/datasets/g-ds', 'api'],
      ['dataset.push', 'env:gamma:0', 'g-ds', null, 201, 'POST /v1/datasets/g-ds/items', 'api'],
      ['dataset.create', 'env:gamma:0', 'g-ds', null, 201, 'POST /v1/datasets', 'api'],
      ['run.delete', 'env:gamma:1', runId, null, 404, `DELETE /v1/runs/${runId}`, 'api'],
      ['run.delete', 'env:gamma:1', runId, null, 204, `DELETE /v1/runs/${runId}`, 'api'],
      ['run.delete', 'env:gamma:0', rerunId, null, 403, `DELETE /v1/runs/${rerunId}`, 'api'],
      ['run.rerun', 'env:gamma:0', runId, rerunId, 201, `POST /v1/runs/${runId}/rerun`, 'api'],
      ['run.cancel', 'env:gamma:0', runId, null, 200, `POST /v1/runs/${runId}/cancel`, 'api'],
      ['run.create', 'env:gamma:2', null, null, 403, 'POST /v1/runs', 'api'],
      ['run.create', 'env:gamma:0', runId, null, 201, 'POST /v1/runs', 'api'],
    ]);
    // each entry carries its call's request id and a time
    expect(entries.map((e) => e.requestId)).toEqual(audited.map((s) => s.requestId));
    for (const e of entries) expect(e.at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    // no key secret anywhere in the answer or in the stream as stored
    const raw = JSON.stringify(await h.redis.xrange(h.store.keys.auditLog('gamma'), '-', '+'));
    for (const secret of [W, A, R, madeKey.key]) {
      expect(JSON.stringify(page.body)).not.toContain(secret);
      expect(raw).not.toContain(secret);
    }
    // another project's log is its own
    expect(
      (await call('GET', '/v1/audit', ADMIN)).body.entries.map((e: Entry) => e.keyId),
    ).not.toContain('env:gamma:1');

    // filter by action, page by cursor
    const deletes = await call('GET', '/v1/audit?action=run.delete&limit=2', A, undefined, app);
    expect(deletes.body.entries.map((e: Entry) => e.status)).toEqual([404, 204]);
    expect(deletes.body.nextCursor).toBe(deletes.body.entries[1].id);
    const next = await call(
      'GET',
      `/v1/audit?action=run.delete&limit=2&cursor=${deletes.body.nextCursor}`,
      A,
      undefined,
      app,
    );
    expect(next.body).toEqual({ entries: [entries[7]], nextCursor: null });
    const since = await call(
      'GET',
      `/v1/audit?since=${Date.parse(entries[1]!.at as string)}&limit=500`,
      A,
      undefined,
      app,
    );
    expect(since.body.entries.length).toBeGreaterThanOrEqual(2);
    expect(since.body.entries.slice(0, 2)).toEqual(entries.slice(0, 2));
    expect((await call('GET', '/v1/audit?cursor=nope', A, undefined, app)).status).toBe(400);
    expect((await call('GET', '/v1/audit?since=yesterday', A, undefined, app)).status).toBe(400);
  });

  it('caps a project log by length (exact) and by age', async () => {
    const prefix = uniquePrefix('gov-caps');
    const keys = new KeyLayout(prefix);
    const log = new AuditLog(h.redis, keys, { maxLen: 5, maxAgeSeconds: 3600 });
    const record = (i: number) => ({
      action: 'run.create',
      keyId: 'k',
      objectId: `obj-${i}`,
      requestId: `req-${i}`,
      status: 201,
      call: 'POST /v1/runs',
      source: 'api' as const,
    });
    try {
      for (let i = 0; i < 12; i++) await log.append('p', record(i));
      expect(await h.redis.xlen(keys.auditLog('p'))).toBe(5);
      const page = await log.list('p', { limit: 100 });
      expect(page.entries.map((e) => e.objectId)).toEqual([
        'obj-11',
        'obj-10',
        'obj-9',
        'obj-8',
        'obj-7',
      ]);
      expect(page.nextCursor).toBeNull();
      const ttl = await h.redis.ttl(keys.auditLog('p'));
      expect(ttl).toBeGreaterThan(3500);
      expect(ttl).toBeLessThanOrEqual(3600);
      // read two hours later: every entry is past the age cap and none is answered
      const later = Date.now() + 2 * 3600 * 1000;
      expect((await log.list('p', {}, later)).entries).toEqual([]);
      // an append as seen two hours later trims every entry older than one hour before that:
      // all of them, the new one too (Redis stamps it with its own, earlier, clock)
      await log.append('p', record(12), later);
      expect(await h.redis.xlen(keys.auditLog('p'))).toBe(0);
    } finally {
      await deletePrefix(h.redis, prefix);
    }
  });
});

describe('/metrics access', () => {
  it('is open without keys', async () => {
    const open = await createAppHarness('gov-open');
    try {
      const res = await open.app.request('/metrics');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('runledger_http_request_duration_seconds');
    } finally {
      await open.close();
    }
  });

  it('needs a key of any role or the scrape token once keys are configured', async () => {
    const none = await call('GET', '/metrics', null);
    expect(none.status).toBe(401);
    expect(none.body.detail).toBe(
      '/metrics needs Authorization: Bearer <API key or RUNLEDGER_METRICS_TOKEN>',
    );
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="runledger"');
    expect((await call('GET', '/metrics', 'wrong-token-0123456789abcdef')).status).toBe(401);
    for (const key of [READER, WRITER, ADMIN, TOKEN]) {
      const ok = await call('GET', '/metrics', key);
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('runledger_runs');
    }
  });

  it('moves to its own listener with RUNLEDGER_METRICS_LISTEN (token there when set)', async () => {
    const prefix = uniquePrefix('gov-listen');
    let api: ApiServer | undefined;
    try {
      api = await startApi({
        config: loadConfig({
          REDIS_URL: redisUrl(),
          RUNLEDGER_PREFIX: prefix,
          PORT: '0',
          RUNLEDGER_API_KEYS: `alpha:${ADMIN}`,
          RUNLEDGER_METRICS_LISTEN: '127.0.0.1:0',
          RUNLEDGER_METRICS_TOKEN: TOKEN,
        }),
        logger: createLogger({ level: 'silent' }),
      });
      expect(api.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(api.metricsUrl).not.toBe(api.url);
      // the API's own port: 404, even with a key
      const onApi = await fetch(`${api.url}/metrics`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(onApi.status).toBe(404);
      expect(((await onApi.json()) as { detail: string }).detail).toBe(
        'metrics are served on RUNLEDGER_METRICS_LISTEN (127.0.0.1:0), not on this port',
      );
      // a request to the API is counted, and the listener serves the same registry
      expect(
        (await fetch(`${api.url}/v1/runs`, { headers: { authorization: `Bearer ${ADMIN}` } }))
          .status,
      ).toBe(200);
      expect((await fetch(`${api.metricsUrl}/metrics`)).status).toBe(401);
      // an API key is no scrape token there
      expect(
        (
          await fetch(`${api.metricsUrl}/metrics`, {
            headers: { authorization: `Bearer ${ADMIN}` },
          })
        ).status,
      ).toBe(401);
      const scraped = await fetch(`${api.metricsUrl}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await scraped.text()).toMatch(
        /runledger_http_request_duration_seconds_count\{method="GET",route="\/v1\/runs",status="200"\} 1/,
      );
      expect((await fetch(`${api.metricsUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${api.metricsUrl}/v1/runs`)).status).toBe(404);
    } finally {
      await api?.close();
      await deletePrefix(h.redis, prefix);
    }
  });
});

describe('security headers', () => {
  const STANDARD = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'strict-transport-security': 'max-age=15552000; includeSubDomains',
    'x-dns-prefetch-control': 'off',
    'x-xss-protection': '0',
  };
  const pick = (headers: Headers) =>
    Object.fromEntries(Object.keys(STANDARD).map((name) => [name, headers.get(name)]));

  it('are on /v1 answers and problems, /docs, /openapi.json and the dashboard (its CSP kept)', async () => {
    // a dashboard build of its own, so the test does not depend on `npm run build`
    const webDir = mkdtempSync(join(tmpdir(), 'gov-web-'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>runledger</title>');
    const app = createApp({
      config: h.config,
      store: h.store,
      queues: h.queues,
      logger: createLogger({ level: 'silent' }),
      openBlockingRedis: () => {
        throw new Error('no SSE here');
      },
      webDir,
    });
    for (const [path, key, status] of [
      ['/v1/runs', READER, 200],
      ['/v1/runs', null, 401],
      ['/v1/audit', READER, 403],
      ['/docs', null, 200],
      ['/openapi.json', null, 200],
      ['/', null, 200],
      ['/runs/nope', null, 200],
      ['/no-such-page', null, 404],
    ] as const) {
      const res = await call('GET', path, key, undefined, app);
      expect([path, res.status]).toEqual([path, status]);
      expect(pick(res.headers)).toEqual(STANDARD);
    }
    const dashboard = await call('GET', '/', null, undefined, app);
    expect(dashboard.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(dashboard.headers.get('content-security-policy')).toContain("script-src 'self'");
    // no CSP forced on /docs (Swagger UI's inline bootstrap script)
    expect((await call('GET', '/docs', null)).headers.get('content-security-policy')).toBeNull();
    rmSync(webDir, { recursive: true, force: true });
  });
});
