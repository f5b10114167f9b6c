--[[
  Reads a run hash, its latency percentiles, its error types and its reruns in one round trip.

  KEYS[1] runKey        run hash
  KEYS[2] latencyKey    latency histogram hash (bucket -> count, includes/latency-hist.lua)
  KEYS[3] errtypesKey   errtypes hash
  KEYS[4] rerunsKey     reruns zset
  ARGV: percentiles in (0, 100], e.g. 50 90 99

  Returns (codes: includes/codes.lua):
    {OK, fields, count, max, p_1, p_2, ..., errtypes, reruns}
      fields, errtypes: the hash as ONE JSON object string (field -> value; one reply value
      and one JSON.parse instead of two values per field).
      count: latencies recorded; max and p_k: latency in ms as strings, false when count is 0.
      max is exact (the run hash's latencyMaxMs). Percentiles use the nearest-rank method:
      rank = ceil(p / 100 * count) (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method)
      over the histogram: rank 1 answers the exact min, rank count the exact max, any other the
      value of the bucket holding that rank (latency-hist.lua), clamped to [min, max] (within 1% of the exact
      nearest-rank latency).
      errtypes: `n:<type>`, count, `m:<type>`, first message, ... (record-results-9).
      reruns: rerun run ids, oldest first (ZRANGE by createdAt).
    {RUN_NOT_FOUND}   the run does not exist
]]
--@include codes
--@include latency-hist
local runKey, latencyKey, errtypesKey, rerunsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local fields = redis.call('HGETALL', runKey)
if #fields == 0 then return {Code.RUN_NOT_FOUND} end
-- a flat HGETALL answer as one JSON object string
local function hashJson(flat)
  if #flat == 0 then return '{}' end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return cjson.encode(t)
end
local flat = redis.call('HGETALL', latencyKey)
local buckets, count = {}, 0
for i = 1, #flat, 2 do
  local n = tonumber(flat[i + 1])
  buckets[#buckets + 1] = {tonumber(flat[i]), n}
  count = count + n
end
local out = {Code.OK, hashJson(fields), count}
if count == 0 then
  out[4] = false
  for i = 1, #ARGV do out[4 + i] = false end
else
  table.sort(buckets, function(a, b) return a[1] < b[1] end)
  local mm = redis.call('HMGET', runKey, 'latencyMinMs', 'latencyMaxMs')
  local lo, hi = tonumber(mm[1]) or 0, tonumber(mm[2]) or 0
  out[4] = mm[2] or false
  for i = 1, #ARGV do
    local rank = math.ceil(tonumber(ARGV[i]) / 100 * count)
    if rank < 1 then rank = 1 end
    if rank >= count then
      out[4 + i] = mm[2] or false
    elseif rank == 1 then
      out[4 + i] = mm[1] or false
    else
      local seen, v = 0, hi
      for _, b in ipairs(buckets) do
        seen = seen + b[2]
        if seen >= rank then
          v = latencyValue(b[1])
          break
        end
      end
      if v < lo then v = lo end
      if v > hi then v = hi end
      out[4 + i] = string.format('%.15g', v)
    end
  end
end
out[5 + #ARGV] = hashJson(redis.call('HGETALL', errtypesKey))
out[6 + #ARGV] = redis.call('ZRANGE', rerunsKey, 0, -1)
return out
