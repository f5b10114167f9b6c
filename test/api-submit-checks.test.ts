/**
 * Submit-time checks against a real Redis (issue 7 section 2): a target no live worker serves,
 * a `target.config` that does not fit the target's schema (built-in or advertised by a worker),
 * and a target URL the API's `RUNLEDGER_HTTP_TARGET_ALLOW` refuses are 400 with field paths at
 * once, for runs (JSON and NDJSON), experiments and reruns; `execution.waitForWorkers` queues a
 * run for workers that start later. Nothing of a refused submission is left in Redis.
 */
import type { Problem } from '@runledger/api';
import { defineTarget, type Run, type TargetDefinition } from '@runledger/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AppHarness, useAppHarness } from './helpers/app.js';
import { advertiseWorker } from './helpers/fake-worker.js';
import { waitForRunStatus } from './helpers/run-checks.js';

type App = AppHarness['app'];

const post = (app: App, path: string, body: unknown) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** A 201 run or a 400 problem (`status`: the run's status, or the HTTP status). */
type Answer = Omit<Problem, 'status'> & Omit<Run, 'status'> & { status: string | number };

const items = [{ input: 'a' }, { input: 'b' }];

/** POSTs a run of `target` and returns the status and body. */
async function submit(app: App, target: unknown, extra: Record<string, unknown> = {}) {
  const res = await post(app, '/v1/runs', { target, dataset: { items }, ...extra });
  return { status: res.status, body: (await res.json()) as Answer };
}

/**
 * Submits a run of `target` on `app` and asserts a 400 whose only error is `message` at `path`;
 * the problem body.
 */
async function expectRefusedAt(
  app: App,
  target: unknown,
  path: string,
  message: string,
): Promise<Answer> {
  const { status, body } = await submit(app, target);
  expect(status).toBe(400);
  expect(body.errors).toEqual([{ path, message }]);
  return body;
}

/** Why a loopback/private target URL is refused when RUNLEDGER_HTTP_TARGET_ALLOW does not allow it. */
const LOOPBACK_REFUSED =
  'loopback/private addresses are refused unless RUNLEDGER_HTTP_TARGET_ALLOW allows them (e.g. RUNLEDGER_HTTP_TARGET_ALLOW=127.0.0.1)';

/** Every runledger key of the harness's prefix (a refused submission leaves none of a run). */
async function runKeys(h: AppHarness): Promise<string[]> {
  const keys = await h.redis.keys(`${h.prefix}:{*`);
  return keys.sort();
}

describe('unknown target', () => {
  const h = useAppHarness('submit-target');

  it('is refused with "served now: none" and how to go on when no worker is live', async () => {
    const message =
      'unknown target "htp" (served now: none): no worker is live; start one (`runledger worker`, or `runledger start` for API and worker in one process) or set execution.waitForWorkers: true to queue the run until a worker serves it';
    const body = await expectRefusedAt(h().app, { name: 'htp' }, 'target.name', message);
    expect(body.type).toBe('urn:runledger:problem:validation');
    expect(body.detail).toBe(`target.name: ${message}`);
    expect(await runKeys(h())).toEqual([]);
  });

  it('lists the targets live workers serve, sorted and unique', async () => {
    await advertiseWorker(h().store, ['http', 'echo', 'openai'], { id: 'w1' });
    await advertiseWorker(h().store, ['iris-knn', 'http'], { id: 'w2' });
    try {
      await expectRefusedAt(
        h().app,
        { name: 'htp', config: { url: 'x' } },
        'target.name',
        'unknown target "htp" (served now: echo, http, iris-knn, openai)',
      );
      // a served target passes
      expect((await submit(h().app, { name: 'iris-knn' })).status).toBe(201);
    } finally {
      await h().store.fleet.removeWorker('w1');
      await h().store.fleet.removeWorker('w2');
    }
  });

  it('never mistakes an Object.prototype name for a built-in target', async () => {
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      const refused = await submit(h().app, { name, config: { url: 'http://127.0.0.1/' } });
      expect(refused.status, name).toBe(400);
      expect(refused.body.errors?.[0]?.path, name).toBe('target.name');
      const waiting = await submit(
        h().app,
        { name, config: { url: 'http://127.0.0.1/' } },
        { execution: { waitForWorkers: true } },
      );
      expect(waiting.status, name).toBe(201);
    }
  });

  it('with execution.waitForWorkers: true is accepted and stays queued', async () => {
    const { status, body } = await submit(
      h().app,
      { name: 'later-target' },
      { execution: { waitForWorkers: true } },
    );
    expect(status).toBe(201);
    expect(body.status).toBe('queued');
    const got = (await (await h().app.request(`/v1/runs/${body.id}`)).json()) as Run;
    expect(got.status).toBe('queued');
    expect(got.succeededCount + got.failedCount + got.cancelledCount).toBe(0);
    expect((await h().store.runs.getRun(body.id))?.execution.waitForWorkers).toBe(true);
  });

  it('waitForWorkers still checks a built-in target config', async () => {
    const { status, body } = await submit(
      h().app,
      { name: 'echo', config: { delayMs: 'slow' } },
      { execution: { waitForWorkers: true } },
    );
    expect(status).toBe(400);
    expect(body.errors?.map((e) => e.path)).toEqual(['target.config.delayMs']);
  });

  it('is refused in an NDJSON submission, naming the line', async () => {
    const before = await runKeys(h());
    const res = await h().app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ target: { name: 'htp' } })}\n{"input":1}\n`,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Problem;
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.path).toBe('target.name');
    expect(body.errors?.[0]?.message).toMatch(
      /^unknown target "htp" \(served now: none\) \(line 1\): /,
    );
    expect(await runKeys(h())).toEqual(before);
  });
});

describe('against a real worker', () => {
  /** A registered target whose config schema the worker advertises with its heartbeat. */
  const knn = defineTarget({
    name: 'knn',
    description: 'nearest neighbours (test)',
    configSchema: z.object({ k: z.number().int().min(1).default(3) }).strict(),
    async run(input, { config }) {
      return { output: { input, k: config.k } };
    },
  });
  const h = useAppHarness('submit-real', {}, { targets: [knn as TargetDefinition] });

  it('enforces the config schema a registered target declares, and runs a valid one', async () => {
    const bad = await submit(h().app, { name: 'knn', config: { k: 0, K: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.path)).toEqual(['target.config.k', 'target.config.K']);
    expect(bad.body.errors?.[1]?.message).toBe(
      'unknown config key "K" for target "knn" (allowed: k)',
    );
    const ok = await submit(h().app, { name: 'knn', config: { k: 5 } });
    expect(ok.status).toBe(201);
    const run = await waitForRunStatus(h().store, String(ok.body.id), 'completed');
    expect(run.succeededCount).toBe(2);
    // k has a default: a run without config is accepted too
    expect((await submit(h().app, { name: 'knn' })).status).toBe(201);
  });

  it('names the targets the worker advertises', async () => {
    const served = [
      ...new Set(
        (await h().store.fleet.listWorkers(60_000)).flatMap((w) => w.targets.map((t) => t.name)),
      ),
    ].sort();
    expect(served).toContain('echo');
    const message = `unknown target "htp" (served now: ${served.join(', ')})`;
    await expectRefusedAt(h().app, { name: 'htp' }, 'target.name', message);
  });

  it('refuses a rerun whose target no live worker serves any more', async () => {
    const created = await submit(h().app, { name: 'echo' });
    expect(created.status).toBe(201);
    await waitForRunStatus(h().store, created.body.id, 'completed');
    await h().worker?.close(1000);
    const res = await post(h().app, `/v1/runs/${created.body.id}/rerun`, { only: 'all' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Problem;
    expect(body.errors?.[0]?.path).toBe('target.name');
    expect(body.errors?.[0]?.message).toMatch(/^unknown target "echo" \(served now: none\): /);
  });
});

describe('target config', () => {
  // a registered target's config schema, as a worker advertises it (JSON Schema)
  const knnSchema = z.toJSONSchema(
    z
      .object({ k: z.number().int().min(1).default(5), metric: z.enum(['l1', 'l2']).optional() })
      .strict(),
  ) as Record<string, unknown>;
  const h = useAppHarness('submit-config', { RUNLEDGER_HTTP_TARGET_ALLOW: 'public,127.0.0.1' });
  beforeAll(async () => {
    await advertiseWorker(h().store, [
      'echo',
      'http',
      'openai',
      { name: 'knn', configSchema: knnSchema },
      'free',
    ]);
  });

  it('http without config is refused at target.config.url', async () => {
    const message = 'required: target "http" needs target.config.url';
    await expectRefusedAt(h().app, { name: 'http' }, 'target.config.url', message);
    expect(await runKeys(h())).toEqual([]);
  });

  it('an unknown config key is refused at its path', async () => {
    const { status, body } = await submit(h().app, {
      name: 'http',
      config: { url: 'http://127.0.0.1:9/', temprature: 0 },
    });
    expect(status).toBe(400);
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.path).toBe('target.config.temprature');
    expect(body.errors?.[0]?.message).toMatch(
      /^unknown config key "temprature" for target "http" \(allowed: url, /,
    );
  });

  it("openai: a model parameter at the config's top level is refused with where it goes", async () => {
    const { status, body } = await submit(h().app, {
      name: 'openai',
      config: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', temperature: 0 },
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      {
        path: 'target.config.temperature',
        message:
          'unknown config key "temperature" for target "openai" (allowed: baseUrl, model, params, system, prompt, messages, apiKeyEnv); a model parameter goes in params: {"params": {"temperature": ...}}',
      },
    ]);
  });

  it('a wrong type is refused at its path', async () => {
    const { status, body } = await submit(h().app, { name: 'echo', config: { delayMs: 'slow' } });
    expect(status).toBe(400);
    expect(body.errors?.map((e) => e.path)).toEqual(['target.config.delayMs']);
    expect((await submit(h().app, { name: 'echo', config: { delayMs: 5 } })).status).toBe(201);
  });

  it("a registered target's advertised schema is enforced", async () => {
    const wrongType = await submit(h().app, { name: 'knn', config: { k: 'three' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors?.map((e) => e.path)).toEqual(['target.config.k']);
    const unknownKey = await submit(h().app, { name: 'knn', config: { k: 3, neighbours: 2 } });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.errors).toEqual([
      {
        path: 'target.config.neighbours',
        message: 'unknown config key "neighbours" for target "knn" (allowed: k, metric)',
      },
    ]);
    const badEnum = await submit(h().app, { name: 'knn', config: { metric: 'cosine' } });
    expect(badEnum.status).toBe(400);
    expect(badEnum.body.errors?.map((e) => e.path)).toEqual(['target.config.metric']);
    // k has a default: it may be left out
    expect((await submit(h().app, { name: 'knn' })).status).toBe(201);
    expect((await submit(h().app, { name: 'knn', config: { k: 3, metric: 'l2' } })).status).toBe(
      201,
    );
  });

  it('a registered target that advertises no schema is not checked', async () => {
    expect((await submit(h().app, { name: 'free', config: { anything: [1, 2] } })).status).toBe(
      201,
    );
  });

  it('waitForWorkers accepts a registered target no live worker advertises, config unchecked', async () => {
    const { status } = await submit(
      h().app,
      { name: 'not-started-yet', config: { whatever: true } },
      { execution: { waitForWorkers: true } },
    );
    expect(status).toBe(201);
  });

  it('experiments: a variant config is refused at the variant path, and no run is created', async () => {
    const before = await runKeys(h());
    const res = await post(h().app, '/v1/experiments', {
      name: 'exp',
      dataset: { items },
      variants: [
        { name: 'fast', target: { name: 'echo', config: { delayMs: 0 } } },
        { name: 'typo', target: { name: 'echo', config: { delay: 5 } } },
        { name: 'slow', target: { name: 'knn', config: { k: 0 } } },
        { name: 'gone', target: { name: 'htp' } },
      ],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Problem;
    expect(body.errors?.map((e) => e.path)).toEqual([
      'variants.1.target.config.delay',
      'variants.2.target.config.k',
      'variants.3.target.name',
    ]);
    expect(body.errors?.[2]?.message).toBe(
      'unknown target "htp" (served now: echo, free, http, knn, openai)',
    );
    expect(await runKeys(h())).toEqual(before);
  });

  it('experiments: a variant with waitForWorkers may name a target not served yet', async () => {
    const res = await post(h().app, '/v1/experiments', {
      name: 'exp2',
      dataset: { items },
      variants: [
        { name: 'now', target: { name: 'echo' } },
        {
          name: 'later',
          target: { name: 'later-target' },
          execution: { waitForWorkers: true },
        },
      ],
    });
    expect(res.status).toBe(201);
  });
});

describe('target URL allowlist at submit', () => {
  const denying = useAppHarness('submit-deny');
  const allowing = useAppHarness('submit-allow', { RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1' });
  beforeAll(async () => {
    for (const h of [denying(), allowing()]) await advertiseWorker(h.store, ['http', 'openai']);
  });

  it('refuses a loopback URL, naming RUNLEDGER_HTTP_TARGET_ALLOW', async () => {
    const url = 'http://127.0.0.1:8000';
    await expectRefusedAt(
      denying().app,
      { name: 'http', config: { url } },
      'target.config.url',
      `${url} is not allowed: ${LOOPBACK_REFUSED}`,
    );
    expect(await runKeys(denying())).toEqual([]);
  });

  it('refuses localhost, private, IPv6 loopback and metadata addresses; accepts a public host', async () => {
    const refused = [
      'http://localhost:8000/v1',
      'http://10.1.2.3/',
      'http://[::1]:8080/',
      'http://169.254.169.254/latest',
      'http://metadata.google.internal/',
      'ftp://example.com/',
    ];
    for (const url of refused) {
      const { status, body } = await submit(denying().app, { name: 'http', config: { url } });
      expect(status, url).toBe(400);
      expect(body.errors?.[0]?.path, url).toBe('target.config.url');
      expect(body.errors?.[0]?.message, url).toMatch(
        new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not allowed: `),
      );
    }
    const { status } = await submit(denying().app, {
      name: 'http',
      config: { url: 'https://api.example.com/v1' },
    });
    expect(status).toBe(201);
  });

  it('checks the openai target at target.config.baseUrl', async () => {
    const baseUrl = 'http://127.0.0.1:8000/v1';
    const target = { name: 'openai', config: { baseUrl, model: 'm' } };
    await expectRefusedAt(
      denying().app,
      target,
      'target.config.baseUrl',
      `${baseUrl} is not allowed: ${LOOPBACK_REFUSED}`,
    );
  });

  it('accepts a loopback URL when RUNLEDGER_HTTP_TARGET_ALLOW allows it, and refuses unlisted hosts', async () => {
    const ok = await submit(allowing().app, {
      name: 'http',
      config: { url: 'http://127.0.0.1:8000' },
    });
    expect(ok.status).toBe(201);
    const url = 'https://api.example.com/v1';
    await expectRefusedAt(
      allowing().app,
      { name: 'http', config: { url } },
      'target.config.url',
      `${url} is not allowed: its host is not in RUNLEDGER_HTTP_TARGET_ALLOW (127.0.0.1); add it (e.g. RUNLEDGER_HTTP_TARGET_ALLOW=127.0.0.1,api.example.com)`,
    );
  });

  it('redacts credentials of a refused URL in the message', async () => {
    const { status, body } = await submit(denying().app, {
      name: 'http',
      config: { url: 'http://user:pw@127.0.0.1:8000/x?api_key=s3cret' },
    });
    expect(status).toBe(400);
    expect(JSON.stringify(body)).not.toContain('s3cret');
    expect(JSON.stringify(body)).not.toContain('pw@');
  });
});

