/**
 * Admission control by Redis memory: `INFO memory` read at most once per `cacheMs`, and a check
 * that refuses new work (runs, dataset versions) with a 503 before anything is written once
 * `used_memory` passes a high-water mark of `maxmemory`, so running runs keep room for results.
 */
import type { RedisClient } from './redis.js';
import { RedisUnavailableError } from './redis-errors.js';

/** Memory figures of Redis, bytes (on a Cluster: the master nearest its limit). */
export interface RedisMemory {
  /** `used_memory`. */
  used: number;
  /** `maxmemory`; 0 when none is set (no limit). */
  max: number;
  /** `used / max`, or 0 when `max` is 0. */
  ratio: number;
}

/** `used_memory` and `maxmemory` from the text of `INFO memory`. */
export function parseInfoMemory(info: string): RedisMemory {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
    return m ? Number(m[1]) : 0;
  };
  const used = field('used_memory');
  const max = field('maxmemory');
  return { used, max, ratio: max > 0 ? used / max : 0 };
}

/**
 * Reads `INFO memory` of `redis` (every master of a Cluster; the one with the highest ratio).
 * @throws the Redis error when it does not answer.
 */
export async function readRedisMemory(redis: RedisClient): Promise<RedisMemory> {
  if ('nodes' in redis && typeof redis.nodes === 'function') {
    const masters = redis.nodes('master');
    const all = await Promise.all(
      masters.map(async (n) => parseInfoMemory(await n.info('memory'))),
    );
    return all.reduce((a, b) => (b.ratio > a.ratio ? b : a), { used: 0, max: 0, ratio: 0 });
  }
  return parseInfoMemory(await redis.info('memory'));
}

/** Options of a `RedisMemoryGuard`. */
export interface RedisMemoryGuardOptions {
  /** Fraction of `maxmemory` above which `admit()` refuses (`RUNLEDGER_REDIS_MEMORY_HIGH_WATER`); 0: off. */
  highWater: number;
  /** How long one `INFO memory` reading is reused, ms. @defaultValue 1000 */
  cacheMs?: number;
}

/**
 * The high-water check of new work. `admit()` costs one `INFO memory` round trip per `cacheMs`
 * (concurrent callers share it), none while the guard is off.
 */
export class RedisMemoryGuard {
  private cached: { at: number; memory: Promise<RedisMemory> } | null = null;
  private readonly cacheMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisMemoryGuardOptions,
  ) {
    this.cacheMs = options.cacheMs ?? 1000;
  }

  /** The last reading if younger than `cacheMs`, else a new one. */
  memory(now = Date.now()): Promise<RedisMemory> {
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.memory;
    const memory = readRedisMemory(this.redis);
    this.cached = { at: now, memory };
    // a failed reading is not reused
    memory.catch(() => {
      if (this.cached?.memory === memory) this.cached = null;
    });
    return memory;
  }

  /**
   * Resolves when new work may be written: the guard is off, Redis has no `maxmemory`, or
   * `used_memory` is below `highWater x maxmemory`.
   * @throws RedisUnavailableError (503 `unavailable`, `Retry-After`) above the mark; the Redis
   *   error when `INFO` fails.
   */
  async admit(): Promise<void> {
    const { highWater } = this.options;
    if (highWater <= 0) return;
    const m = await this.memory();
    if (m.max > 0 && m.ratio >= highWater) {
      const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
      throw new RedisUnavailableError(
        'oom',
        `Redis memory is at ${pct(m.ratio)} of maxmemory (${m.used} of ${m.max} bytes), above ` +
          `the high-water mark of ${pct(highWater)} (RUNLEDGER_REDIS_MEMORY_HIGH_WATER): new runs ` +
          'and dataset versions are refused so running runs can finish; nothing was written',
      );
    }
  }
}
