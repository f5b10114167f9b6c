--[[
  The run's latency histogram (`--@include latency-hist`): HdrHistogram-style fixed log buckets,
  the same constants as `LATENCY_BUCKET_UNIT_MS` / `LATENCY_BUCKET_RATIO` in ../../histogram.ts
  (a test holds them equal). KEYS[latency] is a hash: bucket -> count of latencies in it.

  Bucket b >= 0 holds latencies in [UNIT * RATIO^b, UNIT * RATIO^(b+1)) ms; bucket -1 holds the
  ones below UNIT (1 microsecond). A bucket reports one value inside it: the decimal with the
  fewest significant digits in the bucket, nearest its geometric middle (a bucket holding 30
  answers 30, not 30.07); so within RATIO - 1 = 1% of every latency of the bucket (bucket -1:
  0). Readers clamp it to the run's exact [min, max]: min, max and the sum are kept exact in the
  run hash (latencyMinMs, latencyMaxMs, latencySumMs).

  latencyBucket(ms) -> b;  latencyValue(b) -> ms (the bucket's reported value).

  latencySummary(minMs, maxMs, ps) -> {count, max, p_1, ..., p_n}: the latencies recorded
  (count), the exact max and the nearest-rank percentiles ps (e.g. {50, 90, 99}) read from
  KEYS[latency] (`latencyKey`, declared by the including script), ms as '%.15g' strings; max
  and every p_k false when count is 0. rank = ceil(p / 100 * count)
  (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method): rank 1 answers the exact
  min, rank count the exact max, any other the value of the bucket holding that rank, clamped to
  [min, max] (within 1% of the exact nearest-rank latency). minMs, maxMs: the run hash's exact
  latencyMinMs / latencyMaxMs (strings, or false). The buckets are walked once in order, after a
  sort of their numbers (no comparator function).

  SUMMARY_PERCENTILES: the percentiles `GET /v1/runs/:id` shows (PERCENTILES in
  ../../store/runs.ts). Their summary is cached in the run hash as `latencySummary` =
  `<succeeded>,<failed>,<cancelled>|<summary JSON>`: the run's three counters when it was
  computed, then the JSON of latencySummary. record-results-9 changes the histogram only in the
  call that raises those counters (exactly once per item), so while they equal the stamp the
  histogram is the one summarised. endRun writes it when a run ends (the histogram no longer
  changes then), read-run-4 when it had to compute it.

  summaryStamp(succeeded, failed, cancelled) -> the stamp of the counters (hash strings or
  false/nil); cachedSummary(value, stamp) -> the cached summary (a Lua array) when `value` is
  well formed and carries `stamp`, else nil; summaryCache(stamp, summary) -> the field value.
]]
local LAT_UNIT, LAT_RATIO = 0.001, 1.01
local LAT_LOG = math.log(LAT_RATIO)
local function latencyBucket(ms)
  if ms < LAT_UNIT then return -1 end
  return math.floor(math.log(ms / LAT_UNIT) / LAT_LOG)
end
local function latencyValue(b)
  if b < 0 then return 0 end
  local lo, hi = LAT_UNIT * LAT_RATIO ^ b, LAT_UNIT * LAT_RATIO ^ (b + 1)
  local mid = LAT_UNIT * LAT_RATIO ^ (b + 0.5)
  for digits = 1, 16 do
    local v = tonumber(string.format('%.' .. digits .. 'g', mid))
    if v >= lo and v < hi then return v end
  end
  return mid
end
local SUMMARY_PERCENTILES = {50, 90, 99}
local function latencySummary(minMs, maxMs, ps)
  local flat = redis.call('HGETALL', latencyKey)
  local counts, order, count = {}, {}, 0
  for i = 1, #flat, 2 do
    local b, n = tonumber(flat[i]), tonumber(flat[i + 1])
    if counts[b] == nil then order[#order + 1] = b; counts[b] = 0 end
    counts[b] = counts[b] + n
    count = count + n
  end
  local out = {count}
  if count == 0 then
    for i = 1, #ps + 1 do out[1 + i] = false end
    return out
  end
  table.sort(order)
  local lo, hi = tonumber(minMs) or 0, tonumber(maxMs) or 0
  out[2] = maxMs or false
  for i = 1, #ps do
    local rank = math.ceil(tonumber(ps[i]) / 100 * count)
    if rank < 1 then rank = 1 end
    if rank >= count then
      out[2 + i] = maxMs or false
    elseif rank == 1 then
      out[2 + i] = minMs or false
    else
      local seen, v = 0, hi
      for _, b in ipairs(order) do
        seen = seen + counts[b]
        if seen >= rank then
          v = latencyValue(b)
          break
        end
      end
      if v < lo then v = lo end
      if v > hi then v = hi end
      out[2 + i] = string.format('%.15g', v)
    end
  end
  return out
end
local function summaryStamp(succeeded, failed, cancelled)
  return (succeeded or '0') .. ',' .. (failed or '0') .. ',' .. (cancelled or '0')
end
local function cachedSummary(value, stamp)
  if not value then return nil end
  local bar = string.find(value, '|', 1, true)
  if not bar or string.sub(value, 1, bar - 1) ~= stamp then return nil end
  local ok, stored = pcall(cjson.decode, string.sub(value, bar + 1))
  if ok and type(stored) == 'table' and #stored == #SUMMARY_PERCENTILES + 2 and
      type(stored[1]) == 'number' then
    return stored
  end
  return nil
end
local function summaryCache(stamp, summary)
  return stamp .. '|' .. cjson.encode(summary)
end
