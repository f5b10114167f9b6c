/**
 * Run submission: validates a run spec (JSON, or NDJSON streamed line by line), stages its items
 * in batches, commits the run, enqueues its chunk jobs and indexes it, in that order. Any failure
 * removes everything written so far: bad input never leaves a partial run.
 */
import {
  type Config,
  ConflictError,
  chunkSizeFor,
  comparesWithExpected,
  currentTraceId,
  DATASET_ID_PATTERN,
  DEFAULT_PROJECT,
  type Execution,
  type Item,
  ItemJsonBatches,
  type Logger,
  type NewRun,
  NotFoundError,
  PayloadTooLargeError,
  type PrivacyOption,
  parseDatasetVersion,
  parseScrubKinds,
  type Run,
  type RunQueues,
  type RunSpec,
  type RunSpecHeader,
  RunSpecHeaderSchema,
  type RunStore,
  resolvePrivacy,
  type Scrubber,
  type ScrubPolicy,
  type StoredItem,
  scrubberFor,
  type TargetRef,
  ValidationError,
} from '@runledger/shared';
import { itemLineEncoder } from './item-line-encoder.js';
import { type ItemLinesResult, lineSuffix, prepareItem, takeItem } from './item-lines.js';
import { readNdjsonItems } from './ndjson.js';
import { ProblemError } from './problem.js';
import { checkSubmission, type SubmissionChecks } from './submit-checks.js';

/** Experiment links stored on a run (`POST /v1/experiments`); none for plain runs. */
export interface RunLinks {
  experimentId?: string;
  variant?: string;
  trialIndex?: number;
}

/**
 * The scrub policy of a submission: its `privacy` option, else `RUNLEDGER_SCRUB` (./scrub.ts);
 * null when nothing is scrubbed.
 */
export function submitPrivacy(
  config: Config,
  option: PrivacyOption | undefined,
): ScrubPolicy | null {
  return resolvePrivacy(option, parseScrubKinds(config.RUNLEDGER_SCRUB));
}

/** A submission's outcome: the run as committed (for the answer) and what was committed (to discard it). */
export interface Submitted {
  /** The run as `GET /v1/runs/:id` shows it right after the commit (`queued`). */
  run: Run;
  committed: NewRun;
}

/** Items written per `Runs.stageItemJson` call. */
export const STAGE_BATCH_SIZE = 1000;

/** What run submission needs. */
export interface SubmitDeps {
  config: Config;
  store: RunStore;
  queues: RunQueues;
  logger: Logger;
}

/**
 * Collects items, assigns default ids, rejects duplicates, and hands their JSON to
 * `ItemJsonBatches` (hashed, staged in batches with one write in flight).
 */
class ItemStager {
  private readonly ids = new Map<string, number>();
  private readonly items: ItemJsonBatches;
  /** The run's scrub policy (`usePrivacy`); null: nothing scrubbed. */
  policy: ScrubPolicy | null = null;
  private scrubber: Scrubber | null = null;

  constructor(
    private readonly deps: SubmitDeps,
    runId: string,
  ) {
    this.items = new ItemJsonBatches(
      (start, jsons) => deps.store.runs.stageItemJson(runId, start, jsons),
      STAGE_BATCH_SIZE,
    );
  }

  /** Items added so far. */
  get total(): number {
    return this.items.count;
  }

  /** Items added so far that have an `expectedOutput`. */
  withExpected = 0;

  /** Scrubs every item added from now on with `policy` (call before the first `add`). */
  usePrivacy(policy: ScrubPolicy | null): void {
    this.policy = policy;
    this.scrubber = scrubberFor(policy);
  }

  /** `value` (the run's name, tags, metadata) scrubbed by the run's policy; masks not counted. */
  scrub<T>(value: T): T {
    return this.scrubber ? this.scrubber.value(value, {}) : value;
  }

  /**
   * Adds the next item, scrubbed by the run's policy. When this item filled a batch, returns a
   * promise (await it) that resolves once the previous batch is written and this one's write has
   * started (`flush` waits for the last); else nothing (no promise per item).
   * @throws ValidationError 400 (duplicate id); PayloadTooLargeError 413 (too many items, item too large).
   */
  add(item: Item | StoredItem): Promise<void> | undefined {
    const privacy = { scrubber: this.scrubber, count: true };
    const { stored, json, bytes } = prepareItem(item, this.total, this.maxBytes, privacy);
    return this.take(stored.id, json, bytes, stored.expectedOutput !== undefined);
  }

