/**
 * Run submission: validates a run spec (JSON, or NDJSON streamed line by line), stages its items
 * in batches, commits the run, enqueues its chunk jobs and indexes it, in that order. Any failure
 * removes everything written so far: bad input never leaves a partial run.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  BUILTIN_SCORERS,
  type Config,
  chunkSizeFor,
  DEFAULT_PROJECT,
  type Item,
  ItemSchema,
  type Logger,
  type NewRun,
  type RunQueues,
  type RunSpec,
  type RunSpecHeader,
  RunSpecHeaderSchema,
  type RunStore,
  type StoredItem,
} from '@runledger/shared';
import { LineTooLongError, readLines } from './ndjson.js';
import { fieldErrors, ProblemError } from './problem.js';

/** Items written per `store.stageItems` call. */
export const STAGE_BATCH_SIZE = 1000;

/** What run submission needs. */
export interface SubmitDeps {
  config: Config;
  store: RunStore;
  queues: RunQueues;
  logger: Logger;
}

/** Collects items, assigns default ids, rejects duplicates, hashes them, stages them in batches. */
class ItemStager {
  total = 0;
  private batch: StoredItem[] = [];
  private batchStart = 0;
  private readonly ids = new Map<string, number>();
  private readonly hash: Hash = createHash('sha256');

  constructor(
    private readonly deps: SubmitDeps,
    private readonly runId: string,
  ) {}

  /**
   * Adds the next item. `where` names its source in error messages (e.g. `line 7`).
   * @throws ProblemError 400 (duplicate id), 413 (too many items, item too large).
   */
  async add(item: Item, where?: string): Promise<void> {
    const index = this.total;
    const suffix = where ? ` (${where})` : '';
    if (index >= this.deps.config.RUNLEDGER_MAX_ITEMS) {
      throw new ProblemError(
        413,
        `too many items: at most ${this.deps.config.RUNLEDGER_MAX_ITEMS} per run${suffix}`,
        {
          kind: 'payload_too_large',
          errors: [
            {
              path: 'dataset.items',
              message: `at most ${this.deps.config.RUNLEDGER_MAX_ITEMS} items${suffix}`,
            },
          ],
        },
      );
    }
    const stored: StoredItem = { id: item.id ?? String(index), input: item.input };
    if (item.expectedOutput !== undefined) stored.expectedOutput = item.expectedOutput;
    if (item.metadata !== undefined) stored.metadata = item.metadata;
    const first = this.ids.get(stored.id);
    if (first !== undefined) {
      const message = `duplicate item id "${stored.id}" (first at index ${first})${suffix}`;
      throw new ProblemError(400, message, {
        kind: 'validation',
        errors: [{ path: `dataset.items.${index}.id`, message }],
      });
    }
    const json = JSON.stringify(stored);
    const bytes = Buffer.byteLength(json);
    if (bytes > this.deps.config.RUNLEDGER_MAX_ITEM_BYTES) {
      const message = `item is ${bytes} bytes, at most ${this.deps.config.RUNLEDGER_MAX_ITEM_BYTES}${suffix}`;
      throw new ProblemError(413, message, {
        kind: 'payload_too_large',
        errors: [{ path: `dataset.items.${index}`, message }],
      });
    }
    this.ids.set(stored.id, index);
    this.hash.update(`${json}\n`);
    this.batch.push(stored);
    this.total++;
    if (this.batch.length >= STAGE_BATCH_SIZE) await this.flush();
  }

  /** Stages the items added since the last flush. */
  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    await this.deps.store.stageItems(this.runId, this.batchStart, batch);
    this.batchStart += batch.length;
  }

  /** `sha256:` + the first 16 hex chars of sha256 over the items' JSON lines, in order. */
  version(): string {
    return `sha256:${this.hash.digest('hex').slice(0, 16)}`;
  }
}

/**
 * Rejects scorers that are neither built in nor advertised by a live worker (400 at
 * `scorers.N.name`). The target is not checked: its workers may start later.
 */
