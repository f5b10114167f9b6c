/**
 * PII scrubbing end to end (issue 12 part 3): the API app (app.request) and an in-process worker
 * on a private redis-server, logs captured at debug level. Generated emails and card numbers in
 * random JSON never reach Redis (every key read back by type) nor the logs; scorers see the
 * original output; results count their masks; the privacy option is validated at submit; the
 * RUNLEDGER_SCRUB default, reruns and dataset pushes.
 */
import type { createApp } from '@runledger/api';
import {
  createLogger,
  createRedis,
  loadConfig,
  NonRetryableError,
  type Result,
  type Run,
  type RunQueues,
  type RunStore,
  type ScorerDefinition,
} from '@runledger/shared';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedApp, openApp, testApp } from './helpers/app.js';
import { waitFor } from './helpers/context.js';
import { dumpText } from './helpers/redis-dump.js';
import { destroyRedisServer, type RedisServer, startRedisServer } from './helpers/redis-server.js';
import { waitTerminal } from './helpers/run-checks.js';
import { anyConfigTarget } from './helpers/targets.js';

/** Answers with an email made from a harmless input, and a card number; scored on the email. */
const leakyTarget = anyConfigTarget('leaky', 'answers PII', async (input) => {
  const { user, fail } = input as { user: string; fail?: boolean };
  if (fail)
    throw new NonRetryableError(`no account ${user}.secret@example.com (card 4111 1111 1111 1111)`);
  return { output: { answer: `${user}@example.com`, note: 'paid with 4111 1111 1111 1111' } };
});

/** Passes when the output's answer is an email address: true of the original output only. */
const isEmailScorer: ScorerDefinition = {
  name: 'answer_is_email',
  description: 'output.answer is an email',
  score: ({ output }) =>
    /^[a-z]+@example\.com$/.test((output as { answer?: string }).answer ?? '') ? 1 : 0,
};

let server: RedisServer;
let redis: Redis;
let store: RunStore;
let queues: RunQueues;
let opened: OpenedApp;
const logLines: string[] = [];
let app: ReturnType<typeof createApp>;

/** A debug logger whose lines go to `logLines`. */
const captureLogger = () =>
  createLogger({ level: 'debug', destination: { write: (s: string) => logLines.push(s) } });

function makeApp(env: Record<string, string> = {}) {
  const cfg = loadConfig({ ...env, REDIS_URL: server.url, LOG_LEVEL: 'debug' });
  return testApp({ config: cfg, store, queues, logger: captureLogger() });
}

beforeAll(async () => {
  server = await startRedisServer();
  const config = loadConfig({ REDIS_URL: server.url, LOG_LEVEL: 'debug', WORKER_CONCURRENCY: '8' });
  redis = createRedis(config.REDIS_URL);
  opened = await openApp(config, redis, {
    logger: captureLogger(),
    worker: { targets: [leakyTarget], scorers: [isEmailScorer] },
  });
  ({ store, queues, app } = opened);
});

afterAll(async () => {
  await opened?.close();
  redis?.disconnect();
  if (server) await destroyRedisServer(server);
});

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  a: ReturnType<typeof createApp> = app,
): Promise<{ status: number; body: T }> {
  const res = await a.request(path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Submits `spec` (201 expected), waits until the run is terminal; the run and its results. */
async function runToEnd(spec: unknown, a = app): Promise<{ run: Run; results: Result[] }> {
  const created = await call<Run>('POST', '/v1/runs', spec, a);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id;
  const run = await waitTerminal(store, id);
  const page = await call<{ results: Result[] }>('GET', `/v1/runs/${id}/results?limit=1000`);
  expect(page.status).toBe(200);
  return { run, results: page.body.results };
}

/** Every value stored in Redis (every key of the private server, read by its type), as one text. */
const dumpRedis = (): Promise<string> => dumpText(redis);

/** A Visa number (16 digits, Luhn check digit) from 14 random digits. */
function visa(digits: number[]): string {
  const body = [4, ...digits];
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // doubled: every second digit counting from the check digit's left neighbour
    let d = body[body.length - 1 - i]!;
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return [...body, (10 - (sum % 10)) % 10].join('');
}

const word = fc.stringMatching(/^[a-z]{0,8}$/);
/** One PII value as it is embedded (`text`) and the forms that must never be stored (`forms`). */
const pii = fc.oneof(
  fc
    .record({ email: fc.emailAddress(), before: word, after: word })
    .map(({ email, before, after }) => ({
      kind: 'email' as const,
      value: `${before} ${email} ${after}` as unknown,
      forms: [email],
    })),
  fc
    .record({
      digits: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 14 }),
      format: fc.constantFrom('plain', 'spaces', 'dashes', 'number'),
      before: word,
    })
    .map(({ digits, format, before }) => {
      const card = visa(digits);
      const grouped = (sep: string) => card.match(/\d{4}/g)!.join(sep);
      const value =
        format === 'number'
          ? Number(card)
          : `${before} ${format === 'plain' ? card : grouped(format === 'spaces' ? ' ' : '-')}`;
      return { kind: 'card' as const, value, forms: [card, grouped(' '), grouped('-')] };
    }),
);

