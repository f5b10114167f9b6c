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
