/**
 * `runledger start` as a real process (API + worker in one process, graceful stop on SIGTERM),
 * and `ensureRedis`: an explicit URL, a private redis-server (AOF, noeviction) and clear errors.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRedis, RedisUnavailableError } from '@runledger/cli';
import { createRedis } from '@runledger/shared';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnStart, startEnv } from './helpers/cli.js';
import { deletePrefix, redisUrl, uniquePrefix } from './helpers/context.js';
import { freePort, probeRedis } from './helpers/redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'runledger-cli-start-'));
const prefix = uniquePrefix('cli-start');
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  const redis = createRedis(redisUrl());
  await deletePrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

async function ping(url: string): Promise<boolean> {
  const client = probeRedis(url);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

describe('runledger start (a real process)', () => {
  it('serves the API with a worker, and stops gracefully on SIGTERM with exit code 0', async () => {
    const start = spawnStart(startEnv(prefix));
    const { child, exit } = start;
    children.push(child);
    const messages = () => start.logLines.map((l) => l.msg);
    const url = await start.url;
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(messages()).toContain(
      `runledger API on ${url} with 1 worker(s); Ctrl-C to stop; http/openai targets may call loopback addresses (RUNLEDGER_HTTP_TARGET_ALLOW=public,127.0.0.1,[::1],localhost; \`runledger api\`/\`worker\` refuse them unless it is set)`,
    );

    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const shutdown = messages().indexOf('shutting down (send the signal again to exit at once)');
    expect(shutdown).toBeGreaterThan(0);
    expect(messages().indexOf('stopped')).toBeGreaterThan(shutdown);
    expect(start.stderr()).toBe('');
  });
});

describe('ensureRedis', () => {
  it('uses an explicit URL as is', async () => {
    const redis = await ensureRedis({ url: redisUrl(), launch: true });
    expect(redis).toMatchObject({ url: redisUrl(), launched: false });
    await redis.stop();
    expect(await ping(redisUrl())).toBe(true);
  });

  it('launches a private redis-server with AOF and noeviction when nothing answers, and stops it', async () => {
    const unused = `redis://127.0.0.1:${await freePort()}`;
    const dataDir = join(dir, 'redis');
    const info: string[] = [];
    const redis = await ensureRedis({ defaultUrl: unused, dataDir, onInfo: (m) => info.push(m) });
    try {
      expect(redis.launched).toBe(true);
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(info).toEqual([
        `launched a private redis-server at ${redis.url} (data in ${dataDir}); it stops with this process`,
      ]);
      const client = new Redis(redis.url);
      try {
        expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        expect(await client.config('GET', 'maxmemory-policy')).toEqual([
          'maxmemory-policy',
          'noeviction',
        ]);
        expect(await client.config('GET', 'dir')).toEqual(['dir', dataDir]);
      } finally {
        client.disconnect();
      }
    } finally {
      await redis.stop();
    }
    expect(await ping(redis.url)).toBe(false);
  });

  it('says how to get Redis when nothing answers and launching is off', async () => {
    const unused = `redis://127.0.0.1:${await freePort()}`;
    const err = await ensureRedis({ defaultUrl: unused, launch: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as Error).message).toBe(
      `no Redis answers at ${unused}: install Redis >= 6.2 (e.g. "apt-get install redis-server" or "brew install redis") so redis-server is on PATH, start one on 127.0.0.1:6379, or set REDIS_URL (e.g. REDIS_URL=redis://host:6379)`,
    );
  });

  it('says so when redis-server is not on PATH', async () => {
    const unused = `redis://127.0.0.1:${await freePort()}`;
    const err = await ensureRedis({
      defaultUrl: unused,
      binary: 'redis-server-not-installed',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as Error).message).toMatch(
      /^no Redis answers at .+ and "redis-server-not-installed" is not on PATH: install Redis/,
    );
  });

  it('fails clearly when an explicit URL does not answer', async () => {
    const unused = `redis://:secret@127.0.0.1:${await freePort()}`;
    const err = await ensureRedis({ url: unused, waitMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as Error).message).toMatch(
      /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(REDIS_URL\) did not answer within 300 ms$/,
    );
  });
});
