--[[
  Reads a run hash, its latency percentiles, its error types and its reruns in one round trip.

  KEYS[1] runKey        run hash
  KEYS[2] latencyKey    latency zset
  KEYS[3] errtypesKey   errtypes hash
  KEYS[4] rerunsKey     reruns zset
  ARGV: percentiles in (0, 100], e.g. 50 90 99

  Returns (codes: includes/codes.lua):
    {OK, fields (flat HGETALL), count, max, p_1, p_2, ..., errtypes (flat HGETALL), reruns}
      count: latency entries; max and p_k: latency in ms as strings, false when count is 0.
      Percentiles use the nearest-rank method: rank = ceil(p / 100 * count)
      (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method).
      errtypes: `n:<type>`, count, `m:<type>`, first message, ... (record-results-9).
      reruns: rerun run ids, oldest first (ZRANGE by createdAt).
    {RUN_NOT_FOUND}   the run does not exist
]]
--@include codes
local runKey, latencyKey, errtypesKey, rerunsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local fields = redis.call('HGETALL', runKey)
if #fields == 0 then return {Code.RUN_NOT_FOUND} end
local count = redis.call('ZCARD', latencyKey)
local out = {Code.OK, fields, count}
if count == 0 then
  out[4] = false
  for i = 1, #ARGV do out[4 + i] = false end
else
  out[4] = redis.call('ZRANGE', latencyKey, -1, -1, 'WITHSCORES')[2]
  for i = 1, #ARGV do
    local rank = math.ceil(tonumber(ARGV[i]) / 100 * count) - 1
    if rank < 0 then rank = 0 end
    out[4 + i] = redis.call('ZRANGE', latencyKey, rank, rank, 'WITHSCORES')[2]
  end
end
out[5 + #ARGV] = redis.call('HGETALL', errtypesKey)
out[6 + #ARGV] = redis.call('ZRANGE', rerunsKey, 0, -1)
return out