/** An item: random JSON around PII values placed in input, expectedOutput and metadata. */
const itemArb = fc
  .record({
    noise: fc.jsonValue({ maxDepth: 2 }),
    input: fc.array(pii, { minLength: 1, maxLength: 3 }),
    expected: fc.array(pii, { maxLength: 2 }),
    meta: fc.array(pii, { maxLength: 2 }),
  })
  .map(({ noise, input, expected, meta }) => ({
    item: {
      input: { noise, pii: input.map((p) => p.value), nested: { first: input[0]!.value } },
      expectedOutput: expected.map((p) => p.value),
      metadata: { notes: meta.map((p) => p.value) },
    },
    values: [...input, input[0]!, ...expected, ...meta],
  }));

describe('nothing unscrubbed reaches Redis or the logs', () => {
  it('generated emails and cards in random JSON of real runs (echo target) never appear in a dump of Redis nor in the logs; masks are counted per item', async () => {
    const forms = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(itemArb, { minLength: 1, maxLength: 4 }), async (items) => {
        const { run, results } = await runToEnd({
          name: `run for ${items[0]!.values[0]!.forms[0]}`,
          target: { name: 'echo' },
          dataset: { items: items.map((i) => i.item) },
          metadata: { owner: items[0]!.values[0]!.value },
          privacy: { scrub: ['email', 'card'] },
        });
        expect(run.status).toBe('completed');
        expect(run.privacy).toEqual({ scrub: ['email', 'card'], patterns: [], phoneRegion: 'US' });
        expect(results).toHaveLength(items.length);
        for (const [i, result] of results.entries()) {
          const want: Record<string, number> = {};
          for (const v of items[i]!.values) want[v.kind] = (want[v.kind] ?? 0) + 1;
          // the item's masks (made at submission); the echoed output holds masks only
          expect(result.masked).toEqual(want);
          expect(result.output).toEqual(result.input);
        }
        for (const item of items)
          for (const v of item.values) for (const f of v.forms) forms.add(f);
      }),
      { numRuns: 12, endOnFailure: true },
    );
    const dump = await dumpRedis();
    const logs = logLines.join('');
    expect(forms.size).toBeGreaterThan(12);
    expect([...forms].filter((f) => dump.includes(f))).toEqual([]);
    expect([...forms].filter((f) => logs.includes(f))).toEqual([]);
    expect(dump).toContain('[email]');
    expect(dump).toContain('[card]');
  });

  it('scorers see the original output; the stored output, error, run error types and logs are scrubbed', async () => {
    const { run, results } = await runToEnd({
      target: { name: 'leaky' },
      dataset: {
        items: [
          { input: { user: 'ann' } },
          { input: { user: 'bob' } },
          { input: { user: 'eve', fail: true } },
        ],
      },
      scorers: [{ name: 'answer_is_email' }],
      privacy: { scrub: 'all' },
    });
    expect(run.status).toBe('completed');
    expect(run.scores.answer_is_email).toMatchObject({ passed: 2, failed: 0, errors: 1 });
    const [ann, bob, eve] = results;
    expect(ann).toMatchObject({
      status: 'succeeded',
      output: { answer: '[email]', note: 'paid with [card]' },
      scores: { answer_is_email: { score: 1, passed: true } },
      masked: { email: 1, card: 1 },
    });
    expect(bob!.masked).toEqual({ email: 1, card: 1 });
    expect(eve).toMatchObject({
      status: 'failed',
      error: { message: 'no account [email] (card [card])', type: 'target_error' },
      masked: { email: 1, card: 1 },
    });
    expect(run.errorTypes).toEqual([
      { type: 'target_error', count: 1, message: 'no account [email] (card [card])' },
    ]);
    // the worker logged the failed attempt (debug) with its error, scrubbed
    const logs = logLines.join('');
    expect(logs).toContain('attempt failed');
    const dump = await dumpRedis();
    for (const leak of [
      'ann@example.com',
      'bob@example.com',
      'eve.secret@example.com',
      '4111 1111 1111 1111',
    ]) {
      expect(dump).not.toContain(leak);
      expect(logs).not.toContain(leak);
    }
  });
});

