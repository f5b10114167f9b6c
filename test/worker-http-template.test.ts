/**
 * The `http` target's request shaping against a real local HTTP server: `method`, `headers`
 * (with `{{env.NAME}}` from the worker's environment), `query` and `body` templates as sent on
 * the wire; the default envelope without `body`; GET/DELETE without body; item failures for
 * unset env variables and missing input paths (nothing sent); 503 `Retry-After`; the
 * allowlist's `public` keyword; the API refusing `{{expected}}` at submit; and a worker run whose
 * two configs differ only in a templated body field scoring differently.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NonRetryableError, RetryableError, type TargetContext } from '@runledger/shared';
import { createHttpTarget, HttpGuard, TargetNotAllowedError } from '@runledger/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness } from './helpers/app.js';
import { storedResults, waitForRunStatus } from './helpers/run-checks.js';
import { postRun } from './helpers/submit.js';
import { runOnce, targetContext } from './helpers/targets.js';

/** One request as the server saw it. */
interface Seen {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * The server: `/status/<n>` answers that status (with `retry-after: 2` on `/status/503ra`);
 * `/answer` answers like a tiny model: `{ choices: [{ message: { content } }] }` where content
 * is the sum of `body.a + body.b`, plus one when `body.mode` is `sloppy` and the sum is odd.
 * Anything else answers `{ ok: true }`.
 */
let server: ReturnType<typeof createServer>;
let base: string;
const seen: Seen[] = [];

const target = () => createHttpTarget({ allow: '127.0.0.1' });

/** Attempt 2 of item `q-1` (index 4, metadata `lang: fr`) of run `01RUNID`; `extra` on top. */
const context = (config: Record<string, unknown>, extra: Partial<TargetContext> = {}) => {
  const item = { runId: '01RUNID', itemId: 'q-1', itemIndex: 4, metadata: { lang: 'fr' } };
  return targetContext(target(), config, { attempt: 2, ...item, ...extra });
};

/** Runs the target once; returns its output or the error it threw. */
function call(config: Record<string, unknown>, input: unknown): Promise<unknown> {
  return runOnce(target(), input, context(config));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) query[k] = [...(query[k] ?? []), v];
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({
        method: req.method ?? '',
        path: url.pathname,
        query,
        headers: req.headers,
        body,
      });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      if (url.pathname === '/status/503ra') return send(503, { e: 1 }, { 'retry-after': '2' });
      if (url.pathname.startsWith('/status/')) return send(Number(url.pathname.slice(8)), {});
      if (url.pathname === '/answer') {
        const b = JSON.parse(body) as { a: number; b: number; mode: string };
        const sum = b.a + b.b;
        const content = String(b.mode === 'sloppy' && sum % 2 === 1 ? sum + 1 : sum);
        return send(200, {
          choices: [{ message: { content } }],
          usage: { prompt_tokens: 4, completion_tokens: 1 },
        });
      }
      send(200, { ok: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The requests sent during `fn`. */
async function sent(fn: () => Promise<unknown>): Promise<{ result: unknown; requests: Seen[] }> {
  const from = seen.length;
  const result = await fn();
  return { result, requests: seen.slice(from) };
}

describe('http target request shaping', () => {
  it('sends method, templated headers (env), query and an OpenAI-style body as configured', async () => {
    process.env.RL_TEST_HTTP_TOKEN = 'tok-secret';
    try {
      const { result, requests } = await sent(() =>
        call(
          {
            url: `${base}/v1/chat?fixed=1`,
            method: 'PUT',
            headers: {
              Authorization: 'Bearer {{ env.RL_TEST_HTTP_TOKEN }}',
              'X-Item': '{{item.id}}#{{item.index}} try {{attempt}} of {{run.id}}',
              'Content-Type': 'application/vnd.test+json',
            },
            query: { q: '{{input.question}}', n: '{{input.nums}}', lang: '{{metadata.lang}}' },
            body: {
              model: 'tiny',
              temperature: 0,
              messages: [
                { role: 'system', content: 'Answer in {{metadata.lang}}.' },
                { role: 'user', content: '{{input.question}}' },
              ],
              numbers: '{{input.nums}}',
              first: '{{input.nums.0}}',
              whole: '{{input}}',
              meta: { run: '{{run.id}}', item: '{{item.id}}', index: '{{item.index}}' },
            },
            outputPath: 'ok',
          },
          { question: 'What is 2+3?', nums: [2, 3] },
        ),
      );
      expect(result).toEqual({ output: true });
      expect(requests).toHaveLength(1);
      const [r] = requests;
      expect(r?.method).toBe('PUT');
      expect(r?.path).toBe('/v1/chat');
      expect(r?.query).toEqual({
        fixed: ['1'],
        q: ['What is 2+3?'],
        n: ['[2,3]'],
        lang: ['fr'],
      });
      expect(r?.headers.authorization).toBe('Bearer tok-secret');
      expect(r?.headers['x-item']).toBe('q-1#4 try 2 of 01RUNID');
      expect(r?.headers['content-type']).toBe('application/vnd.test+json');
      expect(r?.headers.accept).toBe('application/json');
      expect(JSON.parse(r?.body ?? '')).toEqual({
        model: 'tiny',
        temperature: 0,
        messages: [
          { role: 'system', content: 'Answer in fr.' },
          { role: 'user', content: 'What is 2+3?' },
        ],
        numbers: [2, 3],
        first: 2,
        whole: { question: 'What is 2+3?', nums: [2, 3] },
        meta: { run: '01RUNID', item: 'q-1', index: 4 },
      });
    } finally {
      delete process.env.RL_TEST_HTTP_TOKEN;
    }
  });

  it('without body: POSTs the runledger envelope exactly as before', async () => {
    const { requests } = await sent(() => call({ url: `${base}/plain` }, { q: 1 }));
    expect(requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([
      ['POST', '/plain', 'application/json'],
    ]);
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({
      runId: '01RUNID',
      itemId: 'q-1',
      itemIndex: 4,
      attempt: 2,
      input: { q: 1 },
    });
  });

  it('GET and DELETE send no body, only the query', async () => {
    for (const method of ['GET', 'DELETE']) {
      const { result, requests } = await sent(() =>
        call(
          { url: `${base}/search`, method, query: { q: '{{input}}', i: '{{item.index}}' } },
          'cats',
        ),
      );
      expect(result).toEqual({ output: { ok: true } });
      expect(requests.map((r) => [r.method, r.query, r.body, r.headers['content-type']])).toEqual([
        [method, { q: ['cats'], i: ['4'] }, '', undefined],
      ]);
    }
  });

  it('an unset env variable fails invalid_config and a missing input path invalid_input, sending nothing', async () => {
    delete process.env.RL_TEST_UNSET_TOKEN;
    const noEnv = await sent(() =>
      call(
        { url: `${base}/x`, headers: { authorization: 'Bearer {{env.RL_TEST_UNSET_TOKEN}}' } },
        {},
      ),
    );
    expect(noEnv.requests).toHaveLength(0);
    expect(noEnv.result).toBeInstanceOf(NonRetryableError);
    expect(noEnv.result).toMatchObject({
      type: 'invalid_config',
      message:
        'config.headers.authorization: environment variable RL_TEST_UNSET_TOKEN (placeholder {{env.RL_TEST_UNSET_TOKEN}}) is not set on this worker',
    });
    const noPath = await sent(() =>
      call({ url: `${base}/x`, body: { prompt: 'Q: {{input.question}}' } }, { other: 1 }),
    );
    expect(noPath.requests).toHaveLength(0);
    expect(noPath.result).toMatchObject({
      type: 'invalid_input',
      message:
        'config.body.prompt: placeholder {{input.question}} has no value for item "q-1" (index 4)',
    });
    const newline = await sent(() =>
      call({ url: `${base}/x`, headers: { 'x-q': '{{input}}' } }, 'line\nbreak'),
    );
    expect(newline.requests).toHaveLength(0);
    expect(newline.result).toMatchObject({ type: 'invalid_input' });
  });

  it('a config refused by the schema fails invalid_config with field paths before any request', async () => {
    await expect(
      target().run(1, {
        ...context({ url: `${base}/x` }),
        config: { url: `${base}/x`, body: '{{expectedOutput}}', temperature: 0.2 },
      }),
    ).rejects.toMatchObject({
      type: 'invalid_config',
      message: expect.stringMatching(
        /^invalid http target config: config: Unrecognized key: "temperature"/,
      ) as unknown as string,
    });
    await expect(
      target().run(1, {
        ...context({ url: `${base}/x` }),
        config: { url: `${base}/x`, body: '{{expectedOutput}}' },
      }),
    ).rejects.toMatchObject({
      type: 'invalid_config',
      message: expect.stringMatching(
        /^invalid http target config: config.body: unknown placeholder \{\{expectedOutput\}\}/,
      ) as unknown as string,
    });
  });

  it('503 with Retry-After is retried after that wait; other statuses as before', async () => {
    const ra = await call({ url: `${base}/status/503ra` }, 1);
    expect(ra).toBeInstanceOf(RetryableError);
    expect(ra).toMatchObject({ status: 503, retryAfterMs: 2000, type: 'http_error' });
    const plain503 = await call({ url: `${base}/status/503` }, 1);
    expect(plain503).toBeInstanceOf(RetryableError);
    expect((plain503 as RetryableError).retryAfterMs).toBeUndefined();
    const bad = await call({ url: `${base}/status/422` }, 1);
    expect(bad).toBeInstanceOf(NonRetryableError);
    expect(bad).toMatchObject({ status: 422, type: 'http_error' });
  });
});

describe('allowlist keyword public', () => {
  it('keeps public hosts allowed beside the listed ones (what runledger start uses)', async () => {
    const guard = new HttpGuard('public,127.0.0.1');
    expect([guard.publicHosts, guard.patterns.map((p) => p.source)]).toEqual([true, ['127.0.0.1']]);
    expect(() => guard.check(new URL('http://127.0.0.1:8000/v1'))).not.toThrow();
    expect(() => guard.check(new URL('https://api.openai.com/v1'))).not.toThrow();
    expect(() => guard.check(new URL('http://10.0.0.1/'))).toThrow(TargetNotAllowedError);
    expect(() => guard.check(new URL('http://169.254.169.254/'))).toThrow(TargetNotAllowedError);
    await guard.close();
    const listedOnly = new HttpGuard('127.0.0.1');
    expect(listedOnly.publicHosts).toBe(false);
    expect(() => listedOnly.check(new URL('https://api.openai.com/v1'))).toThrow(
      /host not in RUNLEDGER_HTTP_TARGET_ALLOW \(127\.0\.0\.1\)/,
    );
    await listedOnly.close();
    const out = await createHttpTarget({ allow: 'public,127.0.0.1' }).run(
      1,
      context({ url: `${base}/plain` }),
    );
    expect(out).toEqual({ output: { ok: true } });
  });
});

describe('http target in a worker run', () => {
  let h: AppHarness;
  beforeAll(async () => {
    h = await createAppHarness('http-template', { RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1' }, {});
  });
  afterAll(() => h.close());

  it('the API refuses a template reaching for the expected output at submit, with its field path', async () => {
    const res = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: {
          name: 'http',
          config: {
            url: `${base}/answer`,
            body: { messages: [{ role: 'user', content: 'Q: {{input}} A: {{expected}}' }] },
          },
        },
        dataset: { items: [{ input: 'q', expectedOutput: 'a' }] },
      }),
    });
    const problem = (await res.json()) as { errors?: { path: string; message: string }[] };
    expect(res.status).toBe(400);
    expect(problem.errors).toEqual([
      {
        path: 'target.config.body.messages.0.content',
        message: expect.stringMatching(
          /^unknown placeholder \{\{expected\}\}: the expected output is never sent to the target/,
        ) as unknown as string,
      },
    ]);
  });

  it('two runs differing only in a templated body field score differently, exactly', async () => {
    // sums 2..9: four odd ones, which the sloppy mode answers wrongly
    const items = Array.from({ length: 8 }, (_, i) => ({
      id: `sum-${i}`,
      input: { a: i, b: 2 },
      expectedOutput: String(i + 2),
    }));
    const submit = (mode: string) =>
      postRun(h.app, {
        name: `http-${mode}`,
        target: {
          name: 'http',
          config: {
            url: `${base}/answer`,
            body: { a: '{{input.a}}', b: '{{input.b}}', mode },
            outputPath: 'choices.0.message.content',
          },
        },
        dataset: { items },
        scorers: [{ name: 'exact_match' }],
        execution: { maxAttempts: 1, timeoutMs: 10_000 },
      });
    const exact = await submit('exact');
    const sloppy = await submit('sloppy');
    const counts: Record<string, [number, number]> = {};
    for (const [name, id] of [
      ['exact', exact],
      ['sloppy', sloppy],
    ] as const) {
      const run = await waitForRunStatus(h.store, id, 'completed');
      expect(run.succeededCount).toBe(8);
      const results = await storedResults(h.store, id);
      expect(results.map((r) => r.usage)).toEqual(
        Array.from({ length: 8 }, () => ({ inputTokens: 4, outputTokens: 1 })),
      );
      const passed = results.filter((r) => r.scores.exact_match?.passed).length;
      counts[name] = [passed, run.scores.exact_match?.passed ?? -1];
    }
    expect(counts).toEqual({ exact: [8, 8], sloppy: [4, 4] });
  });
});
