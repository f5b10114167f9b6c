--[[
  Gate before attempts start: checks the run may go on, moves it `queued -> running` on the
  first claim, and returns the claimed items that have no result yet. An attempt starts only
  after this script said so, so it is ordered against finish-run-9 (DESIGN invariant 3).

  KEYS[1] runKey       run hash
  KEYS[2] itemsKey     items hash
  KEYS[3] resultsKey   results hash
  KEYS[4] eventsKey    events stream
  ARGV[1] now (ms)   ARGV[2] with items ("1" returns item JSON)  ARGV[3] with spec ("1")
  ARGV[4] events maxlen   ARGV[5..] item indexes

  Returns (codes: includes/codes.lua):
    {OK, spec|false, index, itemJSON|"", index, itemJSON|"", ...}  run goes on; pairs only for
                                                                    items without a result
    {RUN_NOT_FOUND}          the run does not exist (deleted or expired)
    {RUN_TERMINAL, status}   the run is terminal (completed, failed, cancelled)
  Events: `status` {status: "running"} on the first claim.
]]
--@include codes
local runKey, itemsKey, resultsKey, eventsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local status = redis.call('HGET', runKey, 'status')
if not status then return {Code.RUN_NOT_FOUND} end
if status ~= 'queued' and status ~= 'running' then return {Code.RUN_TERMINAL, status} end
if status == 'queued' then
  redis.call('HSET', runKey, 'status', 'running', 'startedAt', ARGV[1])
  redis.call('XADD', eventsKey, 'MAXLEN', '~', ARGV[4], '*', 'type', 'status',
    'data', cjson.encode({status = 'running', at = tonumber(ARGV[1])}))
end
local spec = false
if ARGV[3] == '1' then spec = redis.call('HGET', runKey, 'spec') end
local out = {Code.OK, spec}
local withItems = ARGV[2] == '1'
for i = 5, #ARGV do
  if redis.call('HEXISTS', resultsKey, ARGV[i]) == 0 then
    out[#out + 1] = ARGV[i]
    if withItems then
      out[#out + 1] = redis.call('HGET', itemsKey, ARGV[i]) or ''
    else
      out[#out + 1] = ''
    end
  end
end
return out
