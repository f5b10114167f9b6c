/**
 * Concurrency primitives of the worker, with no Redis and no run knowledge: `Semaphore` (a
 * counting semaphore with a FIFO queue), `Slots` (the process-wide limit plus a run's own),
 * `AttemptAbort` (one abort fanning in run cancel, shutdown and a timeout), `anySignal` and an
 * abortable `sleep`. Used by execute-item.ts, chunk-processor.ts, worker.ts and the targets.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';

// ------------------------------------------------------------------ slots

/**
 * A counting semaphore with a FIFO wait queue.
 *
 * @example
 * const sem = new Semaphore(4);
 * await sem.acquire(signal); // rejects with signal.reason when signal aborts first
 * try { ... } finally { sem.release(); }
 */
export class Semaphore {
  private free: number;
  private readonly waiters: SlotWaiter[] = [];

  /** @param size slots, >= 1. */
  constructor(readonly size: number) {
    this.free = size;
  }

  /** Slots free right now. */
  get available(): number {
    return this.free;
  }

  /** Slots held right now. */
  get inUse(): number {
    return this.size - this.free;
  }

  /** Takes up to `max` free slots without waiting; returns how many it took (0..max). */
  tryAcquire(max: number): number {
    if (this.waiters.length > 0) return 0;
    const n = Math.max(0, Math.min(max, this.free));
    this.free -= n;
    return n;
  }

  /** Waits for one slot. Rejects with `signal.reason` (and takes nothing) when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push(new SlotWaiter(this.waiters, resolve, reject, signal));
    });
  }

  /** Returns `n` slots; waiters are served first come, first served. */
  release(n = 1): void {
    this.free += n;
    while (this.free > 0 && this.waiters.length > 0) {
      this.free--;
      this.waiters.shift()!.grant();
    }
  }
}

/**
 * One `Semaphore.acquire` waiting: granted a slot, or rejected when its signal fires first (it is
 * subscribed to the signal's fan-out set, not given an event listener: one wait per item start).
 */
class SlotWaiter implements Abortable {
  private readonly fanout: Set<Abortable> | null;

  constructor(
    private readonly queue: SlotWaiter[],
    private readonly resolve: () => void,
    private readonly reject: (reason: unknown) => void,
    signal: AbortSignal | undefined,
  ) {
    this.fanout = signal ? fanoutOf(signal) : null;
    this.fanout?.add(this);
  }

  /** Takes the slot given to it. */
  grant(): void {
    this.fanout?.delete(this);
    this.resolve();
  }

  /** Its signal fired: leaves the queue, takes nothing. */
  abort(reason: unknown): void {
    const i = this.queue.indexOf(this);
    if (i >= 0) this.queue.splice(i, 1);
    this.reject(reason);
  }
}

/** One execution slot: a slot of the process-wide limit plus, when set, one of the run's limit. */
export interface Slots {
  /** Waits for one slot; rejects with `signal.reason` when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void>;
  /** Takes up to `max` more slots without waiting; returns how many it took (0..max). */
  tryAcquire(max: number): number;
  /** Returns one slot. */
  release(): void;
}

/** `Slots` over a process-wide semaphore and an optional per-run one (taken first, to avoid deadlock). */
export function createSlots(global: Semaphore, run: Semaphore | null): Slots {
  return {
    acquire(signal) {
      // without a run limit: the global wait itself (no async wrapper per item start)
      if (!run) return global.acquire(signal);
      return run.acquire(signal).then(() =>
        global.acquire(signal).catch((err: unknown) => {
          run.release();
          throw err;
        }),
      );
    },
    tryAcquire(max) {
      if (max <= 0) return 0;
      const fromRun = run ? run.tryAcquire(max) : max;
      const fromGlobal = global.tryAcquire(fromRun);
      if (run && fromGlobal < fromRun) run.release(fromRun - fromGlobal);
      return fromGlobal;
    },
    release() {
      global.release();
      run?.release();
    },
  };
}

// ------------------------------------------------------------------ signals and waits

