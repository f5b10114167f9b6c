--[[
  Gate before attempts start: checks the run may go on, moves it `queued -> running` on the
  first claim, and returns the claimed items that have no result yet. An attempt starts only
  after this script said so, so it is ordered against finish-run-9 (DESIGN invariant 3).

  KEYS[1] run hash   KEYS[2] items hash   KEYS[3] results hash   KEYS[4] events stream
  ARGV[1] now (ms)   ARGV[2] with items ("1" returns item JSON)  ARGV[3] with spec ("1")
  ARGV[4] events maxlen   ARGV[5..] item indexes

  Returns:
    {1, spec|false, index, itemJSON|"", index, itemJSON|"", ...}  run goes on; pairs only for
                                                                   items without a result
    {0}              the run does not exist (deleted or expired)
    {-1, status}     the run is terminal (completed, failed, cancelled)
  Events: `status` {status: "running"} on the first claim.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0} end
if status ~= 'queued' and status ~= 'running' then return {-1, status} end
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', ARGV[1])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'type', 'status',
    'data', cjson.encode({status = 'running', at = tonumber(ARGV[1])}))
end
local spec = false
if ARGV[3] == '1' then spec = redis.call('HGET', KEYS[1], 'spec') end
local out = {1, spec}
local withItems = ARGV[2] == '1'
for i = 5, #ARGV do
  if redis.call('HEXISTS', KEYS[3], ARGV[i]) == 0 then
    out[#out + 1] = ARGV[i]
    if withItems then
      out[#out + 1] = redis.call('HGET', KEYS[2], ARGV[i]) or ''
    else
      out[#out + 1] = ''
    end
  end
end
return out