  /**
   * `add` for item `k` of an NDJSON batch already encoded (`encodeItemLines`, with the run's
   * policy), read from line `line` (named in error messages: `(line 7)`).
   * @throws as `add`.
   */
  addEncoded(batch: ItemLinesResult, k: number, line: number): Promise<void> | undefined {
    const { ids, jsons, bytes, expected } = batch;
    return this.take(ids[k] as string, jsons[k] as string, bytes[k] as number, expected[k], line);
  }

  private get maxBytes(): number {
    return this.deps.config.RUNLEDGER_MAX_ITEM_BYTES;
  }

  /**
   * Takes the next item, encoded (`prepareItem`): its id is new and its JSON not too large
   * (`takeItem`), the run holds fewer than `RUNLEDGER_MAX_ITEMS`. `line` is named in messages.
   * @throws as `add`.
   */
  private take(
    id: string,
    json: string,
    bytes: number,
    expected: boolean | undefined,
    line?: number,
  ): Promise<void> | undefined {
    const index = this.total;
    const max = this.deps.config.RUNLEDGER_MAX_ITEMS;
    // messages are built only for an error: no string per item
    if (index >= max) {
      const suffix = lineSuffix(line);
      throw new PayloadTooLargeError(`too many items: at most ${max} per run${suffix}`, [
        { path: 'dataset.items', message: `at most ${max} items${suffix}` },
      ]);
    }
    if (expected) this.withExpected++;
    takeItem(id, bytes, index, this.ids, this.maxBytes, () => ({
      path: `dataset.items.${index}`,
      suffix: lineSuffix(line),
    }));
    return this.items.add(json);
  }

  /** Stages every item added and waits until all of them are written. @throws a write's error */
  flush(): Promise<void> {
    return this.items.flush();
  }

  /** Waits until no write is in flight, whatever its outcome (before discarding the run). */
  settle(): Promise<void> {
    return this.items.settle();
  }

  /** `sha256:` + the first 16 hex chars of sha256 over the items' JSON lines, in order (`ContentHasher`). */
  version(): string {
    return this.items.digest();
  }
}

/** The checks of one run submission (`checkSubmission`): its target at `target`, its scorers. */
function runChecks(header: RunSpecHeader, where?: string): SubmissionChecks {
  return {
    targets: [
      {
        target: header.target,
        path: 'target',
        waitForWorkers: header.execution.waitForWorkers === true,
      },
    ],
    scorers: header.scorers,
    ...(where !== undefined ? { where } : {}),
  };
}

/**
 * Submit-time checks of an experiment (`POST /v1/experiments`), before any of its runs is
 * created: every variant's target (errors at `variants.<i>.target...`; `waitForWorkers` from the
 * variant's execution, else the experiment's) and the scorers, in one `checkSubmission`.
 * @throws ValidationError 400 listing every offending field.
 */
export async function checkExperimentSubmission(
  deps: SubmitDeps,
  variants: readonly { target: TargetRef; execution?: Execution | undefined }[],
  defaults: Pick<RunSpecHeader, 'execution' | 'scorers'>,
): Promise<void> {
  await checkSubmission(deps, {
    targets: variants.map((variant, index) => ({
      target: variant.target,
      path: `variants.${index}.target`,
      waitForWorkers: (variant.execution ?? defaults.execution).waitForWorkers === true,
    })),
    scorers: defaults.scorers,
  });
}

/**
 * What `produce` returns to `submit`: the spec header, plus, for runs over a stored dataset
 * version or reruns, the pinned dataset (`datasetVersion`, `datasetHash`) and the parent run.
 */
type SubmitHeader = RunSpecHeader & {
  pinned?: { datasetVersion: string; datasetHash: string | undefined; parentRunId?: string };
};

/**
 * Stages (via `produce`), commits (which indexes it) and enqueues run `runId`; returns what was
 * committed. On any failure everything of the run is removed again (jobs, keys, index entries)
 * and the error is rethrown.
 */
