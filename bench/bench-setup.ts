/**
 * What every benchmark starts with (bench/*.ts, scripts/bench-ui.ts): its command-line flags,
 * declared once with their defaults, and the Redis it measures against (`REDIS_URL` when set,
 * else a private redis-server on a free port).
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { createRedis } from '@runledger/shared';
import type { Redis } from 'ioredis';
import { deletePrefix } from '../test/helpers/redis-dump.js';
import {
  destroyRedisServer,
  type RedisServer,
  startRedisServer,
} from '../test/helpers/redis-server.js';

/** The value of a flag, typed by its default: a number, a string or a boolean switch. */
type FlagValue<D> = D extends number ? number : D extends boolean ? boolean : string;

/**
 * Parses `process.argv` (or `args`) against `defaults`: each camelCase key is a flag in
 * kebab-case (`streamItems` is `--stream-items 200000`, `deleteStream` the switch
 * `--delete-stream`), its default's type the flag's type. A number flag is read with `Number()`
 * and must give a finite number; a string flag is kept as given; a boolean is a switch taking no
 * value. Returns every flag under its key, defaulted.
 * @throws TypeError (from `node:util` parseArgs) on an unknown flag or a missing value; TypeError
 *   naming the flag when a number flag's value is not a number (`--warmup abc`).
 */
export function benchFlags<D extends Record<string, number | string | boolean>>(
  defaults: D,
  args?: string[],
): { [K in keyof D]: FlagValue<D[K]> } {
  const flag = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const options: Record<string, { type: 'string' | 'boolean'; default: string | boolean }> = {};
  for (const [key, value] of Object.entries(defaults)) {
    options[flag(key)] =
      typeof value === 'boolean'
        ? { type: 'boolean', default: value }
        : { type: 'string', default: String(value) };
  }
  const { values } = parseArgs({ options, ...(args ? { args } : {}) });
  const out: Record<string, number | string | boolean> = {};
  for (const [key, value] of Object.entries(defaults)) {
    const given = values[flag(key)] as string | boolean;
    if (typeof value !== 'number') {
      out[key] = given;
      continue;
    }
    const n = Number(given);
    if (typeof given !== 'string' || given.trim() === '' || !Number.isFinite(n)) {
      throw new TypeError(`--${flag(key)} takes a number, not "${String(given)}"`);
    }
    out[key] = n;
  }
  return out as { [K in keyof D]: FlagValue<D[K]> };
}

/** The Redis a benchmark runs on; `close()` once done. */
export interface BenchRedis {
  /** The private server, or null on `REDIS_URL`. */
  server: RedisServer | null;
  url: string;
  /** A client of `url` for the benchmark's own reads (INFO, MEMORY USAGE, cleanup). */
  redis: Redis;
  /**
   * On a shared `REDIS_URL`, deletes every key under `prefix` and BullMQ's `{prefix}` (when
   * given; a failure to delete is ignored: the figures are taken); disconnects the client; stops
   * and removes the private server.
   */
  close(prefix?: string): Promise<void>;
}

/** `REDIS_URL` when set, else a private `redis-server` on a free loopback port; a client of it. */
export async function benchRedis(): Promise<BenchRedis> {
  const server = process.env.REDIS_URL ? null : await startRedisServer();
  const url = process.env.REDIS_URL || server!.url;
  const redis = createRedis(url);
  return {
    server,
    url,
    redis,
    async close(prefix) {
      if (!server && prefix) await deletePrefix(redis, prefix).catch(() => {});
      redis.disconnect();
      if (server) await destroyRedisServer(server);
    },
  };
}

/**
 * Prints `rows` under `head` as a Markdown table (`a | b` lines, a `-|-` rule), each column as
 * wide as its widest cell or header and right-aligned (the figures line up), after a blank line.
 */
export function printTable(head: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((v, i) => v.padStart(widths[i]!)).join(' | ');
  console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const row of rows) console.log(line(row));
}

/**
 * Prints the command that produced a benchmark's output, and when (ISO time): `npm run <script>
 * -- <args>` when npm ran it (its `npm_lifecycle_event`), else `npx tsx <file> <args>`.
 */
export function printCommand(): void {
  const args = process.argv.slice(2).join(' ');
  const script = process.env.npm_lifecycle_event;
  const command = script?.startsWith('bench')
    ? `npm run ${script}${args ? ` -- ${args}` : ''}`
    : `npx tsx ${relative(process.cwd(), process.argv[1] ?? '')}${args ? ` ${args}` : ''}`;
  console.log(`\ncommand: ${command} (${new Date().toISOString()})`);
}

/** The median of `xs` (the upper one of an even count); NaN for none. */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
