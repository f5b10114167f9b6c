/**
 * @runledger/client with API keys on a real API: the key from the options or from
 * `RUNLEDGER_API_KEY`, a 401 problem without one, and the real rate limiter
 * (`RUNLEDGER_RATE_LIMIT_PER_SECOND=1`): a GET answered 429 waits its `Retry-After` and succeeds.
 */
import { createClient, type RetryEvent, RunledgerApiError } from '@runledger/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClientApi, startClientApi } from './helpers/client-api.js';

const KEY = 'rl_client_test_key_0123456789abcdef';
let api: ClientApi;
const savedKey = process.env.RUNLEDGER_API_KEY;
const savedUrl = process.env.RUNLEDGER_URL;

beforeAll(async () => {
  api = await startClientApi('client-auth', {
    RUNLEDGER_API_KEYS: `team-a:${KEY}`,
    RUNLEDGER_RATE_LIMIT_PER_SECOND: '1',
  });
});
afterAll(() => api.close());
afterEach(() => {
  if (savedKey === undefined) delete process.env.RUNLEDGER_API_KEY;
  else process.env.RUNLEDGER_API_KEY = savedKey;
  if (savedUrl === undefined) delete process.env.RUNLEDGER_URL;
  else process.env.RUNLEDGER_URL = savedUrl;
});

describe('API keys', () => {
  it('no key: 401 problem; the key from options or RUNLEDGER_API_KEY (and RUNLEDGER_URL) works', async () => {
    delete process.env.RUNLEDGER_API_KEY;
    const anonymous = createClient({ baseUrl: api.url });
    const err = await anonymous.workers.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunledgerApiError);
    expect((err as RunledgerApiError).status).toBe(401);

    const run = await createClient({ baseUrl: api.url, apiKey: KEY }).runs.create({
      target: { name: 'echo' },
      dataset: { items: [{ input: 1 }] },
    });
    expect(run.project).toBe('team-a');

    // one request per second per key: wait out the limiter's window before the next call
    await new Promise((r) => setTimeout(r, 1100));
    process.env.RUNLEDGER_API_KEY = KEY;
    process.env.RUNLEDGER_URL = api.url;
    const fromEnv = createClient();
    expect(fromEnv.baseUrl).toBe(api.url);
    expect((await fromEnv.runs.get(run.id)).id).toBe(run.id);
  });

  it('the real rate limiter: a 429 with Retry-After is waited out and the GET succeeds', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const retries: RetryEvent[] = [];
    const client = createClient({
      baseUrl: api.url,
      apiKey: KEY,
      retry: { onRetry: (e) => retries.push(e) },
    });
    // three at once: one passes, the others are limited and retried after Retry-After (1 s)
    const pages = await Promise.all([1, 2, 3].map(() => client.runs.list({ limit: 1 })));
    expect(new Set(pages.map((p) => p.runs[0]?.id)).size).toBe(1);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const retry of retries) {
      expect(retry).toMatchObject({ delayMs: 1000, reason: { status: 429 } });
    }
  });
});
