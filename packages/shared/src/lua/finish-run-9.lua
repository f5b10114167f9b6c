--[[
  Ends a run early (cancel, or failure of the run itself): every item without a result gets a
  `cancelled` result, counters then sum to totalItems, the run moves to `status` and every key
  gets the run's retention TTL. Items in flight keep running until their worker hears of it on
  the cancel channel; their late results are ignored by record-results-9 (exactly once).

  KEYS: as record-results-9 (run, items, results, latency, succeeded, failed, cancelled, events,
        errtypes)
  ARGV[1] now (ms)   ARGV[2] events maxlen   ARGV[3] terminal status (`cancelled` | `failed`)
  ARGV[4] error message ("" for none)        ARGV[5] result JSON for items without a result

  Returns:
    {1, n}         the run ended; n items recorded `cancelled`
    {0, status}    the run was already terminal: nothing written
    {-1}           the run does not exist
  Events: `progress`, then `status` {status, error?}.
]]
--@include finish-early
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {-1} end
if status ~= 'queued' and status ~= 'running' then return {0, status} end
local n = finishEarly(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return {1, n}