describe('privacy option at submit', () => {
  const base = { target: { name: 'echo' }, dataset: { items: [{ input: 'x' }] } };
  it('answers 400 naming an unknown kind, a pattern that does not compile or may backtrack', async () => {
    const bad = async (privacy: unknown) => {
      const res = await call<{ errors: { path: string; message: string }[] }>('POST', '/v1/runs', {
        ...base,
        privacy,
      });
      expect(res.status).toBe(400);
      return res.body.errors;
    };
    expect(await bad({ scrub: ['email', 'ssn'] })).toEqual([
      {
        path: 'privacy.scrub.1',
        message: 'unknown scrub kind "ssn" (known: secret, email, card, ip, phone, or "all")',
      },
    ]);
    const [compile] = await bad({ patterns: [{ name: 'emp', regex: 'EMP-(\\d{6}' }] });
    expect(compile!.path).toBe('privacy.patterns.0.regex');
    expect(compile!.message).toMatch(/^pattern does not compile: /);
    const [nested] = await bad({ patterns: [{ name: 'emp', regex: '(a+)+b' }] });
    expect(nested!.message).toMatch(/^pattern may backtrack catastrophically/);
    expect(await bad({ patterns: [{ name: 'emp', regex: 'a'.repeat(201) }] })).toEqual([
      { path: 'privacy.patterns.0.regex', message: 'pattern is 201 characters, at most 200' },
    ]);
  });

  it('NDJSON: the header line carries privacy; its items are scrubbed, a bad option is a 400 on line 1', async () => {
    const lines = (header: unknown) =>
      [JSON.stringify(header), JSON.stringify({ input: 'mail ann@example.com' })].join('\n');
    const post = (header: unknown) =>
      app.request('/v1/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: lines(header),
      });
    const badRes = await post({ target: { name: 'echo' }, privacy: { scrub: ['nope'] } });
    expect(badRes.status).toBe(400);
    expect(JSON.stringify(await badRes.json())).toContain('unknown scrub kind \\"nope\\"');
    const res = await post({ target: { name: 'echo' }, privacy: { scrub: ['email'] } });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as Run;
    const items = await store.results.readItems(id, [0]);
    expect(items[0]).toEqual({ id: '0', input: 'mail [email]', masked: { email: 1 } });
  });

  it('custom patterns mask as [<name>] and are counted by name', async () => {
    const { results } = await runToEnd({
      target: { name: 'echo' },
      dataset: { items: [{ input: 'EMP-123456 and emp-654321', metadata: { by: 'EMP-000001' } }] },
      privacy: { scrub: [], patterns: [{ name: 'employee_id', regex: 'EMP-\\d{6}', flags: 'i' }] },
    });
    expect(results[0]).toMatchObject({
      input: '[employee_id] and [employee_id]',
      metadata: { by: '[employee_id]' },
      masked: { employee_id: 3 },
    });
  });
});