async function submit(
  deps: SubmitDeps,
  runId: string,
  project: string,
  links: RunLinks,
  produce: (stager: ItemStager) => Promise<SubmitHeader>,
): Promise<Submitted> {
  const { store, queues, config } = deps;
  const stager = new ItemStager(deps, runId);
  let committed: NewRun | null = null;
  try {
    const header = await produce(stager);
    await stager.flush();
    if (stager.total === 0) {
      throw new ValidationError('a run needs at least one item', [
        { path: 'dataset.items', message: 'at least one item is required' },
      ]);
    }
    // a new run (not a rerun) scored against expected outputs that none of its items has:
    // every item would fail its scorer (a file whose expected column has another name)
    if (stager.withExpected === 0 && header.pinned?.parentRunId === undefined) {
      const index = header.scorers.findIndex(comparesWithExpected);
      if (index >= 0) {
        const message = `scorer "${header.scorers[index]!.name}" compares each output with its item's expectedOutput, and none of the ${stager.total} items has one (in a file: an expectedOutput or expected_output column; runledger submit and datasets push read another with --expected-column NAME)`;
        const path = `scorers.${index}.name`;
        throw new ValidationError(`${path}: ${message}`, [{ path, message }]);
      }
    }
    const contentHash = stager.version();
    const run: NewRun = {
      id: runId,
      name: stager.scrub(header.name),
      target: header.target,
      scorers: header.scorers,
      execution: header.execution,
      datasetId: header.dataset.id,
      datasetVersion: header.pinned?.datasetVersion ?? header.dataset.version ?? contentHash,
      datasetHash: header.pinned?.datasetHash ?? contentHash,
      parentRunId: header.pinned?.parentRunId,
      totalItems: stager.total,
      chunkSize: chunkSizeFor(stager.total, config.RUNLEDGER_CHUNK_SIZE),
      ttlSeconds: header.retention?.ttlSeconds ?? config.RUNLEDGER_RETENTION_SECONDS,
      keepLast: header.retention?.keepLast ?? (config.RUNLEDGER_RETENTION_KEEP_LAST || undefined),
      tags: stager.scrub(header.tags),
      metadata: stager.scrub(header.metadata),
      createdAt: Date.now(),
      project,
      privacy: stager.policy,
      ...links,
    };
    // the request's trace (tracing on): the run's jobs and attempts join it
    const traceId = currentTraceId();
    if (traceId !== null) run.traceId = traceId;
    // the commit indexes the run before its jobs exist: a process dying while enqueueing leaves
    // a run the reconciler finds (runs:active) and completes by enqueueing the missing chunks
    const shown = await store.runs.commitRun(run);
    committed = run;
    await queues.enqueueRun(runId, run.target.name, run.totalItems, run.chunkSize);
    return { run: shown, committed: run };
  } catch (err) {
    // a staging write still in flight would land after the discard
    await stager.settle();
    await discardRun(deps, runId, committed);
    throw err;
  }
}

/**
 * Removes everything of a failed submission: its jobs and cancel notice (when `committed`, the
 * run as committed), its keys and index entry. Each step runs even when an earlier one fails
 * (e.g. the queue's Redis is unreachable); failures are logged, never thrown.
 */
export async function discardRun(
  deps: SubmitDeps,
  runId: string,
  committed: NewRun | null,
): Promise<void> {
  const steps: [string, () => Promise<unknown>][] = [];
  if (committed) {
    const { target, totalItems, chunkSize } = committed;
    steps.push([
      'remove jobs',
      () => deps.queues.removeRunJobs(runId, target.name, totalItems, chunkSize),
    ]);
  }
  steps.push(['delete run', () => deps.store.runs.deleteRun(runId)]);
  if (committed) steps.push(['publish cancel', () => deps.store.events.publishCancel(runId)]);
  for (const [step, run] of steps) {
    try {
      await run();
    } catch (err) {
      deps.logger.error({ err, runId, step }, 'could not discard a failed submission');
    }
  }
}

/**
 * Submits a run of `project` from a JSON body already validated by `createRunSpecSchema`;
 * returns the run as committed (its pinned `datasetId`/`datasetVersion`, ...). The submit-time
 * checks (target served, its config, its URL, scorers: ./submit-checks.ts) run first unless
 * `options.checked` says the caller made them (experiments check every variant at once).
 * @throws ValidationError 400 (a check failed), NotFoundError 404 / PayloadTooLargeError 413 (see
 *   `submitStoredDatasetRun`, `ItemStager.add`).
 */
