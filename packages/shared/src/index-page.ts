/**
 * Reading a time index (a zset of ids scored by creation time, ms) newest first, page by page:
 * the runs list (`Runs.listRuns`) and the experiments list (`ExperimentStore.list`).
 */
import type { RedisClient } from './redis.js';

/** A position in a time index: the entry's score (ms) and id. */
export interface IndexEntry {
  id: string;
  t: number;
}

/**
 * Up to `count` entries of `key` from rank `offset` of those scored within `[min, max]`, newest
 * first, leaving out those a listing handed out already: the entries at `after`'s time with an
 * id at or above its id (equal scores come in reverse id order). `read`: entries read, those
 * left out included (add it to `offset` for the next page; fewer than `count`: the index ends).
 */
export async function readIndexPage(
  redis: RedisClient,
  key: string,
  range: { min: string; max: string },
  offset: number,
  count: number,
  after: IndexEntry | null,
): Promise<{ entries: IndexEntry[]; read: number }> {
  const flat = await redis.zrevrangebyscore(
    key,
    range.max,
    range.min,
    'WITHSCORES',
    'LIMIT',
    offset,
    count,
  );
  const entries: IndexEntry[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const id = flat[i]!;
    const t = Number(flat[i + 1]);
    if (after && t === after.t && id >= after.id) continue;
    entries.push({ id, t });
  }
  return { entries, read: flat.length / 2 };
}
