/**
 * Spawns a private `redis-server` on a free loopback port, for tests (and fault tests that kill
 * and restart it). Data lives in a temp dir; AOF is off unless asked.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, loopbackRedisArgs } from '../../apps/cli/src/redis-launcher.js';

/** A running private Redis. `stop()` kills it (SIGKILL when `hard`), `restart()` starts it again on the same port and dir. */
export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  stop(options?: { hard?: boolean }): Promise<void>;
  restart(): Promise<void>;
}

/** True when a `redis-server` binary is on PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/** A loopback TCP port nobody listens on right now (the CLI's `freePort`). */
export { freePort };

/**
 * A client of `url` (or of port `port` on 127.0.0.1) for one probe: it connects only when asked
 * (`lazyConnect`), never retries a command nor reconnects, and swallows its error events (the
 * caller sees the failed `connect()` or command). Disconnect it when done.
 */
export function probeRedis(target: string | number): Redis {
  const options = { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null };
  const client =
    typeof target === 'number'
      ? new Redis(target, '127.0.0.1', options)
      : new Redis(target, options);
  client.on('error', () => {}); // refused while a server starts or after it died: the caller decides
  return client;
}

/**
 * The arguments every test `redis-server` (data node) starts with: the CLI's launcher's (port
 * `port` on loopback, data in `dir`, `noeviction`), no RDB snapshots, warnings only.
 */
export function redisServerArgs(port: number, dir: string): string[] {
  return [...loopbackRedisArgs(port, dir), '--save', '', '--loglevel', 'warning'];
}

/** Polls `PING` until it answers or `timeoutMs` passes. */
export async function waitForRedis(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = probeRedis(url);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`redis at ${url} did not answer within ${timeoutMs} ms: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
}

/**
 * Starts `redis-server` with `noeviction` on a free port.
 * @param options.appendonly turn AOF on (fault tests), with `appendfsync` (default `everysec`).
 */
export async function startRedisServer(
  options: { appendonly?: boolean; appendfsync?: 'always' | 'everysec' } = {},
): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'runledger-redis-'));
  const args = [
    ...redisServerArgs(port, dir),
    '--daemonize',
    'no',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    options.appendfsync ?? 'everysec',
  ];
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForRedis(url);
  };
  await start();
  return {
    url,
    port,
    dir,
    async stop({ hard = false } = {}) {
      const c = child as ChildProcess | null;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
      child = null;
    },
    async restart() {
      await start();
    },
  };
}

/** Stops the server and removes its data dir. */
export async function destroyRedisServer(server: RedisServer): Promise<void> {
  await server.stop();
  rmSync(server.dir, { recursive: true, force: true });
}
