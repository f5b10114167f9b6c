--[[
  Commits a run whose items are already staged: the run becomes visible (status `queued`).

  KEYS[1] runKey      run hash
  KEYS[2] itemsKey    items hash (staged)
  KEYS[3] eventsKey   events stream
  ARGV[1] now (ms)     ARGV[2] events maxlen  ARGV[3] safety TTL (seconds)
  ARGV[4] totalItems   ARGV[5..] field, value pairs of the run hash

  Returns (codes: includes/codes.lua):
    {OK}                      created
    {RUN_EXISTS}              a run with this id already exists (nothing written)
    {STAGED_COUNT_MISMATCH}   staged items do not number totalItems (nothing written)
  Events: `status` {status: "queued"}.
]]
--@include codes
local runKey, itemsKey, eventsKey = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', runKey) == 1 then return {Code.RUN_EXISTS} end
if redis.call('HLEN', itemsKey) ~= tonumber(ARGV[4]) then return {Code.STAGED_COUNT_MISMATCH} end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', runKey, unpack(fields))
redis.call('XADD', eventsKey, 'MAXLEN', '~', ARGV[2], '*', 'type', 'status',
  'data', cjson.encode({status = 'queued', at = tonumber(ARGV[1])}))
redis.call('EXPIRE', runKey, ARGV[3])
redis.call('EXPIRE', itemsKey, ARGV[3])
redis.call('EXPIRE', eventsKey, ARGV[3])
return {Code.OK}
