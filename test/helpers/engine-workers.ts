/**
 * The per-file fixture of tests that run in-process workers against the suite's Redis: a store
 * and BullMQ queues on a fresh prefix, the workers' config, and the workers a test starts,
 * closed after each test.
 */
import type { Config, Result, Run, RunStatus, TargetDefinition } from '@runledger/shared';
import { createLogger } from '@runledger/shared';
import { afterAll, afterEach } from 'vitest';
import {
  type StartWorkerOptions,
  startWorker,
  type WorkerHandle,
} from '../../apps/worker/src/index.js';
import { createTestQueues, workerTestConfig } from './context.js';
import { storedResults, waitForRunStatus, waitTerminal } from './run-checks.js';
import { type RunSpecInput, type SubmitRunOptions, submitRunDirect } from './submit.js';

/** Options of `useWorkerFixture`. */
export interface WorkerFixtureOptions {
  /** Env-style config of every worker of the file, on top of `workerTestConfig`'s. */
  env?: Record<string, string>;
  /** Targets every worker of the file serves besides the built-ins. */
  targets?: TargetDefinition[];
  /** How long (ms) each worker may take to close after a test. @defaultValue 1000 */
  closeMs?: number;
}

/** What `useWorkerFixture` gives a test file. */
export interface WorkerFixture extends ReturnType<typeof createTestQueues> {
  /** A silent logger, the one every started worker logs to. */
  logger: ReturnType<typeof createLogger>;
  /** The workers started and not closed yet (`closeWorkers` empties it). */
  handles: WorkerHandle[];
  /** The workers' config: `workerTestConfig(prefix)` with the file's `env`, then `extra`, on top. */
  config(extra?: Record<string, string>): Config;
  /**
   * Starts a worker with `config(env)` and the file's targets; `options` on top (its `targets`
   * replace the file's). Closed after the test.
   */
  start(env?: Record<string, string>, options?: Partial<StartWorkerOptions>): Promise<WorkerHandle>;
  /** Closes every started worker (each given `closeMs`). */
  closeWorkers(): Promise<void>;
  /** `submitRunDirect` on this store and these queues: validates, creates, enqueues; the run id. */
  submit(spec: RunSpecInput, options?: SubmitRunOptions): Promise<string>;
  /** Polls until the run is terminal (completed, failed or cancelled; default 20 s); the run. */
  waitTerminal(runId: string, timeoutMs?: number): Promise<Run>;
  /** Polls until the run has `status` (default 20 s); the run. */
  waitForStatus(runId: string, status: RunStatus, timeoutMs?: number): Promise<Run>;
  /** Every result of the run, in item order. */
  results(runId: string): Promise<Result[]>;
}

/**
 * Opens `createTestQueues(label)` at once (call it at the top level of the test file) and
 * registers the hooks: `afterEach` closes the workers the test started, `afterAll` closes the
 * queues and removes the prefix's keys. A file that needs its own order of cleanup calls
 * `closeWorkers()` in its own `afterEach` (the fixture's then finds nothing left to close).
 */
export function useWorkerFixture(label: string, options: WorkerFixtureOptions = {}): WorkerFixture {
  const ctx = createTestQueues(label);
  const logger = createLogger({ level: 'silent' });
  const handles: WorkerHandle[] = [];
  const config = (extra: Record<string, string> = {}) =>
    workerTestConfig(ctx.prefix, { ...options.env, ...extra });
  const closeWorkers = async () => {
    await Promise.all(handles.splice(0).map((h) => h.close(options.closeMs ?? 1000)));
  };
  afterEach(closeWorkers);
  afterAll(() => ctx.close());
  return {
    ...ctx,
    logger,
    handles,
    config,
    closeWorkers,
    async start(env = {}, extra = {}) {
      const handle = await startWorker({
        config: config(env),
        logger,
        ...(options.targets ? { targets: options.targets } : {}),
        ...extra,
      });
      handles.push(handle);
      return handle;
    },
    submit: (spec, submitOptions) => submitRunDirect(ctx.store, ctx.queues, spec, submitOptions),
    waitTerminal: (runId, timeoutMs) => waitTerminal(ctx.store, runId, timeoutMs),
    waitForStatus: (runId, status, timeoutMs) =>
      waitForRunStatus(ctx.store, runId, status, timeoutMs),
    results: (runId) => storedResults(ctx.store, runId),
  };
}
