/**
 * Finds a Redis for `runledger start` (and checks one for `api`/`worker`): `REDIS_URL` when set;
 * else a Redis already answering on 127.0.0.1:6379; else (when allowed) a private `redis-server`
 * from PATH with AOF on and `noeviction`, its data in `.runledger/redis`, on a free port, stopped
 * with the process.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';

/** Options of `ensureRedis`. */
export interface EnsureRedisOptions {
  /** An explicit Redis URL (`REDIS_URL`): used as is, never replaced by a private server. */
  url?: string | undefined;
  /** Where to look when no URL is given. @defaultValue 'redis://127.0.0.1:6379' */
  defaultUrl?: string;
  /** Launch a private `redis-server` when nothing answers. @defaultValue true */
  launch?: boolean;
  /** Data dir of the private server (AOF lives here). @defaultValue '.runledger/redis' (cwd) */
  dataDir?: string;
  /** The redis-server binary. @defaultValue 'redis-server' (from PATH) */
  binary?: string;
  /** How long to wait for an explicit `url` to answer, ms. @defaultValue 10000 */
  waitMs?: number;
  /** Told where Redis comes from (one line). */
  onInfo?: (message: string) => void;
}

/** A Redis to use: `launched` is true for a private server, which `stop()` shuts down (no-op otherwise). */
export interface EnsuredRedis {
  url: string;
  launched: boolean;
  stop(): Promise<void>;
}

/** No Redis answers and none could be launched; the message says how to get one. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

const HOW_TO_GET_REDIS =
  'install Redis >= 6.2 (e.g. "apt-get install redis-server" or "brew install redis") so redis-server is on PATH, ' +
  'start one on 127.0.0.1:6379, or set REDIS_URL (e.g. REDIS_URL=redis://host:6379)';

/**
 * Returns a Redis URL to use, launching a private server if needed and allowed.
 * @throws RedisUnavailableError when an explicit URL does not answer within `waitMs`, or nothing
 *   answers and launching is off or impossible (no redis-server on PATH, or it failed to start).
 */
export async function ensureRedis(options: EnsureRedisOptions = {}): Promise<EnsuredRedis> {
  const info = options.onInfo ?? (() => {});
  const noop = async () => {};
  if (options.url) {
    if (!(await answers(options.url, options.waitMs ?? 10_000))) {
      throw new RedisUnavailableError(
        `Redis at ${redact(options.url)} (REDIS_URL) did not answer within ${options.waitMs ?? 10_000} ms`,
      );
    }
    return { url: options.url, launched: false, stop: noop };
  }
  const defaultUrl = options.defaultUrl ?? 'redis://127.0.0.1:6379';
  if (await answers(defaultUrl, 0)) {
    info(`using Redis at ${defaultUrl}`);
    return { url: defaultUrl, launched: false, stop: noop };
  }
  if (options.launch === false) {
    throw new RedisUnavailableError(`no Redis answers at ${defaultUrl}: ${HOW_TO_GET_REDIS}`);
  }
  const binary = options.binary ?? 'redis-server';
  if (spawnSync(binary, ['--version']).status !== 0) {
    throw new RedisUnavailableError(
      `no Redis answers at ${defaultUrl} and "${binary}" is not on PATH: ${HOW_TO_GET_REDIS}`,
    );
  }
  return launchRedis(binary, resolve(options.dataDir ?? '.runledger/redis'), info);
}

async function launchRedis(
  binary: string,
  dir: string,
  info: (message: string) => void,
): Promise<EnsuredRedis> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [
      ...loopbackRedisArgs(port, dir),
      '--appendonly',
      'yes',
      '--daemonize',
      'no',
      '--logfile',
      'redis.log',
    ],
    // Its own process group: a Ctrl-C in the terminal reaches runledger, which stops the
    // workers and the API first and only then this Redis.
    { stdio: 'ignore', detached: true },
  );
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((done) => {
    child.once('exit', () => {
      exited = true;
      done();
    });
    child.once('error', () => {
      exited = true;
      done();
    });
  });
  const killOnExit = () => {
    if (!exited) child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 10_000;
  while (!(await answers(url, 0))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new RedisUnavailableError(
        `the private redis-server did not start (see ${resolve(dir, 'redis.log')}): ${HOW_TO_GET_REDIS}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  info(`launched a private redis-server at ${url} (data in ${dir}); it stops with this process`);
  return { url, launched: true, stop };
}

/**
 * The arguments of a `redis-server` listening on 127.0.0.1:`port` with its data in `dir`,
 * `noeviction` (runledger's lock keys carry TTLs; evicting run keys would lose runs) and
 * `lazyfree-lazy-expire yes` (a huge run's keys reaching the end of their retention are freed in
 * a background thread, not on the main one: README, Redis requirements). Callers add persistence
 * and logging.
 */
export function loopbackRedisArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--maxmemory-policy',
    'noeviction',
    '--lazyfree-lazy-expire',
    'yes',
  ];
}

/** True when `PING` at `url` answers, retrying for up to `waitMs`. */
async function answers(url: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
      enableOfflineQueue: false,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return true;
    } catch {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      client.disconnect();
    }
  }
}

/** A loopback TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** The URL without its password. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
