--[[
  Fleet-wide concurrency of one run (`execution.concurrency`): a counting semaphore over a zset
  of holder ids scored by lease expiry, so a slot of a dead worker frees itself.

  KEYS[1] the run's slots zset (runledger:{<runId>}:slots)
  ARGV[1] now (ms)   ARGV[2] limit (slots)   ARGV[3] holder id   ARGV[4] lease (ms)

  Removes expired holders, then takes a slot for the holder when fewer than `limit` are held
  (a holder already present is renewed). The key's TTL is set to twice the lease on each take.

  Returns:
    {1, 0}        acquired (release with ZREM KEYS[1] holder)
    {0, waitMs}   all slots held; waitMs: until the earliest lease expires (a hint, >= 1)
]]
local now, limit, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = math.max(1, tonumber(first[2]) - now)
return {0, wait}
