/**
 * The built-in `openai` target against a local OpenAI-compatible chat completions server
 * (node:http, written here): request shape (model, messages from system/prompt or a messages
 * template, params passed through, Authorization from the worker's env), output and usage,
 * error classification, the attempt's signal, the allowlist; and end to end (API + worker) two
 * runs that differ only in `params.temperature` scoring differently and exactly, with usage,
 * cost from the price table and a 429 `Retry-After` retried.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NonRetryableError, RetryableError } from '@runledger/shared';
import { createOpenAiTarget, TargetNotAllowedError } from '@runledger/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness } from './helpers/app.js';
import { waitFor } from './helpers/context.js';
import { storedResults, waitForRunStatus } from './helpers/run-checks.js';
import { postRun } from './helpers/submit.js';
import { runOnce, targetContext } from './helpers/targets.js';

/** A chat completions request as the server saw it. */
interface ChatRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model?: string;
    messages?: { role: string; content: unknown }[];
    temperature?: number;
    [key: string]: unknown;
  };
  /** True when the client closed the connection before an answer. */
  aborted: boolean;
}

/**
 * The fake model. The last message's content decides:
 * - `What is A+B?`: answers the sum when `temperature` is 0 (or absent), else the sum plus one
 *   when the sum is odd (deterministically wrong on odd sums);
 * - contains `[429 once]`: the first request with that exact content per temperature is
 *   answered 429 with `Retry-After: 0`;
 * - `hang`: never answers; `status <n>`: answers status n; `no choices`: 200 without choices;
 *   `cut off`: 200 with a body cut short (not JSON).
 * Usage: 500,000 prompt and 250,000 completion tokens, model `tiny-llm-2025` (not the requested
 * name, so pricing must use the response's model).
 */
