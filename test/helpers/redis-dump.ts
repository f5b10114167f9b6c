/**
 * Reads keys back by their type, for tests that assert what Redis holds (or must never hold):
 * plaintext markers under encryption at rest, PII after scrubbing; and deletes a prefix's keys.
 * No vitest import: benchmarks use it too.
 */
import type { Redis } from 'ioredis';

/** One key and its value as text: a string as is, a hash/list/set/zset/stream as JSON. */
export interface DumpedKey {
  key: string;
  text: string;
}

/**
 * Every key matching one of `patterns` (SCAN MATCH, default every key), with its value read by
 * its type. A key deleted between SCAN and TYPE (`none`) has text `''`.
 * @throws Error naming the key when its type is none of string, hash, list, set, zset, stream.
 */
export async function dumpKeys(redis: Redis, patterns: string[] = ['*']): Promise<DumpedKey[]> {
  const out: DumpedKey[] = [];
  for (const pattern of patterns) {
    for await (const keys of scanPages(redis, pattern)) {
      for (const key of keys) out.push({ key, text: await valueText(redis, key) });
    }
  }
  return out;
}

/** Deletes every key under `prefix` (and BullMQ's `{prefix}`): SCAN MATCH, then DEL per page. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
    for await (const keys of scanPages(redis, pattern)) {
      if (keys.length > 0) await redis.del(...keys);
    }
  }
}

/**
 * The pages of keys matching `pattern` on one node (SCAN MATCH, COUNT 1000), one page a
 * yield, until the cursor comes back to 0. A page may be empty; a key may come twice.
 */
export async function* scanPages(redis: Redis, pattern = '*'): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    yield keys;
  } while (cursor !== '0');
}

/** Every key matching `pattern` on one node (`scanPages`), in SCAN order. */
export async function scanKeys(redis: Redis, pattern = '*'): Promise<string[]> {
  const out: string[] = [];
  for await (const keys of scanPages(redis, pattern)) out.push(...keys);
  return out;
}

/** `dumpKeys` as one text: each key's name, then its value, one per line. */
export async function dumpText(redis: Redis, patterns?: string[]): Promise<string> {
  return (await dumpKeys(redis, patterns)).flatMap((k) => [k.key, k.text]).join('\n');
}

async function valueText(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  if (type === 'string') return (await redis.get(key)) ?? '';
  if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
  if (type === 'list') return JSON.stringify(await redis.lrange(key, 0, -1));
  if (type === 'set') return JSON.stringify(await redis.smembers(key));
  if (type === 'zset') return JSON.stringify(await redis.zrange(key, '0', '-1'));
  if (type === 'stream') return JSON.stringify(await redis.xrange(key, '-', '+'));
  if (type === 'none') return '';
  throw new Error(`key ${key} has type ${type}`);
}
