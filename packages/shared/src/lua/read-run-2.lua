--[[
  Reads a run hash and its latency percentiles in one round trip.

  KEYS[1] run hash   KEYS[2] latency zset
  ARGV: percentiles in (0, 100], e.g. 50 90 99

  Returns:
    {}                                   the run does not exist
    {fields (flat HGETALL), count, max, p_1, p_2, ...}
      count: latency entries; max and p_k: latency in ms as strings, false when count is 0.
      Percentiles use the nearest-rank method: rank = ceil(p / 100 * count)
      (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method).
]]
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {} end
local count = redis.call('ZCARD', KEYS[2])
local out = {fields, count}
if count == 0 then
  out[3] = false
  for i = 1, #ARGV do out[3 + i] = false end
  return out
end
out[3] = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
for i = 1, #ARGV do
  local rank = math.ceil(tonumber(ARGV[i]) / 100 * count) - 1
  if rank < 0 then rank = 0 end
  out[3 + i] = redis.call('ZRANGE', KEYS[2], rank, rank, 'WITHSCORES')[2]
end
return out
