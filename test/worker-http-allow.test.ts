/**
 * The `http` target's allowlist (`RUNLEDGER_HTTP_TARGET_ALLOW`): private, loopback, link-local
 * and metadata addresses refused by default (literals before connecting, names when they
 * resolve), listed hosts allowed, redirects followed only while every hop is listed, secret
 * headers dropped when a redirect changes origin; and a worker's http target obeys its config.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  createRedis,
  loadConfig,
  parseHostAllowlist,
  RunQueues,
  RunStore,
  type TargetContext,
  urlAllowed,
} from '@runledger/shared';
import {
  createHttpTarget,
  isPublicAddress,
  startWorker,
  TargetNotAllowedError,
} from '@runledger/worker';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, redisUrl, uniquePrefix, waitFor } from './helpers/context.js';
import { submitRunDirect } from './helpers/submit.js';

/** A server recording each request; `handle` answers it. */
interface Recorder {
  url: string;
  port: number;
  requests: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

async function startRecorder(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Recorder> {
  const requests: Recorder['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const logger = createLogger({ level: process.env.DBG ? 'debug' : 'silent' });

function context(config: Record<string, unknown>): TargetContext {
  return {
    signal: new AbortController().signal,
    attempt: 1,
    config,
    runId: 'run-1',
    itemId: 'item-1',
    itemIndex: 0,
    logger,
  };
}

/** Runs the target; returns its output or the error it threw. */
async function call(allow: string, config: Record<string, unknown>): Promise<unknown> {
  return createHttpTarget({ allow })
    .run({ q: 1 }, context(config))
    .then(
      (out) => out,
      (err: unknown) => err,
    );
}

let ok: Recorder;
let other: Recorder;

beforeAll(async () => {
  ok = await startRecorder((req, res) => json(res, 200, { answer: req.url, method: req.method }));
  other = await startRecorder((_req, res) => json(res, 200, { answer: 'other' }));
});

afterAll(async () => {
  await ok.close();
  await other.close();
});

describe('address classification', () => {
  it('treats only global unicast addresses as public', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '93.184.216.34']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
    for (const address of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '127.0.0.1',
      '127.9.9.9',
      '169.254.169.254',
      '169.254.0.1',
      '0.0.0.0',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not-an-address',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('matches host patterns with WHATWG-normalized hosts and ports', () => {
    const patterns = parseHostAllowlist(
      'api.example.com, *.internal.example,127.0.0.1,localhost:8080,[::1]',
    );
    const allowed = (url: string) => urlAllowed(patterns, new URL(url));
    expect(allowed('https://api.example.com/v1')).toBe(true);
    expect(allowed('https://API.Example.com.:8443/v1')).toBe(true);
    expect(allowed('https://a.internal.example/')).toBe(true);
    expect(allowed('https://b.a.internal.example/')).toBe(true);
    expect(allowed('https://internal.example/')).toBe(false);
    expect(allowed('https://evilinternal.example/')).toBe(false);
    expect(allowed('http://127.0.0.1:9/')).toBe(true);
    expect(allowed('http://0x7f.1/')).toBe(true); // = 127.0.0.1
    expect(allowed('http://localhost:8080/')).toBe(true);
    expect(allowed('http://localhost:8081/')).toBe(false);
    expect(allowed('http://localhost/')).toBe(false);
    expect(allowed('http://[::1]:3000/')).toBe(true);
    expect(allowed('http://api.example.com.evil.io/')).toBe(false);
    expect(() => parseHostAllowlist('http://x.com')).toThrow('invalid host pattern "http://x.com"');
    expect(() => parseHostAllowlist('*.com')).toThrow('needs a domain with a dot');
    expect(() => parseHostAllowlist('a.com/path')).toThrow('invalid host pattern');
    expect(() => loadConfig({ RUNLEDGER_HTTP_TARGET_ALLOW: 'a b' })).toThrow(
      'RUNLEDGER_HTTP_TARGET_ALLOW: invalid host pattern "a b"',
    );
  });
});

describe('http target with the default policy (empty allowlist)', () => {
  it('refuses private, loopback, link-local and metadata addresses before connecting', async () => {
    const before = ok.requests.length;
    for (const url of [
      ok.url,
      `http://127.0.0.2:${ok.port}/`,
      'http://10.0.0.1/',
      'http://192.168.0.10/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
      'http://[fe80::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
      'http://2130706433/', // 127.0.0.1 as one number
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://metadata/',
    ]) {
      const err = await call('', { url });
      expect(err, url).toBeInstanceOf(TargetNotAllowedError);
      expect((err as TargetNotAllowedError).type).toBe('target_not_allowed');
    }
    expect(ok.requests.length).toBe(before);
  });

  it('refuses a name that resolves to a private address when connecting', async () => {
    const before = ok.requests.length;
    const err = await call('', { url: `http://localhost:${ok.port}/` });
    expect(err).toBeInstanceOf(TargetNotAllowedError);
    expect((err as Error).message).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1), not a public address \(allow it with RUNLEDGER_HTTP_TARGET_ALLOW\)$/,
    );
    expect(ok.requests.length).toBe(before);
  });

  it('refuses other schemes', async () => {
    const err = await call('', { url: 'file:///etc/passwd' });
    expect(err).toBeInstanceOf(TargetNotAllowedError);
    expect((err as Error).message).toBe(
      'file:///etc/passwd: only http and https URLs may be called',
    );
  });
});

describe('http target with an allowlist', () => {
  it('calls listed hosts, private or not, and refuses every other host', async () => {
    expect(await call('127.0.0.1', { url: `${ok.url}/a` })).toEqual({
      output: { answer: '/a', method: 'POST' },
    });
    expect(await call(`localhost:${ok.port}`, { url: `http://localhost:${ok.port}/b` })).toEqual({
      output: { answer: '/b', method: 'POST' },
    });
    const before = ok.requests.length;
    const wrongPort = await call(`127.0.0.1:${other.port}`, { url: `${ok.url}/c` });
    expect(wrongPort).toBeInstanceOf(TargetNotAllowedError);
    expect((wrongPort as Error).message).toBe(
      `${ok.url}/c: host not in RUNLEDGER_HTTP_TARGET_ALLOW (127.0.0.1:${other.port})`,
    );
    expect(await call('api.example.com', { url: `${ok.url}/d` })).toBeInstanceOf(
      TargetNotAllowedError,
    );
    expect(ok.requests.length).toBe(before);
  });

  it('follows redirects while every hop is listed (307 keeps the POST, 303 becomes GET)', async () => {
    const hops = await startRecorder((req, res) => {
      if (req.url === '/start') res.writeHead(307, { location: '/second' }).end();
      else if (req.url === '/second') res.writeHead(303, { location: `${ok.url}/final` }).end();
      else json(res, 404, {});
    });
    try {
      const out = await call('127.0.0.1', { url: `${hops.url}/start` });
      expect(out).toEqual({ output: { answer: '/final', method: 'GET' } });
      expect(hops.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /start',
        'POST /second',
      ]);
    } finally {
      await hops.close();
    }
  });

  it('refuses a redirect off the list without calling it, and drops secrets across origins', async () => {
    const hops = await startRecorder((req, res) => {
      if (req.url === '/off') res.writeHead(302, { location: `${other.url}/x` }).end();
      else if (req.url === '/name')
        res.writeHead(302, { location: `http://localhost:${ok.port}/x` }).end();
      else if (req.url === '/cross') res.writeHead(307, { location: `${ok.url}/landed` }).end();
      else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else json(res, 404, {});
    });
    try {
      const otherBefore = other.requests.length;
      const off = await call(`127.0.0.1:${hops.port},127.0.0.1:${ok.port}`, {
        url: `${hops.url}/off`,
      });
      expect(off).toBeInstanceOf(TargetNotAllowedError);
      expect((off as Error).message).toBe(
        `${other.url}/x: host not in RUNLEDGER_HTTP_TARGET_ALLOW (127.0.0.1:${hops.port}, 127.0.0.1:${ok.port})`,
      );
      expect(other.requests.length).toBe(otherBefore);

      const okBefore = ok.requests.length;
      const byName = await call('127.0.0.1', { url: `${hops.url}/name` });
      expect(byName).toBeInstanceOf(TargetNotAllowedError);
      expect(ok.requests.length).toBe(okBefore);

      const crossed = await call('127.0.0.1', {
        url: `${hops.url}/cross`,
        headers: { authorization: 'Bearer s3cret', 'x-api-key': 's3cret', 'x-trace': 't1' },
      });
      expect(crossed).toEqual({ output: { answer: '/landed', method: 'POST' } });
      const first = hops.requests.find((r) => r.path === '/cross')!;
      expect(first.headers.authorization).toBe('Bearer s3cret');
      const landed = ok.requests[ok.requests.length - 1]!;
      expect(landed.path).toBe('/landed');
      expect(landed.headers.authorization).toBeUndefined();
      expect(landed.headers['x-api-key']).toBeUndefined();
      expect(landed.headers['x-trace']).toBe('t1');

      const loop = await call('127.0.0.1', { url: `${hops.url}/loop` });
      expect((loop as Error).message).toBe(`more than 5 redirects from ${hops.url}/loop`);
      expect(hops.requests.filter((r) => r.path === '/loop')).toHaveLength(6);
    } finally {
      await hops.close();
    }
  });
});

