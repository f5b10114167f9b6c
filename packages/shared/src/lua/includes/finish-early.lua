--[[
  Shared by finish-run-9 and record-results-9 (inlined at load time by `defineScripts` in
  redis.ts where a script holds the line `--@include finish-early`). KEYS as record-results-9;
  the including script declares their named locals first (runKey, resultsKey, cancelledKey,
  eventsKey are used here, and latencyKey through latencySummary), and includes latency-hist
  and batch before this file.

  endRun(now, maxlen, status, err, ttl): the terminal transition of an active run. The run moves
  to `status` (with `error` when err ~= ''), its latency summary cache is written
  (`latencySummary`, stamped with its final counters: includes/latency-hist.lua, which the
  including script must include first; the histogram no longer changes), a `status`
  {status, at, error?} event is added, and every one of KEYS (1..9) gets the retention TTL `ttl`
  (seconds).

  An early end (cancel, a budget stop, a run that cannot go on) is written a slice of items at a
  time, so ending a huge run never holds Redis for long (one script per 10,000 items by default,
  like BullMQ's `obliterate` pages its deletes): a 1,000,000-item cancel is 100 short scripts,
  not one of several seconds (`npm run bench:cancel`).
  beginEnding(status, err, resultJson): marks the active run as ending: run hash fields
  `endingStatus` (`cancelled` | `failed`), `endingError`, `endingResult` (the `cancelled` result
  each item without a result gets) and `endingFrom` (the next item index to fill, 0). From then
  on claim-items-4 claims nothing, record-results-9 records nothing and find-open-chunks-2 finds
  nothing: the run is ended in all but its status, and only the fill goes on. The caller checked
  the run is active and not ending.
  continueEnding(now, maxlen, slice): fills item indexes [endingFrom, endingFrom + slice) of the
  ending run: each without a result gets `endingResult` and its bit in the cancelled bitmap
  (HMGET, HSET and BITFIELD over the slice, 1,000 arguments per command: includes/batch.lua),
  `cancelledCount` grows by as many and a `progress` event says so (slice 0 fills nothing: it
  only ends a run whose items all have a result). When that reaches totalItems the counters sum
  to it, the ending fields are deleted and `endRun` ends the run `endingStatus`. Returns the
  items recorded `cancelled` by this call and the next index to fill, or -1 when the run ended.
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

local function beginEnding(status, err, resultJson)
  redis.call('HSET', runKey, 'endingStatus', status, 'endingError', err, 'endingResult',
    resultJson, 'endingFrom', 0)
end

local function continueEnding(now, maxlen, slice)
  local h = redis.call('HMGET', runKey, 'totalItems', 'ttlSeconds', 'endingStatus', 'endingError',
    'endingResult', 'endingFrom')
  local total, ttl, from = tonumber(h[1]), tonumber(h[2]), tonumber(h[6])
  local to = math.min(from + slice, total)
  local n = 0
  local fields = {}
  if redis.call('HLEN', resultsKey) >= total then
    to = total -- every item has a result already: nothing to fill
  else
    for i = from, to - 1 do fields[#fields + 1] = i end
  end
  local have = hmgetAll(resultsKey, fields)
  local writes, ops = {}, {}
  for j = 1, #fields do
    if not have[j] then
      writes[#writes + 1] = fields[j]
      writes[#writes + 1] = h[5]
      ops[#ops + 1] = 'SET'; ops[#ops + 1] = 'u1'; ops[#ops + 1] = fields[j]; ops[#ops + 1] = 1
    end
  end
  if #writes > 0 then
    callSliced('HSET', resultsKey, writes, 2)
    callSliced('BITFIELD', cancelledKey, ops, 4)
    n = #writes / 2
  end
  local x = redis.call('HINCRBY', runKey, 'cancelledCount', n)
  if n > 0 or to >= total then
    local c = redis.call('HMGET', runKey, 'succeededCount', 'failedCount')
    local s, f = tonumber(c[1]) or 0, tonumber(c[2]) or 0
    redis.call('XADD', eventsKey, 'MAXLEN', '~', maxlen, '*', 'type', 'progress', 'data',
      cjson.encode({done = s + f + x, total = total, succeeded = s, failed = f, cancelled = x}))
  end
  if to < total then
    redis.call('HSET', runKey, 'endingFrom', to)
    return n, to
  end
  redis.call('HDEL', runKey, 'endingStatus', 'endingError', 'endingResult', 'endingFrom')
  endRun(now, maxlen, h[3], h[4], ttl)
  return n, -1
end