let server: ReturnType<typeof createServer>;
let baseUrl: string;
const requests: ChatRequest[] = [];
const limited = new Set<string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record: ChatRequest = {
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ChatRequest['body'],
        aborted: false,
      };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
      });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      if (req.method !== 'POST' || !record.path.endsWith('/chat/completions')) {
        return send(404, { error: { message: 'not found' } });
      }
      const messages = record.body.messages ?? [];
      const last = String(messages[messages.length - 1]?.content ?? '');
      const temperature = record.body.temperature ?? 0;
      if (last === 'hang') return;
      const status = /^status (\d+)$/.exec(last);
      if (status) return send(Number(status[1]), { error: { message: `scripted ${status[1]}` } });
      if (last === 'no choices') return send(200, { choices: [] });
      if (last === 'cut off') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"choices": [');
      }
      if (last.includes('[429 once]') && !limited.has(`${temperature}:${last}`)) {
        limited.add(`${temperature}:${last}`);
        return send(429, { error: { message: 'slow down' } }, { 'retry-after': '0' });
      }
      const sum = /What is (\d+)\+(\d+)\?/.exec(last);
      let content = `You said: ${last}`;
      if (sum) {
        const value = Number(sum[1]) + Number(sum[2]);
        content = String(temperature === 0 || value % 2 === 0 ? value : value + 1);
      }
      send(200, {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'tiny-llm-2025',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 500_000, completion_tokens: 250_000, total_tokens: 750_000 },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The target allowed to call loopback, its API keys read from `env`. */
const openai = (env: Record<string, string | undefined> = {}) =>
  createOpenAiTarget({ allow: '127.0.0.1', env });

/** Attempt 1 of item `q-9` (index 8, metadata `subject: arithmetic`) of run `01RUN`. */
function context(config: Record<string, unknown>, signal = new AbortController().signal) {
  const item = { runId: '01RUN', itemId: 'q-9', itemIndex: 8, metadata: { subject: 'arithmetic' } };
  return targetContext(openai(), config, { signal, attempt: 1, ...item });
}

/** Runs the target once; returns its output or the error it threw, and the requests it sent. */
async function call(
  config: Record<string, unknown>,
  input: unknown,
  env: Record<string, string | undefined> = {},
): Promise<{ result: unknown; sent: ChatRequest[] }> {
  const from = requests.length;
  const result = await runOnce(openai(env), input, context(config));
  return { result, sent: requests.slice(from) };
}

describe('openai target', () => {
  it('POSTs model, system + prompt messages and params; returns content and usage', async () => {
    const { result, sent } = await call(
      {
        baseUrl: `${baseUrl}/`,
        model: 'tiny-llm',
        params: { temperature: 0, max_tokens: 8, top_p: 1, seed: 42, stop: ['\n'] },
        system: 'Answer {{metadata.subject}} questions with a number only.',
        prompt: '{{input.question}}',
        apiKeyEnv: 'RL_TEST_LLM_KEY',
      },
      { question: 'What is 20+22?' },
      { RL_TEST_LLM_KEY: 'sk-test-123' },
    );
    expect(result).toEqual({
      output: '42',
      usage: { inputTokens: 500_000, outputTokens: 250_000, model: 'tiny-llm-2025' },
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.path).toBe('/v1/chat/completions');
    expect(sent[0]?.headers.authorization).toBe('Bearer sk-test-123');
    expect(sent[0]?.headers['content-type']).toBe('application/json');
    expect(sent[0]?.body).toEqual({
      model: 'tiny-llm',
      messages: [
        { role: 'system', content: 'Answer arithmetic questions with a number only.' },
        { role: 'user', content: 'What is 20+22?' },
      ],
      temperature: 0,
      max_tokens: 8,
      top_p: 1,
      seed: 42,
      stop: ['\n'],
    });
  });

  it('the default prompt is the input (as text); OPENAI_API_KEY is sent only when set', async () => {
    const object = await call({ baseUrl, model: 'm' }, { q: 1 });
    expect(object.sent[0]?.body.messages).toEqual([{ role: 'user', content: '{"q":1}' }]);
    expect(object.sent[0]?.headers.authorization).toBeUndefined();
    const text = await call({ baseUrl, model: 'm' }, 'hello', { OPENAI_API_KEY: 'sk-default' });
    expect(text.result).toMatchObject({ output: 'You said: hello' });
    expect(text.sent[0]?.body.messages).toEqual([{ role: 'user', content: 'hello' }]);
    expect(text.sent[0]?.headers.authorization).toBe('Bearer sk-default');
  });

  it('a messages template replaces system and prompt; exact placeholders keep JSON values', async () => {
    const { result, sent } = await call(
      {
        baseUrl,
        model: 'm',
        messages: [
          { role: 'system', content: 'Item {{item.id}} ({{item.index}}), run {{run.id}}' },
          { role: 'user', content: [{ type: 'text', text: '{{input.text}}' }] },
          { role: 'user', content: '{{input.parts}}', name: 'u' },
        ],
      },
      { text: 'first', parts: 'What is 1+2?' },
    );
    expect(result).toMatchObject({ output: '3' });
    expect(sent[0]?.body.messages).toEqual([
      { role: 'system', content: 'Item q-9 (8), run 01RUN' },
      { role: 'user', content: [{ type: 'text', text: 'first' }] },
      { role: 'user', content: 'What is 1+2?', name: 'u' },
    ]);
  });

  it('fails without a request: explicit apiKeyEnv unset (invalid_config), missing input path (invalid_input)', async () => {
    const noKey = await call({ baseUrl, model: 'm', apiKeyEnv: 'RL_NOT_SET' }, 'x');
    expect(noKey.sent).toHaveLength(0);
    expect(noKey.result).toBeInstanceOf(NonRetryableError);
    expect(noKey.result).toMatchObject({
      type: 'invalid_config',
      message: 'config.apiKeyEnv: environment variable RL_NOT_SET is not set on this worker',
    });
    const noPath = await call({ baseUrl, model: 'm', prompt: 'Q: {{input.question}}' }, {});
    expect(noPath.sent).toHaveLength(0);
    expect(noPath.result).toMatchObject({
      type: 'invalid_input',
      message:
        'config.prompt: placeholder {{input.question}} has no value for item "q-9" (index 8)',
    });
  });

  it('classifies answers: 4xx final, 408/5xx retryable, 429 with Retry-After, no content invalid_output', async () => {
    const statusOf = async (status: number) =>
      (await call({ baseUrl, model: 'm' }, `status ${status}`)).result;
    for (const status of [400, 401, 404, 422]) {
      const err = await statusOf(status);
      expect(err, String(status)).toBeInstanceOf(NonRetryableError);
      expect(err).toMatchObject({ type: 'http_error', status });
    }
    for (const status of [408, 500, 502, 503]) {
      const err = await statusOf(status);
      expect(err, String(status)).toBeInstanceOf(RetryableError);
      expect(err).toMatchObject({ type: 'http_error', status, retryAfterMs: undefined });
    }
    const limitedOnce = await call({ baseUrl, model: 'm' }, 'direct [429 once]');
    expect(limitedOnce.result).toBeInstanceOf(RetryableError);
    expect(limitedOnce.result).toMatchObject({ status: 429, retryAfterMs: 0 });
    const empty = await call({ baseUrl, model: 'm' }, 'no choices');
    expect(empty.result).toBeInstanceOf(NonRetryableError);
    expect(empty.result).toMatchObject({
      type: 'invalid_output',
      message: 'response has no string choices[0].message.content: {"choices":[]}',
    });
    const cut = await call({ baseUrl, model: 'm' }, 'cut off');
    expect(cut.result).toBeInstanceOf(NonRetryableError);
    expect(cut.result).toMatchObject({
      type: 'invalid_output',
      message: 'response is not a JSON object: {"choices": [',
    });
  });

  it('the request carries the attempt signal: aborting it ends the request', async () => {
    const controller = new AbortController();
    const from = requests.length;
    const running = openai().run('hang', context({ baseUrl, model: 'm' }, controller.signal));
    await waitFor(async () => requests.length > from || null, 'the hanging request to arrive');
    const reason = new DOMException('timed out after 50 ms', 'TimeoutError');
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    await waitFor(async () => requests[from]?.aborted || null, 'the server to see the abort');
  });

  it('obeys the allowlist like http: loopback refused by default', async () => {
    const from = requests.length;
    const err = await createOpenAiTarget()
      .run('x', context({ baseUrl, model: 'm' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetNotAllowedError);
    expect(err).toMatchObject({ type: 'target_not_allowed' });
    expect(requests.length).toBe(from);
  });
});

describe('openai target end to end (API + worker)', () => {
  let h: AppHarness;
  beforeAll(async () => {
    process.env.RL_TEST_LLM_KEY = 'sk-e2e-key';
    h = await createAppHarness(
      'openai',
      {
        RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1',
        // USD per million tokens: 0.5 M * 2 + 0.25 M * 4 = exactly 2 USD per item
        RUNLEDGER_PRICES: JSON.stringify({
          'tiny-llm-2025': { inputPerMTok: 2, outputPerMTok: 4 },
        }),
      },
      {},
    );
  });
  afterAll(async () => {
    await h.close();
    delete process.env.RL_TEST_LLM_KEY;
  });

  it('two runs differing only in params.temperature: exact, different pass counts; usage, cost, 429 retried', async () => {
    // sums 2..11 (10 items): five odd ones, answered wrongly at temperature 0.7; item 3 is
    // rate limited once per run (429, Retry-After: 0)
    const items = Array.from({ length: 10 }, (_, i) => ({
      id: `q${i}`,
      input: { question: `What is ${i}+2?${i === 3 ? ' [429 once]' : ''}` },
      expectedOutput: String(i + 2),
    }));
    const submit = (temperature: number) =>
      postRun(h.app, {
        name: `t=${temperature}`,
        target: {
          name: 'openai',
          config: {
            baseUrl,
            model: 'tiny-llm',
            params: { temperature, max_tokens: 8 },
            system: 'You answer item {{item.id}} with a number.',
            prompt: '{{input.question}}',
            apiKeyEnv: 'RL_TEST_LLM_KEY',
          },
        },
        dataset: { items },
        scorers: [{ name: 'exact_match' }],
        execution: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0 }, timeoutMs: 10_000 },
      });
    const from = requests.length;
    const cold = await submit(0);
    const warm = await submit(0.7);
    const outcome: Record<string, unknown> = {};
    for (const [name, id] of [
      ['cold', cold],
      ['warm', warm],
    ] as const) {
      const run = await waitForRunStatus(h.store, id, 'completed');
      const results = await storedResults(h.store, id);
      expect(results.map((r) => [r.status, r.attempts])).toEqual(
        Array.from({ length: 10 }, () => ['succeeded', 1]),
      );
      expect(results.every((r) => r.costUsd === 2)).toBe(true);
      expect(results.map((r) => r.usage)).toEqual(
        Array.from({ length: 10 }, () => ({
          inputTokens: 500_000,
          outputTokens: 250_000,
          model: 'tiny-llm-2025',
        })),
      );
      outcome[name] = {
        passed: run.scores.exact_match?.passed,
        failedItems: results.filter((r) => !r.scores.exact_match?.passed).map((r) => r.itemId),
        usage: run.usage,
        costUsd: run.costUsd,
      };
    }
    expect(outcome).toEqual({
      cold: {
        passed: 10,
        failedItems: [],
        usage: { inputTokens: 5_000_000, outputTokens: 2_500_000 },
        costUsd: 20,
      },
      warm: {
        passed: 5,
        failedItems: ['q1', 'q3', 'q5', 'q7', 'q9'],
        usage: { inputTokens: 5_000_000, outputTokens: 2_500_000 },
        costUsd: 20,
      },
    });
    const sent = requests.slice(from);
    // 10 items per run, plus one 429 per run for q3
    expect(sent).toHaveLength(22);
    expect(sent.every((r) => r.headers.authorization === 'Bearer sk-e2e-key')).toBe(true);
    const q3 = sent.filter((r) => String(r.body.messages?.[1]?.content).startsWith('What is 3+2?'));
    expect(q3.map((r) => r.body.temperature).sort()).toEqual([0, 0, 0.7, 0.7]);
    expect(sent.map((r) => r.body.temperature).sort()).toEqual([
      ...Array.from({ length: 11 }, () => 0),
      ...Array.from({ length: 11 }, () => 0.7),
    ]);
    expect(sent.filter((r) => r.body.temperature === 0)[0]?.body).toMatchObject({
      model: 'tiny-llm',
      max_tokens: 8,
      messages: [
        { role: 'system', content: expect.stringMatching(/^You answer item q\d with a number\.$/) },
        { role: 'user' },
      ],
    });
  });
});
