/**
 * API security against a real Redis: API keys (env and stored), projects (another project's run
 * is 404 on every run route, exactly like a missing one), revoked keys, the per-key rate limit,
 * runs in flight per project, loopback-only without keys, secrets redacted from answers and
 * logs while the worker still sends them, and keys never logged.
 */
import { Writable } from 'node:stream';
import { type ApiServer, type Problem, startApi } from '@runledger/api';
import { createLogger, hashApiKey, type Result, type Run, type RunStore } from '@runledger/shared';
import { startWorker, type WorkerHandle } from '@runledger/worker';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixApps } from './helpers/api-prefix.js';
import { RUN_ROUTES } from './helpers/api-run-routes.js';
import { uniquePrefix, waitFor } from './helpers/context.js';
import { type HttpTargetServer, startHttpTarget } from './helpers/http-target.js';

const ALPHA = 'alpha-key-0123456789abcdef';
const BETA = 'beta-key-0123456789abcdef';
const apps = prefixApps('api-sec', {
  RUNLEDGER_API_KEYS: `alpha:${ALPHA},beta:${BETA}`,
  RUNLEDGER_CLAIM_LEASE_MS: '10',
  // the http target server of these tests listens on 127.0.0.1 (checked by API and worker)
  RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1',
});
let redis: Redis;
let store: RunStore;