describe('a worker', () => {
  const prefix = uniquePrefix('http-allow');
  let redis: Redis;
  let store: RunStore;
  let queues: RunQueues;

  beforeAll(() => {
    redis = createRedis(redisUrl());
    store = new RunStore(redis, { prefix });
    queues = new RunQueues({ redisUrl: redisUrl(), prefix });
  });

  afterAll(async () => {
    await queues.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('fails items at once with target_not_allowed unless its config lists the host', async () => {
    const base = {
      REDIS_URL: redisUrl(),
      RUNLEDGER_PREFIX: prefix,
      WORKER_HEARTBEAT_MS: '200',
      RUNLEDGER_TARGETS: '',
    };
    const spec = {
      target: { name: 'http', config: { url: `${ok.url}/w` } },
      dataset: { items: [{ input: 1 }, { input: 2 }] },
      execution: { maxAttempts: 3, backoff: { type: 'fixed' as const, delayMs: 0 } },
    };
    const strict = await startWorker({ config: loadConfig(base), logger });
    try {
      const before = ok.requests.length;
      const runId = await submitRunDirect(store, queues, spec);
      await waitFor(async () => (await store.runs.getRunStatus(runId)) === 'completed', 'the run');
      const { results } = await store.results.listResults(runId);
      expect(results.map((r) => [r.status, r.attempts, r.error?.type])).toEqual([
        ['failed', 1, 'target_not_allowed'],
        ['failed', 1, 'target_not_allowed'],
      ]);
      expect(ok.requests.length).toBe(before);
    } finally {
      await strict.close(1000);
    }
    const open = await startWorker({
      config: loadConfig({ ...base, RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1' }),
      logger,
    });
    try {
      const runId = await submitRunDirect(store, queues, spec);
      await waitFor(async () => (await store.runs.getRunStatus(runId)) === 'completed', 'the run');
      const run = await store.runs.getRun(runId);
      expect(run?.succeededCount).toBe(2);
    } finally {
      await open.close(1000);
    }
  });
});