export async function submitJsonRun(
  deps: SubmitDeps,
  runId: string,
  spec: RunSpec,
  project: string = DEFAULT_PROJECT,
  links: RunLinks = {},
  options: { checked?: boolean } = {},
): Promise<Submitted> {
  if (!options.checked) await checkSubmission(deps, runChecks(spec));
  const inline = spec.dataset.items;
  if (inline === undefined) return submitStoredDatasetRun(deps, runId, spec, project, links);
  return submit(deps, runId, project, links, async (stager) => {
    stager.usePrivacy(submitPrivacy(deps.config, spec.privacy));
    for (const item of inline) {
      const staged = stager.add(item);
      if (staged) await staged;
    }
    return spec;
  });
}

/**
 * Submits a run over a stored dataset (`dataset.id` without `items`; `dataset.version` `3`/`v3`,
 * default the latest): the version's items are copied into the run in batches, and the run pins
 * `datasetId`, `datasetVersion` = the version number (e.g. `3`) and `datasetHash` = its content hash.
 * @throws NotFoundError 404 (unknown dataset or version), PayloadTooLargeError 413 (more than
 *   `RUNLEDGER_MAX_ITEMS`).
 */
async function submitStoredDatasetRun(
  deps: SubmitDeps,
  runId: string,
  spec: RunSpec,
  project: string,
  links: RunLinks,
): Promise<Submitted> {
  const { datasets } = deps.store;
  const id = spec.dataset.id ?? '';
  const wanted =
    spec.dataset.version === undefined ? undefined : parseDatasetVersion(spec.dataset.version);
  const version =
    wanted === null || !DATASET_ID_PATTERN.test(id)
      ? null
      : await datasets.getVersion(project, id, wanted);
  if (!version) {
    const what =
      wanted === undefined ? `dataset ${id}` : `dataset ${id} version ${spec.dataset.version}`;
    const path = wanted === undefined ? 'dataset.id' : 'dataset.version';
    throw new NotFoundError(`${what} not found`, [{ path, message: `${what} not found` }]);
  }
  return submit(deps, runId, project, links, async (stager) => {
    stager.usePrivacy(submitPrivacy(deps.config, spec.privacy));
    for await (const page of datasets.iterateItemJson(project, id, version.version)) {
      for (const json of page) await stager.add(JSON.parse(json) as StoredItem);
    }
    if (stager.total !== version.itemCount) {
      const message = `dataset ${id} version ${version.version} was deleted meanwhile`;
      throw new NotFoundError(message);
    }
    return {
      ...spec,
      pinned: { datasetVersion: String(version.version), datasetHash: version.contentHash },
    };
  });
}

/** Which items of a run a rerun takes: `failed` = results `failed` or `cancelled`; `all` = every item. */
export type RerunSelection = 'failed' | 'all';

/**
 * Submits a rerun of the terminal run `original` (its real, unredacted spec from
 * `store.runs.getRun`): a new run with the same target, scorers, execution, retention, tags,
 * metadata and privacy policy over the selected items (their ids kept, indexes dense from 0, item order kept),
 * named `<name> (rerun)` (`rerun of <id>` without a name), pinned to the original's
 * `datasetId`/`datasetVersion`/`datasetHash`, with `parentRunId` = the original.
 * @throws ConflictError 409 (the original is not terminal), ValidationError 400 (`only: failed`
 *   selects no item).
 */