/** What a source signal's fan-out aborts: an `AttemptAbort` or a `SlotWaiter`. */
interface Abortable {
  abort(reason: unknown): void;
}

/**
 * One listener per long-lived source signal (a run's cancel, shutdown), fanning out to the
 * attempts and slot waits subscribed to it: subscribing and unsubscribing one is a Set operation
 * on the object itself (no closure, no EventTarget listener per attempt or wait: measurably
 * cheaper at tens of thousands of items/s).
 */
const fanouts = new WeakMap<AbortSignal, Set<Abortable>>();

/** The attempts and slot waits subscribed to `signal` (its one 'abort' listener is added on first use). */
function fanoutOf(signal: AbortSignal): Set<Abortable> {
  let set = fanouts.get(signal);
  if (!set) {
    const subscribers = new Set<Abortable>();
    set = subscribers;
    fanouts.set(signal, subscribers);
    signal.addEventListener(
      'abort',
      () => {
        for (const a of [...subscribers]) a.abort(signal.reason);
        subscribers.clear();
      },
      { once: true },
    );
  }
  return set;
}

/** The timeout of an `AttemptAbort` (a module function with the attempt as argument: no closure per attempt). */
function expire(attempt: AttemptAbort, timeoutMs: number): void {
  attempt.timedOut = true;
  attempt.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
}

/**
 * The abort of one attempt (or of any wait): fires on its timeout, on any of `sources` (run
 * cancel, shutdown) and ends `race()` at once. The `AbortSignal` handed to the target is created on first access, so
 * targets that never read it (fast in-process ones) cost no AbortController, and it gets no
 * listener limit (a target may hang many listeners on it, e.g. parallel sub-requests).
 */
export class AttemptAbort implements Abortable {
  aborted = false;
  reason: unknown = undefined;
  timedOut = false;
  private controller: AbortController | undefined = undefined;
  private rejectRace: ((reason: unknown) => void) | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  /** The fan-outs this attempt is subscribed to (null once disposed). */
  private subscribed: Set<Abortable>[] | null = [];

  constructor(sources: AbortSignal[], timeoutMs?: number) {
    for (const source of sources) {
      if (source.aborted) {
        this.abort(source.reason);
        return;
      }
      const fanout = fanoutOf(source);
      fanout.add(this);
      this.subscribed?.push(fanout);
    }
    if (timeoutMs !== undefined) this.timer = setTimeout(expire, timeoutMs, this, timeoutMs);
  }

  /** The attempt's AbortSignal (created lazily; already aborted if the attempt was). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      setMaxListeners(0, this.controller.signal);
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.dispose();
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }

  /** Settles like `promise`, or rejects with the abort reason as soon as the attempt aborts. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.aborted) {
      promise.catch(() => {});
      return Promise.reject(this.reason);
    }
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      promise.then(resolve, reject);
    });
  }

  /** Removes the timer and the subscriptions (the attempt is over). */
  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const subscribed = this.subscribed;
    if (subscribed === null) return;
    this.subscribed = null;
    for (const fanout of subscribed) fanout.delete(this);
  }
}

/**
 * An AbortSignal that fires when any of `signals` fires or after `timeoutMs` (reason: a
 * `TimeoutError` DOMException, as `AbortSignal.timeout` gives): an `AttemptAbort` whose signal is
 * created at once. Call `dispose()` when done: it removes the subscriptions and the timer.
 * (Node 20's `AbortSignal.any` keeps every dependent signal reachable from long-lived sources,
 * a leak in a long-running worker.)
 */
export function anySignal(
  signals: AbortSignal[],
  timeoutMs?: number,
): { signal: AbortSignal; timedOut(): boolean; dispose(): void } {
  const abort = new AttemptAbort(signals, timeoutMs);
  return { signal: abort.signal, timedOut: () => abort.timedOut, dispose: () => abort.dispose() };
}

/**
 * Waits `ms` (Node's `timers/promises` setTimeout); rejects with `signal.reason` (not Node's
 * AbortError wrapper) as soon as `signal` fires.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
}
