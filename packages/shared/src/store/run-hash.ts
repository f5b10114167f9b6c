/**
 * The run-hash codec: the only writer and reader, on the TypeScript side, of a run's hash
 * (`<prefix>:{<runId>}:run`, docs/architecture.md#redis-key-layout). The Lua scripts keep the
 * counters, status and timestamps; this module names every field the code reads or writes:
 * `encode` gives the fields create-run-3 writes at commit, `toRun` decodes read-run-4's answer
 * into the API's `Run`, and the narrow readers below fetch only the fields one caller needs.
 *
 * Budget thresholds are stored once, as the hash fields `maxFailures` and `maxCostUsd` (which
 * record-results-9 reads); the spec JSON holds the rest of `execution`, and every decode puts
 * them back.
 */
import { DEFAULT_PROJECT } from '../config.js';
import type {
  ErrorType,
  Execution,
  Run,
  RunStatus,
  ScorerRef,
  StoredSpec,
  TargetRef,
} from '../schemas.js';
import type { ScrubPolicy } from '../scrub.js';
import { summarizeScore } from '../stats.js';
import type { StoreResources } from './resources.js';
import { iso } from './results.js';
import type { RunHashFields, RunReadReply } from './scripts.js';

/** A run to commit: everything but its items, which are staged first. Times in ms since epoch. */
export interface NewRun {
  id: string;
  name?: string | undefined;
  target: TargetRef;
  scorers: ScorerRef[];
  execution: Execution;
  datasetId?: string | undefined;
  datasetVersion: string;
  /** `sha256:<16 hex>` content hash of the dataset version's items (see `ContentHasher`). */
  datasetHash?: string | undefined;
  /** The run this one reruns. */
  parentRunId?: string | undefined;
  totalItems: number;
  chunkSize: number;
  /** Retention after the run ends, seconds. */
  ttlSeconds: number;
  /** Keep only the newest N finished runs of the run's project, target and dataset (../retention.ts). */
  keepLast?: number | undefined;
  tags: string[];
  metadata: Record<string, unknown>;
  createdAt: number;
  /** The project of the API key that submitted the run. @defaultValue `default` */
  project?: string | undefined;
  /** Experiment links (runs created by `POST /v1/experiments` only). */
  experimentId?: string | undefined;
  variant?: string | undefined;
  trialIndex?: number | undefined;
  /** OpenTelemetry trace id of the creating request (see `currentTraceId`), when traced. */
  traceId?: string | undefined;
  /** The scrub policy the run's items got and its results get (../scrub.ts); none: nothing scrubbed. */
  privacy?: ScrubPolicy | null | undefined;
}

/** What the reconciler and the project quotas read of a run (`RunHash.summary`); times in ms since epoch. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  project: string;
  target: string;
  totalItems: number;
  chunkSize: number;
  createdAt: number;
  /** Items with a result: succeeded + failed + cancelled. */
  resultCount: number;
  /**
   * The status an early end begun and not finished yet will give the run (finish-run-9 writes
   * it a slice at a time: a caller that died leaves it to the reconciler), else null.
   */
  ending: 'cancelled' | 'failed' | null;
}

/** The fields of the budget, stored as hash fields (not in the spec JSON). */
const BUDGET_FIELDS = ['maxFailures', 'maxCostUsd'] as const;

/** A stored time (ms since epoch, as a hash field's string) as ISO-8601 (`iso` of ./results.ts), or null. */
const isoOf = (ms: string | number | undefined | null): string | null =>
  ms === undefined || ms === null || ms === '' ? null : iso(Number(ms));

/**
 * The run's spec from its stored JSON and, when given, the hash fields holding its budget.
 * @param json the `spec` field (or claim-items-4's copy of it).
 */
export function decodeSpec(
  json: string,
  budget: Partial<Record<string, string | null>> = {},
): StoredSpec {
  const spec = JSON.parse(json) as StoredSpec;
  for (const field of BUDGET_FIELDS) {
    const value = budget[field];
    if (value !== undefined && value !== null)
      spec.execution = { ...spec.execution, [field]: Number(value) };
  }
  return spec;
}

/** The fields create-run-3 writes for `run` (status `queued`, zero counters). */
export function encodeRunHash(run: NewRun): Record<string, string | number> {
  const { maxFailures, maxCostUsd, ...execution } = run.execution;
  const spec: StoredSpec = {
    target: run.target,
    scorers: run.scorers,
    execution: execution as Execution,
  };
  if (run.privacy) spec.privacy = run.privacy;
  const fields: Record<string, string | number> = {
    id: run.id,
    status: 'queued',
    spec: JSON.stringify(spec),
    datasetVersion: run.datasetVersion,
    totalItems: run.totalItems,
    chunkSize: run.chunkSize,
    ttlSeconds: run.ttlSeconds,
    tags: JSON.stringify(run.tags),
    metadata: JSON.stringify(run.metadata),
    createdAt: run.createdAt,
    succeededCount: 0,
    failedCount: 0,
    cancelledCount: 0,
    project: run.project ?? DEFAULT_PROJECT,
  };
  const optional = {
    name: run.name,
    datasetId: run.datasetId,
    datasetHash: run.datasetHash,
    parentRunId: run.parentRunId,
    maxFailures,
    maxCostUsd,
    keepLast: run.keepLast,
    experimentId: run.experimentId,
    variant: run.variant,
    trialIndex: run.trialIndex,
    traceId: run.traceId,
  };
  for (const [field, value] of Object.entries(optional))
    if (value !== undefined) fields[field] = value;
  return fields;
}