export async function submitRerun(
  deps: SubmitDeps,
  runId: string,
  original: Run,
  only: RerunSelection,
  project: string = DEFAULT_PROJECT,
): Promise<Submitted> {
  if (original.status === 'queued' || original.status === 'running') {
    throw new ConflictError(
      `run ${original.id} is ${original.status}: only a finished run can be rerun`,
    );
  }
  let indexes: number[];
  if (only === 'all') {
    indexes = Array.from({ length: original.totalItems }, (_, i) => i);
  } else {
    const picked: number[] = [];
    for (const status of ['failed', 'cancelled'] as const) {
      for (let from = 0; ; ) {
        const page = await deps.store.results.listResultIndexes(original.id, status, from, 1000);
        picked.push(...page);
        if (page.length < 1000) break;
        from = page[page.length - 1]! + 1;
      }
    }
    indexes = picked.sort((a, b) => a - b);
    if (indexes.length === 0) {
      throw new ValidationError(`run ${original.id} has no failed or cancelled items to rerun`, [
        { path: 'only', message: 'no failed or cancelled items' },
      ]);
    }
  }
  const header: SubmitHeader = {
    name: original.name !== null ? `${original.name} (rerun)` : `rerun of ${original.id}`,
    target: original.target,
    dataset: original.datasetId !== null ? { id: original.datasetId } : {},
    scorers: original.scorers,
    execution: original.execution,
    retention: {
      ttlSeconds: original.retention.ttlSeconds,
      ...(original.retention.keepLast ? { keepLast: original.retention.keepLast } : {}),
    },
    tags: original.tags,
    metadata: original.metadata,
    pinned: {
      datasetVersion: original.datasetVersion ?? '',
      datasetHash: original.datasetHash ?? undefined,
      parentRunId: original.id,
    },
  };
  await checkSubmission(deps, runChecks(header));
  return submit(deps, runId, project, {}, async (stager) => {
    // the original's policy: its items were scrubbed by it (their counts are kept), and so are
    // the rerun's outputs
    stager.usePrivacy(original.privacy);
    for (let i = 0; i < indexes.length; i += STAGE_BATCH_SIZE) {
      const batch = indexes.slice(i, i + STAGE_BATCH_SIZE);
      const items = await deps.store.results.readItems(original.id, batch);
      for (const [j, item] of items.entries()) {
        if (!item) {
          throw new NotFoundError(
            `run ${original.id} lost item ${batch[j]} (expired or deleted meanwhile)`,
          );
        }
        await stager.add(item);
      }
    }
    return header;
  });
}

/**
 * Submits a run from an `application/x-ndjson` body, read as a stream: the first non-empty line
 * is the run spec without items (`RunSpecHeaderSchema`), every other non-empty line one item.
 * @throws ValidationError 400 (bad line: path `dataset.items.<i>.<field>`, line number in the
 *   message; no items), 413 (item over `RUNLEDGER_MAX_ITEM_BYTES`, more than
 *   `RUNLEDGER_MAX_ITEMS` items).
 */
export async function submitNdjsonRun(
  deps: SubmitDeps,
  runId: string,
  body: ReadableStream<Uint8Array> | null,
  project: string = DEFAULT_PROJECT,
): Promise<Submitted> {
  const { config } = deps;
  return submit(deps, runId, project, {}, (stager) =>
    readNdjsonItems(body, {
      header: RunSpecHeaderSchema,
      headerName: 'the run spec',
      itemsPath: 'dataset.items',
      maxHeaderBytes: config.RUNLEDGER_MAX_BODY_BYTES,
      maxItemBytes: config.RUNLEDGER_MAX_ITEM_BYTES,
      encoder: itemLineEncoder(config.RUNLEDGER_PARSE_THREADS),
      async onHeader(header, where) {
        await checkSubmission(deps, runChecks(header, ` (${where})`));
        const policy = submitPrivacy(config, header.privacy);
        stager.usePrivacy(policy);
        return { policy, countMasks: true, idBase: 0 };
      },
      onItem: (batch, k, line) => stager.addEncoded(batch, k, line),
    }),
  );
}

/** `Retry-After` (seconds) of a submission refused for too many runs in flight. */
export const RUNS_IN_FLIGHT_RETRY_AFTER_SECONDS = 5;

/**
 * Refuses a submission when `project` already has `RUNLEDGER_MAX_RUNS_IN_FLIGHT` runs queued or
 * running (0: no limit). Counted from the active runs index (`ProjectQuotas.countActiveRuns`), not
 * atomically with other submissions: N submissions racing at the limit may all pass.
 * @throws ProblemError 429 (`too_many_requests`, `Retry-After`).
 */
export async function checkRunsInFlight(deps: SubmitDeps, project: string): Promise<void> {
  const max = deps.config.RUNLEDGER_MAX_RUNS_IN_FLIGHT;
  if (max === 0) return;
  const active = await deps.store.quotas.countActiveRuns(project);
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