describe('unknown fields', () => {
  const h = useAppHarness('submit-unknown-fields');
  beforeAll(async () => {
    await advertiseWorker(h().store, ['echo']);
  });

  it('a typo in a run spec is refused at its path, not dropped (JSON body, items, nested)', async () => {
    const before = await runKeys(h());
    const res = await post(h().app, '/v1/runs', {
      target: { name: 'echo', confg: {} },
      dataset: { items: [{ input: 'a', question: 'b' }], vesion: '2' },
      scorerz: [{ name: 'exact_match' }],
      execution: { maxAttempts: 2, backoff: { type: 'fixed', delay: 5 } },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Problem;
    expect(body.errors?.map((e) => [e.path, e.message]).sort()).toEqual([
      ['dataset.items.0.question', 'unknown field "question"'],
      ['dataset.vesion', 'unknown field "vesion"'],
      ['execution.backoff.delay', 'unknown field "delay"'],
      ['scorerz', 'unknown field "scorerz"'],
      ['target.confg', 'unknown field "confg"'],
    ]);
    expect(body.detail).toContain('scorerz: unknown field "scorerz"');
    expect(await runKeys(h())).toEqual(before);
  });

  it('in an NDJSON submission, the spec line and item lines name their line', async () => {
    const ndjson = (lines: unknown[]) =>
      h().app.request('/v1/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
      });
    const header = await ndjson([{ target: { name: 'echo' }, scorer: [] }, { input: 1 }]);
    expect(header.status).toBe(400);
    expect(((await header.json()) as Problem).errors).toEqual([
      { path: 'scorer', message: 'line 1: unknown field "scorer"' },
    ]);
    const item = await ndjson([
      { target: { name: 'echo' } },
      { input: 1 },
      { input: 2, expected: 2 },
    ]);
    expect(item.status).toBe(400);
    expect(((await item.json()) as Problem).errors).toEqual([
      { path: 'dataset.items.1.expected', message: 'line 3: unknown field "expected"' },
    ]);
  });

  it('an experiment and a dataset refuse them too', async () => {
    const experiment = await post(h().app, '/v1/experiments', {
      name: 'e',
      dataset: { items: [{ input: 1 }], columns: { input: 'q' } },
      variants: [{ name: 'a', target: { name: 'echo' }, trails: 2 }],
    });
    expect(experiment.status).toBe(400);
    // the dataset's typo comes back with the variant's, in one answer
    expect(((await experiment.json()) as Problem).errors).toEqual([
      { path: 'variants.0.trails', message: 'unknown field "trails"' },
      { path: 'dataset.columns', message: 'unknown field "columns"' },
    ]);
    // and alone when the experiment's own fields are right
    const columns = await post(h().app, '/v1/experiments', {
      name: 'e',
      dataset: { items: [{ input: 1 }], columns: { input: 'q' } },
      variants: [{ name: 'a', target: { name: 'echo' } }],
    });
    expect(columns.status).toBe(400);
    expect(((await columns.json()) as Problem).errors).toEqual([
      { path: 'dataset.columns', message: 'unknown field "columns"' },
    ]);
    const dataset = await post(h().app, '/v1/datasets', {
      name: 'd',
      items: [{ input: 1, answer: 1 }],
    });
    expect(dataset.status).toBe(400);
    expect(((await dataset.json()) as Problem).errors).toEqual([
      { path: 'items.0.answer', message: 'unknown field "answer"' },
    ]);
  });
});

describe('expected outputs', () => {
  const h = useAppHarness('submit-expected');
  beforeAll(async () => {
    await advertiseWorker(h().store, ['echo']);
  });
  const noExpected = [{ input: 'a' }];

  it('a scorer that compares with expected outputs needs at least one item that has one', async () => {
    const before = await runKeys(h());
    const res = await post(h().app, '/v1/runs', {
      target: { name: 'echo' },
      dataset: { items: [...noExpected, { input: 'b' }] },
      scorers: [{ name: 'regex', config: { pattern: 'a' } }, { name: 'exact_match' }],
    });
    expect(res.status).toBe(400);
    const message =
      'scorer "exact_match" compares each output with its item\'s expectedOutput, and none of the 2 items has one (in a file: an expectedOutput or expected_output column; runledger submit and datasets push read another with --expected-column NAME)';
    const body = (await res.json()) as Problem;
    expect(body.errors).toEqual([{ path: 'scorers.1.name', message }]);
    expect(body.detail).toBe(`scorers.1.name: ${message}`);
    expect(await runKeys(h())).toEqual(before);
    // NDJSON: the same, once every line is in
    const ndjson = await h().app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ target: { name: 'echo' }, scorers: [{ name: 'json_equal' }] })}\n{"input":1}\n`,
    });
    expect(ndjson.status).toBe(400);
    expect(((await ndjson.json()) as Problem).errors?.map((e) => e.path)).toEqual([
      'scorers.0.name',
    ]);
  });

  it('one item with an expected output, or scorers that need none, are accepted', async () => {
    const accepted = async (items: unknown[], scorers: unknown[]) =>
      (await post(h().app, '/v1/runs', { target: { name: 'echo' }, dataset: { items }, scorers }))
        .status;
    expect(
      await accepted(
        [{ input: 'a' }, { input: 'b', expectedOutput: 'b' }],
        [{ name: 'exact_match' }],
      ),
    ).toBe(201);
    expect(await accepted(noExpected, [{ name: 'contains', config: { value: 'a' } }])).toBe(201);
    expect(await accepted(noExpected, [{ name: 'regex', config: { pattern: 'a' } }])).toBe(201);
    expect(await accepted(noExpected, [])).toBe(201);
    // `contains` without a value compares with the expected output
    expect(await accepted(noExpected, [{ name: 'contains' }])).toBe(400);
  });
});
