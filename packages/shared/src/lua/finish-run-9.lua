--[[
  Ends a run early (cancel, or failure of the run itself): every item without a result gets a
  `cancelled` result, counters then sum to totalItems, the run moves to `status` and every key
  gets the run's retention TTL. Items in flight keep running until their worker hears of it on
  the cancel channel; their late results are ignored by record-results-9 (exactly once).

  KEYS: as record-results-9 (runKey, itemsKey, resultsKey, latencyKey, succeededKey, failedKey,
        cancelledKey, eventsKey, errtypesKey)
  ARGV[1] now (ms)   ARGV[2] events maxlen   ARGV[3] terminal status (`cancelled` | `failed`)
  ARGV[4] error message ("" for none)        ARGV[5] result JSON for items without a result

  Returns (codes: includes/codes.lua):
    {OK, n}                  the run ended; n items recorded `cancelled`
    {RUN_TERMINAL, status}   the run was already terminal: nothing written
    {RUN_NOT_FOUND}          the run does not exist
  Events: `progress`, then `status` {status, error?}.
]]
--@include codes
local runKey, itemsKey, resultsKey, latencyKey, succeededKey, failedKey, cancelledKey,
  eventsKey, errtypesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7],
  KEYS[8], KEYS[9]
--@include latency-hist
--@include finish-early
local status = redis.call('HGET', runKey, 'status')
if not status then return {Code.RUN_NOT_FOUND} end
if status ~= 'queued' and status ~= 'running' then return {Code.RUN_TERMINAL, status} end
local n = finishEarly(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return {Code.OK, n}