describe('RUNLEDGER_SCRUB, reruns and datasets', () => {
  it('RUNLEDGER_SCRUB is the default policy of runs and dataset pushes; privacy.scrub [] turns it off for a run', async () => {
    const withDefault = makeApp({ RUNLEDGER_SCRUB: 'email,ip' });
    const scrubbed = await runToEnd(
      {
        target: { name: 'echo' },
        dataset: { items: [{ input: 'ann@example.com from 10.0.0.7' }] },
      },
      withDefault,
    );
    expect(scrubbed.run.privacy).toEqual({
      scrub: ['email', 'ip'],
      patterns: [],
      phoneRegion: 'US',
    });
    expect(scrubbed.results[0]).toMatchObject({
      input: '[email] from [ip]',
      masked: { email: 1, ip: 1 },
    });
    const optedOut = await runToEnd(
      {
        target: { name: 'echo' },
        dataset: { items: [{ input: 'ann@example.com' }] },
        privacy: { scrub: [] },
      },
      withDefault,
    );
    expect(optedOut.run.privacy).toBeNull();
    expect(optedOut.results[0]).toMatchObject({ input: 'ann@example.com', masked: {} });
    // dataset pushes too
    const pushed = await call(
      'POST',
      '/v1/datasets',
      { id: 'default-scrubbed', name: 'd', items: [{ input: 'ann@example.com' }] },
      withDefault,
    );
    expect(pushed.status).toBe(201);
    const items = await call<{ items: { input: unknown }[] }>(
      'GET',
      '/v1/datasets/default-scrubbed/versions/1/items',
    );
    expect(items.body.items.map((i) => i.input)).toEqual(['[email]']);
  });

  it('a rerun keeps the policy of its run and the masks counted on its items', async () => {
    const first = await runToEnd({
      target: { name: 'leaky' },
      dataset: { items: [{ input: { user: 'ann' }, metadata: { contact: 'ann@example.com' } }] },
      privacy: { scrub: ['email'] },
    });
    expect(first.results[0]!.masked).toEqual({ email: 2 });
    const rerun = await call<{ id: string }>('POST', `/v1/runs/${first.run.id}/rerun`, {
      only: 'all',
    });
    expect(rerun.status).toBe(201);
    const child = await waitFor(async () => {
      const r = await store.runs.getRun(rerun.body.id);
      return r?.status === 'completed' ? r : null;
    }, 'the rerun');
    expect(child.privacy).toEqual(first.run.privacy);
    const page = await call<{ results: Result[] }>('GET', `/v1/runs/${child.id}/results`);
    expect(page.body.results[0]).toMatchObject({
      metadata: { contact: '[email]' },
      output: { answer: '[email]', note: 'paid with 4111 1111 1111 1111' },
      masked: { email: 2 },
    });
  });

  it('an experiment passes its privacy option to every run; a variant may set its own', async () => {
    const res = await call<{ variants: { name: string; runIds: string[] }[] }>(
      'POST',
      '/v1/experiments',
      {
        name: 'exp',
        dataset: { items: [{ input: 'ann@example.com 4111111111111111' }] },
        variants: [
          { name: 'own', target: { name: 'echo' }, privacy: { scrub: ['email'] } },
          { name: 'inherits', target: { name: 'echo' } },
        ],
        privacy: { scrub: ['card'] },
      },
    );
    expect(res.status).toBe(201);
    const inputs: Record<string, unknown> = {};
    for (const v of res.body.variants) {
      const run = await store.runs.getRun(v.runIds[0]!);
      inputs[v.name] = [
        run!.privacy?.scrub,
        (await store.results.readItems(run!.id, [0]))[0]!.input,
      ];
    }
    expect(inputs).toEqual({
      own: [['email'], '[email] 4111111111111111'],
      inherits: [['card'], 'ann@example.com [card]'],
    });
  });

  it('a dataset push scrubs its items with its privacy option; runs over it scrub their copy with their own', async () => {
    const created = await call<{ id: string }>('POST', '/v1/datasets', {
      id: 'contacts',
      name: 'contacts',
      items: [{ id: 'a', input: 'ann@example.com, +1 415 555 2671' }],
      privacy: { scrub: ['email'] },
    });
    expect(created.status).toBe(201);
    const items = await call<{ items: { input: unknown }[] }>(
      'GET',
      '/v1/datasets/contacts/versions/1/items',
    );
    expect(items.body.items[0]!.input).toBe('[email], +1 415 555 2671');
    const { results } = await runToEnd({
      target: { name: 'echo' },
      dataset: { id: 'contacts' },
      privacy: { scrub: ['phone'] },
    });
    expect(results[0]).toMatchObject({ input: '[email], [phone]', masked: { phone: 1 } });
  });
});
