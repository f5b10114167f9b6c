--[[
  Ends a run early (cancel, or failure of the run itself): every item without a result gets a
  `cancelled` result, counters then sum to totalItems, the run moves to `status` and every key
  gets the run's retention TTL. Items in flight keep running until their worker hears of it on
  the cancel channel; their late results are ignored by record-results-8 (exactly once).

  KEYS: as record-results-8 (run, items, results, latency, succeeded, failed, cancelled, events)
  ARGV[1] now (ms)   ARGV[2] events maxlen   ARGV[3] terminal status (`cancelled` | `failed`)
  ARGV[4] error message ("" for none)        ARGV[5] result JSON for items without a result

  Returns:
    {1, n}         the run ended; n items recorded `cancelled`
    {0, status}    the run was already terminal: nothing written
    {-1}           the run does not exist
  Events: `progress`, then `status` {status, error?}.
]]
local h = redis.call('HMGET', KEYS[1], 'status', 'totalItems', 'ttlSeconds')
if not h[1] then return {-1} end
if h[1] ~= 'queued' and h[1] ~= 'running' then return {0, h[1]} end
local total, ttl, now = tonumber(h[2]), tonumber(h[3]), tonumber(ARGV[1])
local n = 0
if redis.call('HLEN', KEYS[3]) < total then
  for i = 0, total - 1 do
    if redis.call('HSETNX', KEYS[3], i, ARGV[5]) == 1 then
      redis.call('ZADD', KEYS[7], i, i)
      n = n + 1
    end
  end
end
redis.call('HINCRBY', KEYS[1], 'cancelledCount', n)
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'completedAt', ARGV[1],
  'expiresAt', string.format('%.0f', now + ttl * 1000))
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end
local c = redis.call('HMGET', KEYS[1], 'succeededCount', 'failedCount', 'cancelledCount')
local s, f, x = tonumber(c[1]) or 0, tonumber(c[2]) or 0, tonumber(c[3]) or 0
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[2], '*', 'type', 'progress', 'data',
  cjson.encode({done = s + f + x, total = total, succeeded = s, failed = f, cancelled = x}))
local ev = {status = ARGV[3], at = now}
if ARGV[4] ~= '' then ev.error = ARGV[4] end
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[2], '*', 'type', 'status', 'data', cjson.encode(ev))
for k = 1, 8 do redis.call('EXPIRE', KEYS[k], ttl) end
return {1, n}