async function checkScorers(deps: SubmitDeps, header: RunSpecHeader, where = ''): Promise<void> {
  const builtin = new Set<string>(BUILTIN_SCORERS);
  const unknown = header.scorers
    .map((s, index) => ({ name: s.name, index }))
    .filter((s) => !builtin.has(s.name));
  if (unknown.length === 0) return;
  const workers = await deps.store.listWorkers(3 * deps.config.WORKER_HEARTBEAT_MS);
  const advertised = new Set(workers.flatMap((w) => w.scorers.map((s) => s.name)));
  const errors = unknown
    .filter((s) => !advertised.has(s.name))
    .map((s) => ({
      path: `scorers.${s.index}.name`,
      message: `unknown scorer "${s.name}": not built in (${BUILTIN_SCORERS.join(', ')}) and not registered by any live worker${where}`,
    }));
  if (errors.length > 0) {
    throw new ProblemError(400, errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
      kind: 'validation',
      errors,
    });
  }
}

/**
 * Stages (via `produce`), commits, enqueues and indexes run `runId`. On any failure everything of
 * the run is removed again (jobs, keys, index entry) and the error is rethrown.
 */
async function submit(
  deps: SubmitDeps,
  runId: string,
  project: string,
  produce: (stager: ItemStager) => Promise<RunSpecHeader>,
): Promise<void> {
  const { store, queues, config } = deps;
  const stager = new ItemStager(deps, runId);
  let committed: NewRun | null = null;
  try {
    const header = await produce(stager);
    await stager.flush();
    if (stager.total === 0) {
      throw new ProblemError(400, 'a run needs at least one item', {
        kind: 'validation',
        errors: [{ path: 'dataset.items', message: 'at least one item is required' }],
      });
    }
    const run: NewRun = {
      id: runId,
      name: header.name,
      target: header.target,
      scorers: header.scorers,
      execution: header.execution,
      datasetId: header.dataset.id,
      datasetVersion: header.dataset.version ?? stager.version(),
      totalItems: stager.total,
      chunkSize: chunkSizeFor(stager.total, config.RUNLEDGER_CHUNK_SIZE),
      ttlSeconds: header.retention?.ttlSeconds ?? config.RUNLEDGER_RETENTION_SECONDS,
      tags: header.tags,
      metadata: header.metadata,
      createdAt: Date.now(),
      project,
    };
    await store.commitRun(run);
    committed = run;
    // indexed before its jobs exist: a process dying while enqueueing leaves a run the
    // reconciler finds (in the index) and completes by enqueueing the missing chunks
    await store.indexRun(runId, run.createdAt, run.target.name);
    await queues.enqueueRun(runId, run.target.name, run.totalItems, run.chunkSize);
    await store.trackActiveRun(project, runId, run.createdAt);
  } catch (err) {
    await discard(deps, runId, committed);
    throw err;
  }
}

/**
 * Removes everything of a failed submission: its jobs (if enqueued), its keys and index entry.
 * Each step runs even when an earlier one fails (e.g. the queue's Redis is unreachable).
 */
async function discard(deps: SubmitDeps, runId: string, committed: NewRun | null): Promise<void> {
  const steps: [string, () => Promise<unknown>][] = [];
  if (committed) {
    const { target, totalItems, chunkSize } = committed;
    steps.push([
      'remove jobs',
      () => deps.queues.removeRunJobs(runId, target.name, totalItems, chunkSize),
    ]);
  }
  steps.push(['delete run', () => deps.store.deleteRun(runId)]);
  if (committed) steps.push(['publish cancel', () => deps.store.publishCancel(runId)]);
  for (const [step, run] of steps) {
    try {
      await run();
    } catch (err) {
      deps.logger.error({ err, runId, step }, 'could not discard a failed submission');
    }
  }
}

/** Submits a run of `project` from a JSON body already validated by `createRunSpecSchema`. */
export async function submitJsonRun(
  deps: SubmitDeps,
  runId: string,
  spec: RunSpec,
  project: string = DEFAULT_PROJECT,
): Promise<void> {
  await checkScorers(deps, spec);
  await submit(deps, runId, project, async (stager) => {
    for (const item of spec.dataset.items) await stager.add(item);
    return spec;
  });
}

/**
 * Submits a run from an `application/x-ndjson` body, read as a stream: the first non-empty line
 * is the run spec without items (`RunSpecHeaderSchema`), every other non-empty line one item.
 * @throws ProblemError 400 (bad line: path `dataset.items.<i>.<field>`, line number in the
 *   message; no items), 413 (item over `RUNLEDGER_MAX_ITEM_BYTES`, more than
 *   `RUNLEDGER_MAX_ITEMS` items).
 */
