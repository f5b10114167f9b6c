/**
 * Where NDJSON item lines are parsed and encoded (`encodeItemLines`): in a pool of worker threads
 * (Piscina), so that a large submission's JSON parsing, validation and encoding run beside the
 * API's event loop, which meanwhile writes the batches before them to Redis and serves other
 * requests; or inline, on the event loop, for small batches (a thread's round trip costs more
 * than they do) and with `RUNLEDGER_PARSE_THREADS=0`. Both give the same answers.
 */
import { Piscina } from 'piscina';
import { encodeItemLines, type ItemLinesResult, type ItemLinesTask } from './item-lines.js';

/** Batches of fewer UTF-8 bytes are encoded inline (~200 short items; a thread's round trip costs more). */
export const THREAD_MIN_BYTES = 8 * 1024;

/** How NDJSON item lines are encoded: `encode(task)` answers `encodeItemLines(task)`. */
export interface ItemLineEncoder {
  /**
   * `encodeItemLines(task)`, in a worker thread when the pool has threads and the batch holds
   * at least `THREAD_MIN_BYTES`, else inline.
   * @throws Error only when a worker thread dies (bad input is in the answer, never thrown).
   */
  encode(task: ItemLinesTask): Promise<ItemLinesResult>;
}

const encoders = new Map<number, ItemLineEncoder>();

/**
 * The process's encoder with `threads` worker threads (`RUNLEDGER_PARSE_THREADS`; 0: inline
 * only), one per thread count, made on first use. Threads start with the first batch that goes
 * to them, are not kept alive by an idle pool (Piscina unrefs them) and end after a minute idle.
 * Under `tsx` (the sources run, e.g. `npm start`, tests) the threads load this file's TypeScript
 * siblings with tsx and the `@runledger/source` condition.
 */
export function itemLineEncoder(threads: number): ItemLineEncoder {
  let encoder = encoders.get(threads);
  if (encoder) return encoder;
  let pool: Piscina | null = null;
  encoder = {
    encode(task) {
      // with every thread busy the batch waits for one: the event loop stays free for requests
      // (encoding it here instead measured no faster on 2 cores, and reads waited behind it)
      if (threads === 0 || task.bytes < THREAD_MIN_BYTES) {
        return Promise.resolve(encodeItemLines(task));
      }
      pool ??= createPool(threads);
      return pool.run(task) as Promise<ItemLinesResult>;
    },
  };
  encoders.set(threads, encoder);
  return encoder;
}

function createPool(threads: number): Piscina {
  const filename = new URL(
    import.meta.url.endsWith('.ts') ? './item-lines-thread.ts' : './item-lines-thread.js',
    import.meta.url,
  ).href;
  return new Piscina({
    filename,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 60_000,
    execArgv: filename.endsWith('.ts') ? ['--import', 'tsx', '--conditions=@runledger/source'] : [],
  });
}
