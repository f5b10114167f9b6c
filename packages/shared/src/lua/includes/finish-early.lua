--[[
  Shared by finish-run-9 and record-results-9 (inlined at load time by `defineScripts` in
  redis.ts where a script holds the line `--@include finish-early`). KEYS as record-results-9;
  the including script declares their named locals first (runKey, resultsKey, cancelledKey,
  eventsKey are used here, and latencyKey through latencySummary).

  endRun(now, maxlen, status, err, ttl): the terminal transition of an active run. The run moves
  to `status` (with `error` when err ~= ''), its latency summary cache is written
  (`latencySummary`, stamped with its final counters: includes/latency-hist.lua, which the
  including script must include first; the histogram no longer changes), a `status`
  {status, at, error?} event is added, and every one of KEYS (1..9) gets the retention TTL `ttl`
  (seconds).

  finishEarly(now, maxlen, status, err, resultJson): ends an active run early. Every item
  without a result gets `resultJson` (a `cancelled` result) and its bit in the cancelled bitmap, the
  counters then sum to totalItems, a `progress` event is added, then `endRun`.
  The caller checked the run is active. Returns the number of items recorded `cancelled`.
]]
local function endRun(now, maxlen, status, err, ttl)
  local nowNum = tonumber(now)
  local mm = redis.call('HMGET', runKey, 'latencyMinMs', 'latencyMaxMs', 'succeededCount',
    'failedCount', 'cancelledCount')
  redis.call('HSET', runKey, 'status', status, 'completedAt', now,
    'expiresAt', string.format('%.0f', nowNum + ttl * 1000),
    'latencySummary', summaryCache(summaryStamp(mm[3], mm[4], mm[5]),
      latencySummary(mm[1], mm[2], SUMMARY_PERCENTILES)))
  local ev = {status = status, at = nowNum}
  if err ~= '' then
    redis.call('HSET', runKey, 'error', err)
    ev.error = err
  end
  redis.call('XADD', eventsKey, 'MAXLEN', '~', maxlen, '*', 'type', 'status', 'data',
    cjson.encode(ev))
  for k = 1, #KEYS do redis.call('EXPIRE', KEYS[k], ttl) end
end

local function finishEarly(now, maxlen, status, err, resultJson)
  local h = redis.call('HMGET', runKey, 'totalItems', 'ttlSeconds')
  local total, ttl = tonumber(h[1]), tonumber(h[2])
  local n = 0
  if redis.call('HLEN', resultsKey) < total then
    for i = 0, total - 1 do
      if redis.call('HSETNX', resultsKey, i, resultJson) == 1 then
        redis.call('SETBIT', cancelledKey, i, 1)
        n = n + 1
      end
    end
  end
  local x = redis.call('HINCRBY', runKey, 'cancelledCount', n)
  local c = redis.call('HMGET', runKey, 'succeededCount', 'failedCount')
  local s, f = tonumber(c[1]) or 0, tonumber(c[2]) or 0
  redis.call('XADD', eventsKey, 'MAXLEN', '~', maxlen, '*', 'type', 'progress', 'data',
    cjson.encode({done = s + f + x, total = total, succeeded = s, failed = f, cancelled = x}))
  endRun(now, maxlen, status, err, ttl)
  return n
end
