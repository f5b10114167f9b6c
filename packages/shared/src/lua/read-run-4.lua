--[[
  Reads a run hash, its latency percentiles, its error types and its reruns in one round trip.

  KEYS[1] run hash   KEYS[2] latency zset   KEYS[3] errtypes hash   KEYS[4] reruns zset
  ARGV: percentiles in (0, 100], e.g. 50 90 99

  Returns:
    {}                                   the run does not exist
    {fields (flat HGETALL), count, max, p_1, p_2, ..., errtypes (flat HGETALL), reruns}
      count: latency entries; max and p_k: latency in ms as strings, false when count is 0.
      Percentiles use the nearest-rank method: rank = ceil(p / 100 * count)
      (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method).
      errtypes: `n:<type>`, count, `m:<type>`, first message, ... (record-results-9).
      reruns: rerun run ids, oldest first (ZRANGE by createdAt).
]]
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {} end
local count = redis.call('ZCARD', KEYS[2])
local out = {fields, count}
if count == 0 then
  out[3] = false
  for i = 1, #ARGV do out[3 + i] = false end
else
  out[3] = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
  for i = 1, #ARGV do
    local rank = math.ceil(tonumber(ARGV[i]) / 100 * count) - 1
    if rank < 0 then rank = 0 end
    out[3 + i] = redis.call('ZRANGE', KEYS[2], rank, rank, 'WITHSCORES')[2]
  end
end
out[4 + #ARGV] = redis.call('HGETALL', KEYS[3])
out[5 + #ARGV] = redis.call('ZRANGE', KEYS[4], 0, -1)
return out
