/**
 * The Redis connection factory: every ioredis connection of runledger is made here, to a single
 * Redis or, with `cluster: true`, to a Redis Cluster (the URL is then a seed node; the other
 * nodes are discovered).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';

/** What a connection is for; each role gets the options BullMQ and ioredis recommend for it. */
export type RedisRole =
  /** Ordinary commands (run store, producers): fail fast when Redis is down. */
  | 'command'
  /** Blocking reads (BullMQ workers, XREAD BLOCK, pub/sub): retry forever. */
  | 'blocking';

/**
 * A connection made by `createRedis`: a single-node `Redis`, or a `Cluster` in cluster mode.
 * Both speak the same commands; a Cluster's pipelines and transactions must stay in one slot.
 */
export type RedisClient = Redis | Cluster;

/** Options of `createRedis`. */
export interface CreateRedisOptions {
  /** Connect on the first command instead of at once. @defaultValue false */
  lazyConnect?: boolean;
  /** `CLIENT SETNAME` of the connection(s). @defaultValue `runledger-<role>` */
  connectionName?: string;
  /**
   * Redis Cluster mode (`REDIS_CLUSTER`): the URL is a seed node, the other nodes are discovered
   * and an ioredis `Cluster` is returned. @defaultValue false
   */
  cluster?: boolean;
  /**
   * Redis Sentinel (`REDIS_SENTINELS`): connect to the master the sentinels name, and follow
   * failovers. The URL then gives only the db, user and password of the data nodes.
   */
  sentinel?: SentinelSettings | undefined;
}

/** Where the sentinels are and which master group to follow. */
export interface SentinelSettings {
  /** Some sentinels of the group (ioredis tries them in turn). */
  sentinels: { host: string; port: number }[];
  /** Master group name (`REDIS_SENTINEL_NAME`). */
  name: string;
  /** Password of the sentinels themselves (`REDIS_SENTINEL_PASSWORD`), if any. */
  password?: string | undefined;
}

/**
 * Parses `REDIS_SENTINELS` (`host:port,host:port`; `[v6]:port` for IPv6; port 26379 when
 * omitted). Returns [] for an empty value.
 * @throws Error naming the bad entry.
 */
export function parseSentinels(value: string): { host: string; port: number }[] {
  return value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
      if (!m) throw new Error(`REDIS_SENTINELS entry "${entry}" is not host:port`);
      const port = m[2] === undefined ? 26379 : Number(m[2]);
      if (!(port > 0 && port < 65536))
        throw new Error(`REDIS_SENTINELS entry "${entry}": bad port`);
      return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
    });
}

/**
 * How to reach Redis from a config: Cluster mode, or Sentinel settings when `REDIS_SENTINELS`
 * is set. Spread it into `createRedis`, `bullConnection` and `RunQueues` options so every
 * connection of a process goes the same way.
 */
export function redisTopology(config: {
  REDIS_CLUSTER: boolean;
  REDIS_SENTINELS: string;
  REDIS_SENTINEL_NAME: string;
  REDIS_SENTINEL_PASSWORD: string;
}): { cluster: boolean; sentinel?: SentinelSettings } {
  const sentinels = parseSentinels(config.REDIS_SENTINELS);
  if (sentinels.length === 0) return { cluster: config.REDIS_CLUSTER };
  return {
    cluster: false,
    sentinel: {
      sentinels,
      name: config.REDIS_SENTINEL_NAME,
      ...(config.REDIS_SENTINEL_PASSWORD ? { password: config.REDIS_SENTINEL_PASSWORD } : {}),
    },
  };
}

/**
 * ioredis options of a Sentinel connection: the sentinels and group, the data nodes' db, user,
 * password and TLS from `url`, and a reconnect on `READONLY` (a master demoted while connected:
 * ioredis asks the sentinels again and the command is resent).
 */
