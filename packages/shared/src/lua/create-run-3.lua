--[[
  Commits a run whose items are already staged: the run becomes visible (status `queued`).

  KEYS[1] run hash     KEYS[2] items hash     KEYS[3] events stream
  ARGV[1] now (ms)     ARGV[2] events maxlen  ARGV[3] safety TTL (seconds)
  ARGV[4] totalItems   ARGV[5..] field, value pairs of the run hash

  Returns:
    1   created
    0   a run with this id already exists (nothing written)
   -2   staged items do not number totalItems (nothing written)
  Events: `status` {status: "queued"}.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('HLEN', KEYS[2]) ~= tonumber(ARGV[4]) then return -2 end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'type', 'status',
  'data', cjson.encode({status = 'queued', at = tonumber(ARGV[1])}))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return 1