/**
 * The errtypes hash (`n:<type>` count, `m:<type>` message) as `ErrorType`s, by count
 * descending, then type.
 */
function toErrorTypes(h: Record<string, string>): ErrorType[] {
  const out: ErrorType[] = [];
  for (const [field, value] of Object.entries(h)) {
    if (!field.startsWith('n:')) continue;
    const type = field.slice(2);
    out.push({ type, count: Number(value), message: h[`m:${type}`] ?? '' });
  }
  return out.sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** The run hash's `endingStatus` (finish-run-9: an early end under way), null when none. */
function endingOf(value: string | null | undefined): 'cancelled' | 'failed' | null {
  return value === 'cancelled' || value === 'failed' ? value : null;
}

/**
 * A `Run` from read-run-4's answer, asked with the percentiles 50, 90 and 99 (in that order).
 */
export function toRun(reply: RunReadReply): Run {
  const h: RunHashFields = reply.fields;
  const { count, max, percentiles } = reply.latency;
  const spec = decodeSpec(h.spec ?? '{}', h);
  const total = Number(h.totalItems ?? 0);
  const succeeded = Number(h.succeededCount ?? 0);
  const failed = Number(h.failedCount ?? 0);
  const cancelled = Number(h.cancelledCount ?? 0);
  const scores: Run['scores'] = {};
  for (const scorer of spec.scorers ?? []) {
    scores[scorer.name] = summarizeScore({
      passed: Number(h[`score:${scorer.name}:passed`] ?? 0),
      failed: Number(h[`score:${scorer.name}:failed`] ?? 0),
      scoreSum: Number(h[`score:${scorer.name}:sum`] ?? 0),
      resultCount: succeeded + failed + cancelled,
      totalItems: total,
    });
  }
  return {
    id: h.id ?? '',
    project: h.project ?? DEFAULT_PROJECT,
    name: h.name ?? null,
    status: (h.status ?? 'queued') as RunStatus,
    target: spec.target,
    scorers: spec.scorers ?? [],
    execution: spec.execution,
    datasetId: h.datasetId ?? null,
    datasetVersion: h.datasetVersion ?? null,
    datasetHash: h.datasetHash ?? null,
    parentRunId: h.parentRunId ?? null,
    totalItems: total,
    succeededCount: succeeded,
    failedCount: failed,
    cancelledCount: cancelled,
    progress: total === 0 ? 0 : (succeeded + failed + cancelled) / total,
    latencyMs: {
      p50: percentiles[0] ?? null,
      p90: percentiles[1] ?? null,
      p99: percentiles[2] ?? null,
      mean: count === 0 ? null : Number(h.latencySumMs ?? 0) / count,
      max,
    },
    usage: { inputTokens: Number(h.inputTokens ?? 0), outputTokens: Number(h.outputTokens ?? 0) },
    costUsd: Number(h.costUsd ?? 0),
    unpriced: {
      results: Number(h.unpricedCount ?? 0),
      model: h.unpricedModel ? h.unpricedModel : null,
    },
    scores,
    errorTypes: toErrorTypes(reply.errtypes),
    reruns: reply.reruns,
    tags: JSON.parse(h.tags ?? '[]') as string[],
    metadata: JSON.parse(h.metadata ?? '{}') as Record<string, unknown>,
    retention: {
      ttlSeconds: Number(h.ttlSeconds ?? 0),
      ...(h.keepLast ? { keepLast: Number(h.keepLast) } : {}),
    },
    createdAt: isoOf(h.createdAt) ?? new Date(0).toISOString(),
    startedAt: isoOf(h.startedAt),
    completedAt: isoOf(h.completedAt),
    expiresAt: isoOf(h.expiresAt),
    error: h.error ?? null,
    ending: endingOf(h.endingStatus),
    traceId: h.traceId ?? null,
    privacy: spec.privacy ?? null,
    ...(h.experimentId === undefined ? {} : { experimentId: h.experimentId }),
    ...(h.variant === undefined ? {} : { variant: h.variant }),
    ...(h.trialIndex === undefined ? {} : { trialIndex: Number(h.trialIndex) }),
  };
}

/**
 * The `Run` that `toRun` decodes from the hash `encodeRunHash(run)` wrote, before anything else
 * changed it (status `queued`, no result): what a submission answers without reading it back.
 */
export function committedRun(run: NewRun): Run {
  const fields = Object.fromEntries(
    Object.entries(encodeRunHash(run)).map(([field, value]) => [field, String(value)]),
  );
  return toRun({
    fields,
    latency: { count: 0, max: null, percentiles: [null, null, null] },
    errtypes: {},
    reruns: [],
  });
}

/** Narrow reads of one run's hash, one HMGET each (null: the run does not exist). */
export class RunHash {
  constructor(private readonly r: Pick<StoreResources, 'redis' | 'keys'>) {}

  private read(runId: string, ...fields: string[]): Promise<(string | null)[]> {
    return this.r.redis.hmget(this.r.keys.run(runId).run, ...fields);
  }

  /** The run's status. */
  async status(runId: string): Promise<RunStatus | null> {
    return (await this.r.redis.hget(this.r.keys.run(runId).run, 'status')) as RunStatus | null;
  }

  /** The run's project (`default` for runs committed without one). */
  async project(runId: string): Promise<string | null> {
    return (await this.owner(runId))?.project ?? null;
  }

  /** The run's status and project (`default` for runs committed without one). */
  async owner(runId: string): Promise<{ status: RunStatus; project: string } | null> {
    const [status, project] = await this.read(runId, 'status', 'project');
    if (status === null) return null;
    return { status: status as RunStatus, project: project ?? DEFAULT_PROJECT };
  }

  /** The run this one reruns, or null (none, or the run does not exist). */
  async parent(runId: string): Promise<string | null> {
    return this.r.redis.hget(this.r.keys.run(runId).run, 'parentRunId');
  }

  /** What the results pages need: the item count and the experiment trial (null: none). */
  async resultsInfo(
    runId: string,
  ): Promise<{ totalItems: number; trialIndex: number | null } | null> {
    const [total, trial] = await this.read(runId, 'totalItems', 'trialIndex');
    if (total === null) return null;
    return { totalItems: Number(total), trialIndex: trial === null ? null : Number(trial) };
  }

  /** What a results query needs: the item count, the experiment trial (null: none), the spec. */
  async querySource(
    runId: string,
  ): Promise<{ totalItems: number; trialIndex: number | null; spec: StoredSpec } | null> {
    const [total, trial, spec] = await this.read(runId, 'totalItems', 'trialIndex', 'spec');
    if (!total || !spec) return null;
    return {
      totalItems: Number(total),
      trialIndex: trial === null ? null : Number(trial),
      spec: decodeSpec(spec),
    };
  }

  /** The run's result count (succeeded + failed + cancelled) and spec. */
  async resultCount(runId: string): Promise<{ resultCount: number; spec: StoredSpec } | null> {
    const [s, f, c, spec] = await this.read(
      runId,
      'succeededCount',
      'failedCount',
      'cancelledCount',
      'spec',
    );
    if (spec === null || spec === undefined) return null;
    return {
      resultCount: Number(s ?? 0) + Number(f ?? 0) + Number(c ?? 0),
      spec: decodeSpec(spec),
    };
  }

  /** The run's total item count, chunk size and target name (its chunk jobs' layout). */
  async layout(
    runId: string,
  ): Promise<{ totalItems: number; chunkSize: number; target: string } | null> {
    const [total, chunk, spec] = await this.read(runId, 'totalItems', 'chunkSize', 'spec');
    if (!total || !chunk || !spec) return null;
    return {
      totalItems: Number(total),
      chunkSize: Number(chunk),
      target: decodeSpec(spec).target.name,
    };
  }

  /**
   * What the run's keep-last group needs (../retention.ts): its group's fields, status, times
   * (ms; null until finished) and `keepLast` (null: none).
   */
  async retention(runId: string): Promise<{
    project: string;
    target: string;
    datasetId: string | null;
    status: RunStatus;
    completedAt: number | null;
    expiresAt: number | null;
    keepLast: number | null;
  } | null> {
    const [status, spec, project, datasetId, completedAt, expiresAt, keepLast] = await this.read(
      runId,
      'status',
      'spec',
      'project',
      'datasetId',
      'completedAt',
      'expiresAt',
      'keepLast',
    );
    if (!status || !spec) return null;
    const num = (v: string | null | undefined) => (v ? Number(v) : null);
    return {
      project: project ?? DEFAULT_PROJECT,
      target: decodeSpec(spec).target.name,
      datasetId: datasetId ?? null,
      status: status as RunStatus,
      completedAt: num(completedAt),
      expiresAt: num(expiresAt),
      keepLast: num(keepLast),
    };
  }

  /** The run's status, project, target and layout (`RunSummary`). */
  async summary(runId: string): Promise<RunSummary | null> {
    const [status, spec, total, chunk, created, project, succeeded, failed, cancelled, ending] =
      await this.read(
        runId,
        'status',
        'spec',
        'totalItems',
        'chunkSize',
        'createdAt',
        'project',
        'succeededCount',
        'failedCount',
        'cancelledCount',
        'endingStatus',
      );
    if (!status || !spec) return null;
    return {
      id: runId,
      status: status as RunStatus,
      project: project ?? DEFAULT_PROJECT,
      target: decodeSpec(spec).target.name,
      totalItems: Number(total),
      chunkSize: Number(chunk),
      createdAt: Number(created),
      resultCount: Number(succeeded ?? 0) + Number(failed ?? 0) + Number(cancelled ?? 0),
      ending: endingOf(ending),
    };
  }
}