function sentinelOptions(url: string, sentinel: SentinelSettings) {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.replace(/^\//, '') || 0);
  return {
    sentinels: sentinel.sentinels,
    name: sentinel.name,
    ...(sentinel.password ? { sentinelPassword: sentinel.password } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    db,
    reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
    sentinelRetryStrategy: retry,
  } as const;
}

/** Reconnect backoff: 50 ms * attempt, max 2 s. */
const retry = (times: number) => Math.min(times * 50, 2000);

/**
 * Opens an ioredis connection to `url` (e.g. `redis://127.0.0.1:6379`; `rediss://` for TLS), or
 * with `extra.sentinel` to the master its sentinels name (`url` gives db, user, password).
 * `command` connections fail requests after 3 retries; `blocking` connections use
 * `maxRetriesPerRequest: null` as BullMQ workers require. Both reconnect by themselves with a
 * capped backoff (50 ms * attempt, max 2 s). With `extra.cluster` the answer is a `Cluster`
 * seeded by `url` (its user, password and TLS apply to every node; its db must be 0).
 */
export function createRedis(
  url: string,
  role?: RedisRole,
  extra?: CreateRedisOptions & { cluster?: false },
): Redis;
export function createRedis(
  url: string,
  role: RedisRole,
  extra: CreateRedisOptions & { cluster: true },
): Cluster;
export function createRedis(url: string, role: RedisRole, extra: CreateRedisOptions): RedisClient;
export function createRedis(
  url: string,
  role: RedisRole = 'command',
  extra: CreateRedisOptions = {},
): RedisClient {
  const connectionName = extra.connectionName ?? `runledger-${role}`;
  const lazyConnect = extra.lazyConnect ?? false;
  const maxRetriesPerRequest = role === 'blocking' ? null : 3;
  if (extra.cluster) {
    return createCluster(url, {
      lazyConnect,
      enableOfflineQueue: true,
      maxRetriesPerRequest,
      connectionName,
    });
  }
  if (extra.sentinel) {
    return new Redis({
      ...sentinelOptions(url, extra.sentinel),
      connectionName,
      lazyConnect,
      retryStrategy: retry,
      maxRetriesPerRequest,
    });
  }
  return new Redis(url, {
    connectionName,
    lazyConnect,
    retryStrategy: retry,
    maxRetriesPerRequest,
  });
}

/**
 * A `Cluster` seeded by `url`: the URL's host and port are the startup node, its credentials
 * and TLS (`rediss:`) go to `redisOptions` so every discovered node gets them.
 * @throws Error when `url` is not a `redis:`/`rediss:` URL or names a db other than 0.
 */
function createCluster(url: string, options: ClusterSettings): Cluster {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(
      `REDIS_URL must be redis:// or rediss:// in cluster mode, got ${parsed.protocol}`,
    );
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0')
    throw new Error(`a Redis Cluster has db 0 only, REDIS_URL names db ${db}`);
  return new Cluster(
    [{ host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) }],
    {
      clusterRetryStrategy: retry,
      lazyConnect: options.lazyConnect,
      enableOfflineQueue: options.enableOfflineQueue,
      redisOptions: {
        maxRetriesPerRequest: options.maxRetriesPerRequest,
        ...(options.connectionName ? { connectionName: options.connectionName } : {}),
        ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
        ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
        ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    },
  );
}

/** What `createCluster` takes besides the URL. */
interface ClusterSettings {
  lazyConnect: boolean;
  /** False: commands fail at once while the cluster is not connected (producers). */
  enableOfflineQueue: boolean;
  /** Per node connection: null for blocking use (BullMQ workers), 3 to fail fast. */
  maxRetriesPerRequest: number | null;
  connectionName?: string;
}

/**
 * A BullMQ `connection` and what to do when the Queue/Worker using it has closed.
 * Always call `close()` after closing every BullMQ object given `connection`.
 */
export interface BullConnection {
  /**
   * Single node: connection options (BullMQ creates, owns and closes the connections).
   * Cluster: an ioredis `Cluster` (BullMQ cannot build one from options), which BullMQ does not
   * close (Workers only duplicate it).
   */
  connection: ConnectionOptions;
  /** Closes the Cluster handed to BullMQ, if any (a no-op for a single node). Idempotent. */
  close(): Promise<void>;
}

/**
 * The BullMQ connection for `url`: `blocking` for workers (`maxRetriesPerRequest: null`),
 * `command` for producers (fail fast: no offline queue). With `options.sentinel`, options that
 * connect through the sentinels (BullMQ builds and closes the connections). With `options.cluster` it holds a lazily
 * connecting ioredis `Cluster` seeded by `url`, which `close()` ends; share one among Queues if
 * you like, but close it only after all of them.
 */
export function bullConnection(
  url: string,
  role: RedisRole,
  options: { cluster?: boolean; sentinel?: SentinelSettings | undefined } = {},
): BullConnection {
  const failFast =
    role === 'blocking' ? { maxRetriesPerRequest: null } : { enableOfflineQueue: false };
  if (options.sentinel) {
    return {
      connection: { ...sentinelOptions(url, options.sentinel), retryStrategy: retry, ...failFast },
      close: async () => {},
    };
  }
  if (!options.cluster) {
    return { connection: { url, retryStrategy: retry, ...failFast }, close: async () => {} };
  }
  const cluster = createCluster(url, {
    lazyConnect: true,
    enableOfflineQueue: role === 'blocking',
    maxRetriesPerRequest: role === 'blocking' ? null : 3,
  });
  return {
    connection: cluster,
    close: async () => {
      if (cluster.status === 'end') return;
      if (cluster.status === 'wait') {
        cluster.disconnect();
        return;
      }
      await cluster.quit().catch(() => cluster.disconnect());
    },
  };
}

/** The source of ./lua/<name>.lua with each line `--@include <file>` replaced by ./lua/includes/<file>.lua. */
function luaSource(name: string): string {
  const source = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
  // shared Lua (BullMQ's `includes/` style)
  return source.replace(/^--@include ([a-z0-9-]+)$/gm, (_line, file: string) =>
    readFileSync(new URL(`./lua/includes/${file}.lua`, import.meta.url), 'utf8'),
  );
}

/**
 * Registers Lua scripts of ./lua as ioredis commands on `redis` (`defineCommand`), each under its
 * command name with its file (`name-N`, no extension) and key count N. Names already defined on
 * this connection are skipped, so several stores may share one connection.
 */
export function defineScripts(
  redis: RedisClient,
  scripts: Record<string, { file: string; keys: number }>,
): void {
  for (const [name, { file, keys }] of Object.entries(scripts)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: keys, lua: luaSource(file) });
  }
}

/**
 * Writes `values` to the hash `key` under the fields `start`, `start + 1`, ... (item indexes),
 * each passed through `encode` (e.g. encryption at rest), and sets the hash's TTL to
 * `ttlSeconds`, in one MULTI (the staging of a submission's or a dataset version's items: an
 * abandoned write expires). One HSET per call: callers pass batches (~1,000 values).
 */
export async function stageIndexedValues(
  redis: RedisClient,
  key: string,
  start: number,
  values: readonly string[],
  encode: (value: string) => string,
  ttlSeconds: number,
): Promise<void> {
  if (values.length === 0) return;
  const args: string[] = new Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    args[2 * i] = String(start + i);
    args[2 * i + 1] = encode(values[i]!);
  }
  await redis
    .multi()
    .hset(key, ...args)
    .expire(key, ttlSeconds)
    .exec();
}
