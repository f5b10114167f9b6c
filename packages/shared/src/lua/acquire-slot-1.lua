--[[
  Fleet-wide concurrency of one run (`execution.concurrency`): a counting semaphore over a zset
  of holder ids scored by lease expiry, so a slot of a dead worker frees itself.

  KEYS[1] slotsKey   the run's slots zset (runledger:{<runId>}:slots)
  ARGV[1] now (ms)   ARGV[2] limit (slots)   ARGV[3] holder id   ARGV[4] lease (ms)

  Removes expired holders, then takes a slot for the holder when fewer than `limit` are held
  (a holder already present is renewed). The key's TTL is set to twice the lease on each take.

  Returns (codes: includes/codes.lua):
    {OK, 0}        acquired (release with ZREM slotsKey holder)
    {BUSY, waitMs} all slots held; waitMs: until the earliest lease expires (a hint, >= 1)
]]
--@include codes
local slotsKey = KEYS[1]
local now, limit, holder, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', slotsKey, '-inf', now)
if redis.call('ZSCORE', slotsKey, holder) or redis.call('ZCARD', slotsKey) < limit then
  redis.call('ZADD', slotsKey, now + lease, holder)
  redis.call('PEXPIRE', slotsKey, lease * 2)
  return {Code.OK, 0}
end
local first = redis.call('ZRANGE', slotsKey, 0, 0, 'WITHSCORES')
local wait = math.max(1, tonumber(first[2]) - now)
return {Code.BUSY, wait}