/** Collects every log line written to it. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

const makeConfig = apps.config;

function makeApp(
  env: Record<string, string> = {},
  options: { logs?: LogCapture; required?: boolean } = {},
) {
  return apps.app(env, {
    logger: createLogger(
      options.logs ? { level: 'debug', destination: options.logs } : { level: 'silent' },
    ),
    auth: { hasKeysCacheMs: 0, ...(options.required ? { required: true } : {}) },
  });
}
type App = ReturnType<typeof makeApp>;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const spec = (over: Record<string, unknown> = {}) => ({
  target: { name: 'sec-idle' }, // no worker serves it: runs stay queued
  dataset: { items: [{ input: 'a' }, { input: 'b' }] },
  execution: { waitForWorkers: true },
  ...over,
});

async function create(
  app: App,
  key: string | null,
  body: unknown = spec(),
  headers: Record<string, string> = {},
): Promise<Response> {
  return app.request('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? bearer(key) : {}), ...headers },
    body: JSON.stringify(body),
  });
}

async function created(app: App, key: string | null, body: unknown = spec()): Promise<Run> {
  const res = await create(app, key, body);
  expect(res.status).toBe(201);
  return (await res.json()) as Run;
}

async function problemOf(res: Response, status: number, kind: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Problem;
  expect(body.type).toBe(`urn:runledger:problem:${kind}`);
  expect(body.status).toBe(status);
  return body;
}

beforeAll(() => {
  ({ redis, store } = apps.open());
});

afterAll(() => apps.close());

describe('API keys', () => {
  it('requires a bearer key on every /v1 route once keys are configured (401 + WWW-Authenticate)', async () => {
    const app = makeApp();
    const requests: [string, string][] = [
      ['POST', '/v1/runs'],
      ['GET', '/v1/runs'],
      ['GET', '/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['GET', '/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/results'],
      ['GET', '/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/events'],
      ['POST', '/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel'],
      ['DELETE', '/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['GET', '/v1/workers'],
    ];
    for (const [method, path] of requests) {
      const missing = await app.request(path, { method });
      const body = await problemOf(missing, 401, 'unauthorized');
      expect(body.detail).toBe('an API key is required: Authorization: Bearer <key>');
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="runledger"');

      const wrong = await app.request(path, { method, headers: bearer(`${ALPHA}x`) });
      expect((await problemOf(wrong, 401, 'unauthorized')).detail).toBe(
        'invalid or revoked API key',
      );
      expect(wrong.headers.get('www-authenticate')).toBe(
        'Bearer realm="runledger", error="invalid_token"',
      );

      const basic = await app.request(path, {
        method,
        headers: { authorization: `Basic ${ALPHA}` },
      });
      expect((await problemOf(basic, 401, 'unauthorized')).detail).toBe(
        'the Authorization header must be "Bearer <key>"',
      );
    }
    expect(await redis.zcard(store.keys.runsIndex)).toBe(0);
  });

  it('keeps /healthz, /readyz, /openapi.json and /docs open; /metrics takes any key', async () => {
    const app = makeApp();
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
      expect((await app.request(path)).status, path).toBe(200);
    }
    // with keys configured, /metrics needs one (or RUNLEDGER_METRICS_TOKEN; test/governance)
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: bearer(BETA) })).status).toBe(200);
    const doc = (await (await app.request('/openapi.json')).json()) as {
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it('gives a run the project of the key that created it', async () => {
    const app = makeApp();
    const run = await created(app, ALPHA);
    expect(run.project).toBe('alpha');
    const got = await app.request(`/v1/runs/${run.id}`, { headers: bearer(ALPHA) });
    expect(((await got.json()) as Run).project).toBe('alpha');
    expect(await redis.hget(store.keys.run(run.id).run, 'project')).toBe('alpha');
  });

  it("answers 404, exactly like a missing run, for another project's run on every run route", async () => {
    const app = makeApp();
    const run = await created(app, ALPHA);
    const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    for (const [method, path] of RUN_ROUTES) {
      const foreign = await app.request(path(run.id), { method, headers: bearer(BETA) });
      const absent = await app.request(path(missing), { method, headers: bearer(BETA) });
      const a = await problemOf(foreign, 404, 'not_found');
      const b = await problemOf(absent, 404, 'not_found');
      expect(a).toEqual({
        ...b,
        detail: b.detail.replace(missing, run.id),
        instance: b.instance?.replace(missing, run.id),
      });
      expect([...foreign.headers.keys()].sort()).toEqual([...absent.headers.keys()].sort());
    }
    // beta's cancel and delete changed nothing
    const still = await app.request(`/v1/runs/${run.id}`, { headers: bearer(ALPHA) });
    expect(((await still.json()) as Run).status).toBe('queued');
    // and alpha reaches every route
    expect(
      (await app.request(`/v1/runs/${run.id}/results`, { headers: bearer(ALPHA) })).status,
    ).toBe(200);
    const cancel = await app.request(`/v1/runs/${run.id}/cancel`, {
      method: 'POST',
      headers: bearer(ALPHA),
    });
    expect(((await cancel.json()) as Run).status).toBe('cancelled');
    const events = await app.request(`/v1/runs/${run.id}/events`, { headers: bearer(ALPHA) });
    expect(events.status).toBe(200);
    expect(await events.text()).toContain('"status":"cancelled"');
    const del = await app.request(`/v1/runs/${run.id}`, {
      method: 'DELETE',
      headers: bearer(ALPHA),
    });
    expect(del.status).toBe(204);
  });

  it("lists only the runs of the caller's project", async () => {
    const app = makeApp();
    const a = await created(app, ALPHA, spec({ tags: ['listing'] }));
    const b = await created(app, BETA, spec({ tags: ['listing'] }));
    const list = async (key: string) => {
      const res = await app.request('/v1/runs?tag=listing&limit=500', { headers: bearer(key) });
      return ((await res.json()) as { runs: Run[] }).runs.map((r) => r.id);
    };
    expect(await list(ALPHA)).toEqual([a.id]);
    expect(await list(BETA)).toEqual([b.id]);
  });

  it('scopes Idempotency-Key to the project', async () => {
    const app = makeApp();
    const headers = { 'idempotency-key': 'nightly-1' };
    const a = await create(app, ALPHA, spec(), headers);
    const b = await create(app, BETA, spec(), headers);
    expect([a.status, b.status]).toEqual([201, 201]);
    const [ra, rb] = [(await a.json()) as Run, (await b.json()) as Run];
    expect(ra.id).not.toBe(rb.id);
    expect(rb.project).toBe('beta');
    const again = await create(app, BETA, spec(), headers);
    expect(again.status).toBe(200);
    expect(((await again.json()) as Run).id).toBe(rb.id);
  });

  it('accepts keys stored in Redis and refuses them once revoked', async () => {
    const app = makeApp();
    const key = await store.apiKeys.createApiKey('gamma', 'ci');
    expect(key.key).toMatch(/^rl_gamma_[A-Za-z0-9_-]{43}$/);
    expect(key.id).toMatch(/^[0-9a-f]{12}$/);
    expect(await redis.hexists(store.keys.apiKeys, hashApiKey(key.key))).toBe(1);
    // the raw key is stored nowhere
    expect(JSON.stringify(await redis.hgetall(store.keys.apiKeys))).not.toContain(key.key);

    const run = await created(app, key.key);
    expect(run.project).toBe('gamma');
    expect((await store.apiKeys.revokeApiKey(key.id))?.project).toBe('gamma');
    const res = await app.request(`/v1/runs/${run.id}`, { headers: bearer(key.key) });
    await problemOf(res, 401, 'unauthorized');
    expect(await store.apiKeys.revokeApiKey(key.id)).toBeNull();
  });

  it('requires keys when only Redis holds some, and is open (project default) with none', async () => {
    const app = makeApp({ RUNLEDGER_API_KEYS: '' });
    const open = await created(app, null);
    expect(open.project).toBe('default');
    const key = await store.apiKeys.createApiKey('delta');
    await problemOf(await create(app, null), 401, 'unauthorized');
    expect((await created(app, key.key)).project).toBe('delta');
    // a default-project caller does not see delta's runs
    const res = await app.request(`/v1/runs/${open.id}`, { headers: bearer(key.key) });
    await problemOf(res, 404, 'not_found');
    await store.apiKeys.revokeApiKey(key.id);
    expect((await created(app, null)).project).toBe('default');
  });

  it('refuses every request when keys are required but none exists (listening beyond loopback)', async () => {
    const app = makeApp({ RUNLEDGER_API_KEYS: '' }, { required: true });
    await problemOf(await create(app, null), 401, 'unauthorized');
    await problemOf(await app.request('/v1/runs'), 401, 'unauthorized');
  });
});

describe('limits', () => {
  it('rate-limits each key per second: 429 with Retry-After, other keys unaffected', async () => {
    const p = uniquePrefix('rate').slice(-12);
    const app = makeApp({
      RUNLEDGER_API_KEYS: `r1${p}:${ALPHA},r2${p}:${BETA}`,
      RUNLEDGER_RATE_LIMIT_PER_SECOND: '3',
    });
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < 10 && !limited; i++) {
      const res = await app.request('/v1/runs', { headers: bearer(ALPHA) });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    // 3 per second: the 4th request is refused (or a later one, when the second rolled over)
    expect(limited).not.toBeNull();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    const body = await problemOf(limited!, 429, 'too_many_requests');
    expect(body.detail).toBe('rate limit: at most 3 requests per second per API key');
    expect(limited!.headers.get('retry-after')).toBe('1');
    // beta has its own budget
    expect((await app.request('/v1/runs', { headers: bearer(BETA) })).status).toBe(200);
    // alpha is let through again after Retry-After
    await waitFor(
      async () => (await app.request('/v1/runs', { headers: bearer(ALPHA) })).status === 200,
      'alpha to be allowed again',
      5000,
      200,
    );
    // counters are keyed by the key's id, never by the key
    const keys = (await redis.keys(`${store.keys.rateLimitPrefix}:env:r?${p}:*`)).sort();
    expect(keys).toContain(`${store.keys.rateLimitPrefix}:env:r1${p}:0`);
    expect(keys.join()).not.toContain(ALPHA);
  });

  it('does not rate-limit when RUNLEDGER_RATE_LIMIT_PER_SECOND is 0', async () => {
    const app = makeApp({ RUNLEDGER_RATE_LIMIT_PER_SECOND: '0' });
    for (let i = 0; i < 30; i++) {
      expect((await app.request('/v1/runs', { headers: bearer(ALPHA) })).status).toBe(200);
    }
  });

  it('refuses a submission beyond RUNLEDGER_MAX_RUNS_IN_FLIGHT for its project (429, Retry-After)', async () => {
    const p = uniquePrefix('inflight').slice(-12);
    const app = makeApp({
      RUNLEDGER_API_KEYS: `p1${p}:${ALPHA},p2${p}:${BETA}`,
      RUNLEDGER_MAX_RUNS_IN_FLIGHT: '2',
    });
    const first = await created(app, ALPHA);
    await created(app, ALPHA);
    const before = await redis.zcard(store.keys.runsIndex);
    const refused = await create(app, ALPHA);
    const body = await problemOf(refused, 429, 'too_many_requests');
    expect(body.detail).toBe(
      `project p1${p} has 2 runs queued or running, at most 2 (RUNLEDGER_MAX_RUNS_IN_FLIGHT); retry when some finish`,
    );
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await redis.zcard(store.keys.runsIndex)).toBe(before); // nothing created
    // NDJSON submissions are counted too
    const ndjson = await app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...bearer(ALPHA) },
      body: `${JSON.stringify({ target: { name: 'sec-idle' }, execution: { waitForWorkers: true } })}\n{"input":1}\n`,
    });
    await problemOf(ndjson, 429, 'too_many_requests');
    // another project is not affected
    await created(app, BETA);
    // a finished run frees its slot
    const cancel = await app.request(`/v1/runs/${first.id}/cancel`, {
      method: 'POST',
      headers: bearer(ALPHA),
    });
    expect(cancel.status).toBe(200);
    await created(app, ALPHA);
    await problemOf(await create(app, ALPHA), 429, 'too_many_requests');
    // and so does a deleted one
    const list = await app.request('/v1/runs?status=queued', { headers: bearer(ALPHA) });
    const queuedRuns = ((await list.json()) as { runs: Run[] }).runs;
    expect(queuedRuns).toHaveLength(2);
    await app.request(`/v1/runs/${queuedRuns[0]!.id}`, {
      method: 'DELETE',
      headers: bearer(ALPHA),
    });
    await created(app, ALPHA);
  });
});

describe('startApi without keys', () => {
  it('listens on loopback only and says so, even when HOST asks for every interface', async () => {
    const logs = new LogCapture();
    let api: ApiServer | null = null;
    try {
      api = await startApi({
        config: makeConfig({ RUNLEDGER_API_KEYS: '', HOST: '0.0.0.0', PORT: '0' }),
        logger: createLogger({ level: 'info', destination: logs }),
      });
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const warning = logs.lines
        .map((l) => JSON.parse(l) as { level: number; msg: string; boundTo?: string })
        .find((l) => l.msg.startsWith('NO API KEYS CONFIGURED'));
      expect(warning?.level).toBe(40);
      expect(warning?.boundTo).toBe('127.0.0.1');
      expect(warning?.msg).toContain('listening on 127.0.0.1 only');
      const res = await fetch(`${api.url}/v1/runs`);
      expect(res.status).toBe(200);
    } finally {
      await api?.close();
    }
  });

  it('binds HOST when keys are configured, and requires them', async () => {
    let api: ApiServer | null = null;
    try {
      api = await startApi({
        config: makeConfig({ HOST: '0.0.0.0', PORT: '0' }),
        logger: createLogger({ level: 'silent' }),
      });
      expect(api.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      const local = `http://127.0.0.1:${api.port}`;
      expect((await fetch(`${local}/v1/runs`)).status).toBe(401);
      expect((await fetch(`${local}/v1/runs`, { headers: bearer(ALPHA) })).status).toBe(200);
    } finally {
      await api?.close();
    }
  });
});

describe('secrets', () => {
  const SECRET = 'sk-live-7f3a9c1e5b2d4680';
  let target: HttpTargetServer;
  let worker: WorkerHandle;
  const workerLogs = new LogCapture();

  beforeAll(async () => {
    target = await startHttpTarget();
    worker = await startWorker({
      config: makeConfig({
        RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1',
        WORKER_HEARTBEAT_MS: '200',
        LOG_LEVEL: 'debug',
      }),
      logger: createLogger({ level: 'debug', destination: workerLogs }),
    });
  });

  afterAll(async () => {
    await worker.close(1000);
    await target.close();
  });

  it('redacts secret config fields in answers, keeps them for the worker, and logs none', async () => {
    const apiLogs = new LogCapture();
    const app = makeApp({}, { logs: apiLogs });
    const config = {
      url: `${target.url}/answer?api_key=${SECRET}&mode=x`,
      outputPath: 'echo',
      headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, 'x-trace': 'visible' },
      // the http config is strict: secret-looking fields of free-form maps are redacted too
      query: { apiToken: SECRET, maxTokens: '64' },
    };
    const res = await create(
      app,
      ALPHA,
      spec({
        target: { name: 'http', config },
        dataset: { items: [{ input: 'q1', expectedOutput: 'q1' }, { input: 'q2' }] },
        scorers: [{ name: 'exact_match' }],
        execution: { maxAttempts: 1, timeoutMs: 5000 },
      }),
    );
    expect(res.status).toBe(201);
    const run = (await res.json()) as Run;
    const expected = {
      name: 'http',
      config: {
        url: `${target.url}/answer?api_key=%5Bredacted%5D&mode=x`,
        outputPath: 'echo',
        headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', 'x-trace': 'visible' },
        query: { apiToken: '[redacted]', maxTokens: '64' },
      },
    };
    expect(run.target).toEqual(expected);
    // the stored spec keeps the real values
    const stored = JSON.parse((await redis.hget(store.keys.run(run.id).run, 'spec'))!) as {
      target: unknown;
    };
    expect(stored.target).toEqual({ name: 'http', config });

    const done = await waitFor(async () => {
      const r = await app.request(`/v1/runs/${run.id}`, { headers: bearer(ALPHA) });
      const body = (await r.json()) as Run;
      return body.status === 'completed' ? body : null;
    }, 'the run to complete');
    expect(done.succeededCount).toBe(2);
    expect(done.target).toEqual(expected);
    const list = await app.request('/v1/runs?target=http', { headers: bearer(ALPHA) });
    const listed = ((await list.json()) as { runs: Run[] }).runs.find((r) => r.id === run.id);
    expect(listed?.target).toEqual(expected);

    // the worker sent the real header and query
    const requests = target.requests.filter((r) => r.runId === run.id);
    expect(requests).toHaveLength(2);
    for (const r of requests) {
      expect(r.headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(r.headers['x-api-key']).toBe(SECRET);
    }
    // results, events, API and worker logs carry no secret
    const results = await app.request(`/v1/runs/${run.id}/results`, { headers: bearer(ALPHA) });
    const resultText = await results.text();
    expect((JSON.parse(resultText) as { results: Result[] }).results).toHaveLength(2);
    expect(resultText).not.toContain(SECRET);
    const events = await app.request(`/v1/runs/${run.id}/events`, { headers: bearer(ALPHA) });
    expect(await events.text()).not.toContain(SECRET);
    expect(apiLogs.lines.length).toBeGreaterThan(3);
    expect(apiLogs.text).not.toContain(SECRET);
    expect(apiLogs.text).not.toContain(ALPHA);
    expect(workerLogs.text).not.toContain(SECRET);
  });

  it("redacts them in an experiment's answers too (create, get, report, list); its runs keep the real values", async () => {
    const app = makeApp();
    const config = {
      url: `http://user:${SECRET}@127.0.0.1:1/answer?api_key=${SECRET}&mode=x`,
      headers: { authorization: `Bearer ${SECRET}`, 'x-trace': 'visible' },
    };
    const res = await app.request('/v1/experiments', {
      method: 'POST',
      headers: { ...bearer(ALPHA), 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'secret variants',
        dataset: { items: [{ input: 'q1' }] },
        variants: [
          { name: 'a', target: { name: 'http', config } },
          { name: 'b', target: { name: 'http', config: { ...config, outputPath: 'x' } } },
        ],
        execution: { waitForWorkers: true },
      }),
    });
    const createdText = await res.text();
    expect(res.status, createdText).toBe(201);
    const shown = {
      url: 'http://127.0.0.1:1/answer?api_key=%5Bredacted%5D&mode=x',
      headers: { authorization: '[redacted]', 'x-trace': 'visible' },
    };
    const created = JSON.parse(createdText) as {
      id: string;
      variants: { target: { config: unknown }; runIds: string[] }[];
    };
    expect(created.variants.map((v) => v.target.config)).toEqual([
      shown,
      { ...shown, outputPath: 'x' },
    ]);
    const got = await app.request(`/v1/experiments/${created.id}`, { headers: bearer(ALPHA) });
    const report = await app.request(`/v1/experiments/${created.id}/report`, {
      headers: bearer(ALPHA),
    });
    const list = await app.request('/v1/experiments', { headers: bearer(ALPHA) });
    const texts = [createdText, await got.text(), await report.text(), await list.text()];
    expect(JSON.parse(texts[2]!).variants[0].target.config).toEqual(shown);
    for (const text of texts) {
      expect(text).toContain('[redacted]');
      expect(text).not.toContain(SECRET);
    }
    // the runs were created with the real config (the worker needs it)
    const runId = created.variants[0]!.runIds[0]!;
    const stored = JSON.parse((await redis.hget(store.keys.run(runId).run, 'spec'))!) as {
      target: unknown;
    };
    expect(stored.target).toEqual({ name: 'http', config });
  });

  it('fails an item at once, with no secret in its error, when the target refuses it', async () => {
    const app = makeApp();
    const res = await create(
      app,
      ALPHA,
      spec({
        target: {
          name: 'http',
          config: { url: `${target.url}/x?token=${SECRET}`, headers: { cookie: SECRET } },
        },
        dataset: { items: [{ input: { fail: 400 } }] },
        execution: { maxAttempts: 3, timeoutMs: 5000, backoff: { type: 'fixed', delayMs: 0 } },
      }),
    );
    const run = (await res.json()) as Run;
    await waitFor(async () => (await store.runs.getRunStatus(run.id)) === 'completed', 'the run');
    const results = await store.results.listResults(run.id);
    const error = results.results[0]?.error;
    expect(error?.type).toBe('http_error');
    expect(error?.status).toBe(400);
    expect(error?.message.startsWith(`HTTP 400 from ${target.url}/x?token=%5Bredacted%5D: `)).toBe(
      true,
    );
    expect(results.results[0]?.attempts).toBe(1);
    expect(JSON.stringify(results)).not.toContain(SECRET);
  });

  it('redacts keys and secret headers from log lines at debug level', () => {
    const logs = new LogCapture();
    const logger = createLogger({ level: 'debug', destination: logs });
    logger.debug(
      {
        req: { headers: { authorization: `Bearer ${ALPHA}`, cookie: SECRET, 'x-api-key': SECRET } },
        target: { name: 'http', config: { headers: { authorization: SECRET } } },
        spec: { target: { config: { headers: { 'x-api-key': SECRET } } } },
        config: { headers: { authorization: SECRET } },
        authorization: SECRET,
        token: SECRET,
        key: ALPHA,
      },
      'debug line',
    );
    expect(logs.lines).toHaveLength(1);
    expect(logs.text).not.toContain(SECRET);
    expect(logs.text).not.toContain(ALPHA);
    expect(logs.text).toContain('[redacted]');
  });
});
