/**
 * @runledger/client's retries against a real API + worker + Redis behind a small local proxy that
 * answers 429/503 (with or without `Retry-After`) or drops the connection for the first N
 * requests of a route, then forwards: idempotent calls are retried (honouring `Retry-After`),
 * a POST without an idempotency key never is.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createClient,
  parseRetryAfter,
  type RetryEvent,
  RunledgerApiError,
} from '@runledger/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ClientApi, startClientApi } from './helpers/client-api.js';

/** What the proxy does to the next matching requests, in order; then it forwards. */
type Fault = { status: 429 | 503; retryAfter?: string } | 'drop';

let api: ClientApi;
let proxy: Server;
let proxyUrl: string;
let faults: Fault[] = [];
let match: (req: IncomingMessage) => boolean = () => true;
/** Every request the proxy received: `METHOD path`. */
let received: string[] = [];

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  api = await startClientApi('client-retries');
  proxy = createServer(async (req, res) => {
    received.push(`${req.method} ${req.url}`);
    const body = await readBody(req);
    if (match(req) && faults.length > 0) {
      const fault = faults.shift()!;
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(fault.status, {
        'content-type': 'application/problem+json',
        ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
      });
      res.end(
        JSON.stringify({
          type: 'urn:runledger:problem:too_many_requests',
          title: fault.status === 429 ? 'Too Many Requests' : 'Service Unavailable',
          status: fault.status,
          detail: 'injected by the test proxy',
        }),
      );
      return;
    }
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && key !== 'host' && key !== 'connection')
        headers.set(key, value);
    }
    const upstream = await fetch(`${api.url}${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, key) => {
      if (key !== 'content-length' && key !== 'transfer-encoding') out[key] = value;
    });
    res.writeHead(upstream.status, out);
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await api.close();
});

beforeEach(() => {
  faults = [];
  received = [];
  match = () => true;
});

const spec = { target: { name: 'echo' }, dataset: { items: [{ id: 'x', input: 1 }] } };

function retryingClient() {
  const retries: RetryEvent[] = [];
  const client = createClient({
    baseUrl: proxyUrl,
    retry: { retries: 3, minDelayMs: 10, maxDelayMs: 40, onRetry: (e) => retries.push(e) },
  });
  return { client, retries };
}

describe('retries', () => {
  it('a GET answered 429 with Retry-After waits that long, then succeeds', async () => {
    const { client, retries } = retryingClient();
    faults = [{ status: 429, retryAfter: '1' }];
    const page = await client.runs.list({ limit: 1 });
    expect(page.runs).toBeInstanceOf(Array);
    expect(received).toEqual(['GET /v1/runs?limit=1', 'GET /v1/runs?limit=1']);
    expect(retries.map((r) => [r.retry, r.delayMs, r.reason])).toEqual([
      [1, 1000, { status: 429 }],
    ]);
  });

  it('503s without Retry-After back off exponentially; after the last retry the error is thrown', async () => {
    const { client, retries } = retryingClient();
    faults = [{ status: 503 }, { status: 503 }];
    expect((await client.workers.list()).workers.length).toBeGreaterThan(0);
    expect(retries.map((r) => r.delayMs)).toEqual([10, 20]);

    faults = [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }];
    received = [];
    const err = await client.workers.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunledgerApiError);
    expect((err as RunledgerApiError).status).toBe(503);
    expect(received).toHaveLength(4);
    expect(retries.map((r) => r.delayMs)).toEqual([10, 20, 10, 20, 40]);
  });

  it('a dropped connection (network error) is retried for a GET', async () => {
    const { client, retries } = retryingClient();
    faults = ['drop'];
    const page = await client.runs.list({ limit: 1 });
    expect(page.runs).toBeInstanceOf(Array);
    expect(received).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect('error' in retries[0]!.reason).toBe(true);
  });

  it('a POST without an idempotency key is never retried', async () => {
    const { client, retries } = retryingClient();
    faults = [{ status: 429, retryAfter: '1' }];
    const err = await client.runs.create(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunledgerApiError);
    expect(err).toMatchObject({ status: 429, retryAfterMs: 1000, title: 'Too Many Requests' });
    expect(received).toEqual(['POST /v1/runs']);
    expect(retries).toEqual([]);

    faults = ['drop'];
    received = [];
    await expect(client.runs.create(spec)).rejects.toThrow();
    expect(received).toEqual(['POST /v1/runs']);
  });

  it('a POST with an idempotency key is retried and creates one run', async () => {
    const { client, retries } = retryingClient();
    match = (req) => req.method === 'POST';
    faults = [{ status: 503 }, 'drop'];
    const run = await client.runs.create(spec, { idempotencyKey: 'client-retry-1' });
    expect(received).toEqual(['POST /v1/runs', 'POST /v1/runs', 'POST /v1/runs']);
    expect(retries).toHaveLength(2);
    const again = await client.runs.create(spec, { idempotencyKey: 'client-retry-1' });
    expect(again.id).toBe(run.id);
  });

  it('retry: false sends once', async () => {
    const client = createClient({ baseUrl: proxyUrl, retry: false });
    faults = [{ status: 503 }];
    await expect(client.runs.list()).rejects.toMatchObject({ status: 503 });
    expect(received).toHaveLength(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay seconds and HTTP dates as ms from now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    // [Retry-After header, ms from now] (undefined: not a delay)
    const cases: [string | null, number | undefined][] = [
      ['2', 2000],
      ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
      ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
      ['soon', undefined],
      [null, undefined],
    ];
    for (const [header, ms] of cases) expect(parseRetryAfter(header, now), String(header)).toBe(ms);
  });
});
