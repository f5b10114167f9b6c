/** Errors of the run store and the services built on it. Each sets `name` and, for the API, an HTTP status. */

/** Base class: `status` is the HTTP status the API answers with. */
export class RunledgerError extends Error {
  override name = 'RunledgerError';
  constructor(
    message: string,
    readonly status: number = 500,
    readonly type: string = 'internal',
  ) {
    super(message);
  }
}

/** The run does not exist (never created, deleted, or expired after its retention). */
export class RunNotFoundError extends RunledgerError {
  override name = 'RunNotFoundError';
  constructor(readonly runId: string) {
    super(`run ${runId} not found`, 404, 'not_found');
  }
}

/** A write that the run's state forbids (e.g. committing a run twice, staging a partial dataset). */
export class RunStateError extends RunledgerError {
  override name = 'RunStateError';
  constructor(message: string) {
    super(message, 409, 'conflict');
  }
}
