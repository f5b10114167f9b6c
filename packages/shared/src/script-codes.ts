/**
 * The outcome codes of runledger's Lua scripts (./lua/*.lua) and the one place that turns a
 * script's reply code into an Error. Every script answers a table whose first element is a
 * `ScriptCode`; the Lua side reads them from ./lua/includes/codes.lua (same names, same numbers:
 * test/script-codes.test.ts holds the two equal), like BullMQ's `ErrorCode` and `scripts.ts`.
 */
import {
  DatasetCommitError,
  type RunledgerError,
  RunNotFoundError,
  RunStateError,
  RunTerminalError,
} from './errors.js';

/**
 * What a script did: non-negative codes are outcomes asked for, negative ones wrote nothing and
 * decode (`scriptError`) to an Error.
 */
export enum ScriptCode {
  /** Done; the rest of the reply is the script's answer. */
  Ok = 1,
  /** dataset-commit-4: the content equals the latest version's; nothing committed. */
  Unchanged = 2,
  /** acquire-slot-1: every slot is held; the reply's second element is a wait hint (ms). */
  Busy = 0,
  /** The run (or a rerun's parent) does not exist: never created, deleted or expired. */
  RunNotFound = -1,
  /** The run is terminal already; the reply's second element is its status. */
  RunTerminal = -2,
  /** create-run-3: a run with this id exists already. */
  RunExists = -3,
  /** The staged items do not number what the caller said (create-run-3, dataset-commit-4). */
  StagedCountMismatch = -4,
  /** dataset-commit-4 (create): the dataset exists already. */
  DatasetExists = -5,
  /** dataset-commit-4 (update): the dataset does not exist. */
  DatasetNotFound = -6,
  /** dataset-commit-4 (update): the latest version is no longer the base; reply[1]: the latest. */
  DatasetChanged = -7,
}

/** The Lua name of each code (`Code.<NAME>` in ./lua/includes/codes.lua). */
export const SCRIPT_CODE_LUA_NAMES: Readonly<Record<ScriptCode, string>> = {
  [ScriptCode.Ok]: 'OK',
  [ScriptCode.Unchanged]: 'UNCHANGED',
  [ScriptCode.Busy]: 'BUSY',
  [ScriptCode.RunNotFound]: 'RUN_NOT_FOUND',
  [ScriptCode.RunTerminal]: 'RUN_TERMINAL',
  [ScriptCode.RunExists]: 'RUN_EXISTS',
  [ScriptCode.StagedCountMismatch]: 'STAGED_COUNT_MISMATCH',
  [ScriptCode.DatasetExists]: 'DATASET_EXISTS',
  [ScriptCode.DatasetNotFound]: 'DATASET_NOT_FOUND',
  [ScriptCode.DatasetChanged]: 'DATASET_CHANGED',
};

/**
 * What a script call was about, for the messages of the errors its codes decode to:
 * a run (`totalItems`: the count create-run-3 was given) or a dataset version being committed
 * (`count`: items staged, `base`: the version the change was made against).
 */
export type ScriptSubject =
  | { runId: string; totalItems?: number }
  | { datasetId: string; count: number; base: number };

/**
 * The Error a script reply stands for, or null when its code is not negative (an outcome asked
 * for: `Ok`, `Unchanged`, `Busy`). The one decoder of script codes:
 * - `RunNotFound` -> `RunNotFoundError` (404); `RunTerminal` -> `RunTerminalError` (409, its
 *   `runStatus` from reply[1]); `RunExists` -> `RunStateError` (409);
 * - `StagedCountMismatch` -> `RunStateError` for a run, `DatasetCommitError('incomplete')`;
 * - `DatasetExists` / `DatasetNotFound` / `DatasetChanged` -> `DatasetCommitError` `exists`
 *   (409) / `missing` (404) / `conflict` (409, naming the latest version from reply[1]).
 * @throws Error when the code is not a `ScriptCode`, or names a dataset outcome for a run
 *   (a script and this table disagree: a bug).
 */
export function scriptError(
  reply: readonly unknown[],
  subject: ScriptSubject,
): RunledgerError | null {
  const code = Number(reply[0]);
  if (code === ScriptCode.Ok || code === ScriptCode.Unchanged || code === ScriptCode.Busy) {
    return null;
  }
  if ('runId' in subject) {
    const { runId } = subject;
    switch (code) {
      case ScriptCode.RunNotFound:
        return new RunNotFoundError(runId);
      case ScriptCode.RunTerminal:
        return new RunTerminalError(runId, String(reply[1]));
      case ScriptCode.RunExists:
        return new RunStateError(`run ${runId} exists already`);
      case ScriptCode.StagedCountMismatch:
        return new RunStateError(
          `run ${runId}: staged items do not number ${subject.totalItems ?? '?'}`,
        );
    }
  } else {
    const { datasetId: id } = subject;
    switch (code) {
      case ScriptCode.DatasetExists:
        return new DatasetCommitError('exists', `dataset ${id} exists already`);
      case ScriptCode.DatasetNotFound:
        return new DatasetCommitError('missing', `dataset ${id} not found`);
      case ScriptCode.DatasetChanged:
        return new DatasetCommitError(
          'conflict',
          `dataset ${id} changed meanwhile (version ${Number(reply[1])} was committed after version ${subject.base}); retry`,
        );
      case ScriptCode.StagedCountMismatch:
        return new DatasetCommitError(
          'incomplete',
          `dataset ${id}: staged items do not number ${subject.count}`,
        );
    }
  }
  throw new Error(`unexpected script reply code ${String(reply[0])}`);
}