export async function submitNdjsonRun(
  deps: SubmitDeps,
  runId: string,
  body: ReadableStream<Uint8Array> | null,
  project: string = DEFAULT_PROJECT,
): Promise<void> {
  const { config } = deps;
  if (!body) {
    throw new ProblemError(400, 'empty body: the first line must be the run spec', {
      kind: 'validation',
      errors: [{ path: '', message: 'the first line must be the run spec' }],
    });
  }
  let headerLine = 0;
  const limitFor = (line: number) =>
    headerLine === 0 || line === headerLine
      ? config.RUNLEDGER_MAX_BODY_BYTES
      : config.RUNLEDGER_MAX_ITEM_BYTES;
  await submit(deps, runId, project, async (stager) => {
    let header: RunSpecHeader | null = null;
    try {
      for await (const line of readLines(body, limitFor)) {
        if (line.text.trim() === '') continue;
        const where = `line ${line.number}`;
        const prefix = header ? ['dataset', 'items', stager.total] : [];
        const parsed = parseLine(line.text, where, prefix);
        if (!header) {
          headerLine = line.number;
          const result = RunSpecHeaderSchema.safeParse(parsed);
          if (!result.success) throw lineProblem(fieldErrors(result.error), where);
          header = result.data;
          await checkScorers(deps, header, ` (${where})`);
          continue;
        }
        const result = ItemSchema.safeParse(parsed);
        if (!result.success) throw lineProblem(fieldErrors(result.error, prefix), where);
        await stager.add(result.data, where);
      }
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      if (!header || err.lineNumber === headerLine) {
        throw new ProblemError(413, `${err.message}: the run spec line is too large`, {
          kind: 'payload_too_large',
        });
      }
      const message = `item exceeds ${err.maxBytes} bytes (line ${err.lineNumber})`;
      throw new ProblemError(413, message, {
        kind: 'payload_too_large',
        errors: [{ path: `dataset.items.${stager.total}`, message }],
      });
    }
    if (!header) {
      throw new ProblemError(400, 'empty body: the first line must be the run spec', {
        kind: 'validation',
        errors: [{ path: '', message: 'the first line must be the run spec' }],
      });
    }
    return header;
  });
}

/** `Retry-After` (seconds) of a submission refused for too many runs in flight. */
export const RUNS_IN_FLIGHT_RETRY_AFTER_SECONDS = 5;

/**
 * Refuses a submission when `project` already has `RUNLEDGER_MAX_RUNS_IN_FLIGHT` runs queued or
 * running (0: no limit). Counted from the project's tracked runs (`store.countActiveRuns`), not
 * atomically with other submissions: N submissions racing at the limit may all pass.
 * @throws ProblemError 429 (`too_many_requests`, `Retry-After`).
 */
export async function checkRunsInFlight(deps: SubmitDeps, project: string): Promise<void> {
  const max = deps.config.RUNLEDGER_MAX_RUNS_IN_FLIGHT;
  if (max === 0) return;
  const active = await deps.store.countActiveRuns(project, max + 1000);
  if (active < max) return;
  throw new ProblemError(
    429,
    `project ${project} has ${active} runs queued or running, at most ${max} (RUNLEDGER_MAX_RUNS_IN_FLIGHT); retry when some finish`,
    {
      kind: 'too_many_requests',
      headers: { 'Retry-After': String(RUNS_IN_FLIGHT_RETRY_AFTER_SECONDS) },
    },
  );
}

function parseLine(text: string, where: string, prefix: (string | number)[]): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw lineProblem(
      [{ path: prefix.join('.'), message: `invalid JSON: ${(err as Error).message}` }],
      where,
    );
  }
}

function lineProblem(errors: { path: string; message: string }[], where: string): ProblemError {
  const withLine = errors.map((e) => ({ path: e.path, message: `${where}: ${e.message}` }));
  return new ProblemError(
    400,
    `invalid NDJSON ${where}: ${errors.map((e) => `${e.path || '(line)'}: ${e.message}`).join('; ')}`,
    { kind: 'validation', errors: withLine },
  );
}
