--[[
  Ends a run early (cancel, or failure of the run itself), one slice of items per call: every
  item without a result gets a `cancelled` result, counters then sum to totalItems, the run moves
  to `status` and every key gets the run's retention TTL. The caller calls again while the reply
  says there is more (includes/finish-early.lua: beginEnding, continueEnding). The first call
  marks the run as ending: from then on no item is claimed and no result recorded, so items in
  flight keep running until their worker hears of it on the cancel channel, and their late
  results are ignored by record-results-9 (exactly once). A call that finds the run ending
  already (another caller's, e.g. a budget stop or a caller that died) continues that ending,
  with its status and error, not ARGV's.

  KEYS: as record-results-9 (runKey, itemsKey, resultsKey, latencyKey, succeededKey, failedKey,
        cancelledKey, eventsKey, errtypesKey)
  ARGV[1] now (ms)   ARGV[2] events maxlen   ARGV[3] terminal status (`cancelled` | `failed`)
  ARGV[4] error message ("" for none)        ARGV[5] result JSON for items without a result
  ARGV[6] items to fill in this call (the slice)

  Returns (codes: includes/codes.lua):
    {OK, n, next, began, status}
                             n items recorded `cancelled` by this call; next: -1 when the run
                             ended, else call again; began: 1 when this call began the ending;
                             status: the one the run ends with
    {RUN_TERMINAL, status}   the run was already terminal: nothing written
    {RUN_NOT_FOUND}          the run does not exist
  Events: `progress` per call that recorded items, then `status` {status, error?} at the end.
]]
--@include codes
local runKey, itemsKey, resultsKey, latencyKey, succeededKey, failedKey, cancelledKey,
  eventsKey, errtypesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7],
  KEYS[8], KEYS[9]
--@include latency-hist
--@include batch
--@include finish-early
local h = redis.call('HMGET', runKey, 'status', 'endingStatus')
local status = h[1]
if not status then return {Code.RUN_NOT_FOUND} end
if status ~= 'queued' and status ~= 'running' then return {Code.RUN_TERMINAL, status} end
local began, ending = 0, h[2]
if not ending then
  beginEnding(ARGV[3], ARGV[4], ARGV[5])
  began, ending = 1, ARGV[3]
end
local n, next = continueEnding(ARGV[1], ARGV[2], tonumber(ARGV[6]))
return {Code.OK, n, next, began, ending}
