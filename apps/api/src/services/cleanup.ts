/**
 * `POST /v1/runs/cleanup`: finds the finished runs of one project that finished before a cutoff
 * (optionally of one status, target or dataset) and deletes them through the one delete path
 * (`deleteRunsAfterLease`: every key and queued job, as `DELETE /v1/runs/:id`), or only lists
 * them (`dryRun`).
 */
import type { RunStatus } from '@runledger/shared';
import type { AppDeps } from '../context.js';
import { deleteRunsAfterLease } from './run-control.js';

/** What `cleanupRuns` looks for; times in ms since the epoch. */
export interface CleanupFilter {
  project: string;
  /** Runs that finished (completedAt) before this. */
  before: number;
  status?: Extract<RunStatus, 'completed' | 'failed' | 'cancelled'> | undefined;
  target?: string | undefined;
  datasetId?: string | undefined;
  dryRun: boolean;
}

/** One run cleanup deleted (or would delete). */
export interface CleanedRun {
  id: string;
  name: string | null;
  status: RunStatus;
  target: string;
  datasetId: string | null;
  /** ISO-8601 UTC. */
  completedAt: string;
}

const FINISHED = new Set<RunStatus>(['completed', 'failed', 'cancelled']);

/** Units of `olderThan`, in ms. */
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `olderThan`'s pattern: a whole number and a unit (s, m, h, d, w), e.g. `30d`. */
export const OLDER_THAN_PATTERN = /^(\d{1,9})(s|m|h|d|w)$/;

/** `30d` -> ms. The input matched `OLDER_THAN_PATTERN` (schema-checked). */
export function durationMs(text: string): number {
  const [, n, unit] = OLDER_THAN_PATTERN.exec(text) ?? [];
  return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

/**
 * The finished runs matching `filter` (read from the runs index, newest first), then, unless
 * `dryRun`, deleted; answers once the claim lease has passed after the deletes (run-control.ts).
 * Queued and running runs are never touched; other projects' runs are never read.
 */
export async function cleanupRuns(
  deps: Pick<AppDeps, 'store' | 'queues' | 'config' | 'logger'>,
  filter: CleanupFilter,
): Promise<CleanedRun[]> {
  const found: CleanedRun[] = [];
  let cursor: string | undefined;
  do {
    // createdAt <= completedAt: runs created after the cutoff cannot have finished before it
    const page = await deps.store.runs.listRuns({
      project: filter.project,
      status: filter.status,
      target: filter.target,
      datasetId: filter.datasetId,
      until: filter.before,
      limit: 500,
      cursor,
    });
    for (const run of page.runs) {
      if (!FINISHED.has(run.status) || run.completedAt === null) continue;
      if (Date.parse(run.completedAt) >= filter.before) continue;
      found.push({
        id: run.id,
        name: run.name,
        status: run.status,
        target: run.target.name,
        datasetId: run.datasetId,
        completedAt: run.completedAt,
      });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (!filter.dryRun && found.length > 0) {
    await deleteRunsAfterLease(
      deps,
      found.map((r) => r.id),
    );
  }
  return found;
}
