/**
 * Idempotent submission: a submission under an optional `Idempotency-Key` (scoped to the
 * request's project) once the project is under `RUNLEDGER_MAX_RUNS_IN_FLIGHT`. The routes that
 * create one run (`POST /v1/runs`, JSON or NDJSON) call it.
 */
import { ConflictError, DEFAULT_PROJECT, type Run } from '@runledger/shared';
import { ulid } from 'ulid';
import type { AppDeps } from '../context.js';
import { checkRunsInFlight, type Submitted } from '../create-run.js';

/** How long an Idempotency-Key is held while its submission runs, seconds. */
const IDEMPOTENCY_PENDING_SECONDS = 600;
/** How long an Idempotency-Key returns its run once created, seconds (24 h). */
const IDEMPOTENCY_KEPT_SECONDS = 24 * 3600;

/**
 * Runs `create(runId, project)` under `idempotencyKey` (when given). Returns the run created
 * (as committed: `queued`), or with `replayed: true` the run an earlier request with the same
 * key created.
 * @throws ConflictError 409 when the key's first request is still in flight (or its run is
 *   gone); ProblemError 429 when the project has too many runs in flight; whatever `create`
 *   throws (the key is released then, so a retry may use it).
 */
export async function submitIdempotent(
  deps: AppDeps,
  project: string,
  idempotencyKey: string | undefined,
  create: (runId: string, project: string) => Promise<Submitted>,
): Promise<{ run: Run; replayed: boolean }> {
  const { idempotency, runs } = deps.store;
  const runId = ulid();
  // header values cannot hold a newline, so a scoped key never equals another project's key
  const key =
    idempotencyKey === undefined || project === DEFAULT_PROJECT
      ? idempotencyKey
      : `${project}\n${idempotencyKey}`;
  if (key !== undefined) {
    // held briefly while the submission runs (an API killed mid-submission frees it soon),
    // then for 24 h once the run exists
    const existing = await idempotency.reserveIdempotencyKey(
      key,
      runId,
      IDEMPOTENCY_PENDING_SECONDS,
    );
    if (existing !== null) {
      const run = await runs.getRun(existing);
      if (!run || run.project !== project) {
        throw new ConflictError(
          `a request with this Idempotency-Key (run ${existing}) is still in progress or its run is gone`,
        );
      }
      return { run, replayed: true };
    }
  }
  let submitted: Submitted;
  try {
    await checkRunsInFlight(deps, project);
    submitted = await create(runId, project);
  } catch (err) {
    if (key !== undefined) await idempotency.releaseIdempotencyKey(key).catch(() => {});
    throw err;
  }
  if (key !== undefined) await idempotency.keepIdempotencyKey(key, IDEMPOTENCY_KEPT_SECONDS);
  return { run: submitted.run, replayed: false };
}
