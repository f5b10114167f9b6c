--[[
  The one table of script outcome codes (`--@include codes`), the same numbers as `ScriptCode`
  in ../../script-codes.ts (a test holds the two equal). Every script answers a table whose
  first element is one of these; `scriptError` in script-codes.ts turns the negative ones into
  the matching Error class (RunNotFoundError, RunTerminalError, ...), in one place.

  Non-negative: the script did what it was asked (possibly nothing, by design).
    OK = 1          done; the rest of the reply is the script's answer
    UNCHANGED = 2   dataset-commit-4: the content equals the latest version's; nothing committed
    BUSY = 0        acquire-slot-1: every slot is held; try again after the hinted wait
  Negative: nothing was written.
    RUN_NOT_FOUND = -1           the run (or a rerun's parent) does not exist: never created,
                                 deleted, or expired after its retention
    RUN_TERMINAL = -2            the run is completed, failed or cancelled already
    RUN_EXISTS = -3              create-run-3: a run with this id exists already
    STAGED_COUNT_MISMATCH = -4   the staged items do not number what the caller said
    DATASET_EXISTS = -5          dataset-commit-4 (create): the dataset exists already
    DATASET_NOT_FOUND = -6       dataset-commit-4 (update): the dataset does not exist
    DATASET_CHANGED = -7         dataset-commit-4 (update): the latest version is not the base
]]
local Code = {
  OK = 1,
  UNCHANGED = 2,
  BUSY = 0,
  RUN_NOT_FOUND = -1,
  RUN_TERMINAL = -2,
  RUN_EXISTS = -3,
  STAGED_COUNT_MISMATCH = -4,
  DATASET_EXISTS = -5,
  DATASET_NOT_FOUND = -6,
  DATASET_CHANGED = -7,
}
