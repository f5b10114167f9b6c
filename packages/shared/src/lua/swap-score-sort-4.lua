--[[
  Puts a freshly built sort index of a run in place (result-queries.ts: the score index
  `scoresort`, or the latency index `latsort`, same shape): renames the
  build's temporary zset onto the index and records the result count it was built from, both
  with a short TTL that never outlives the run's own keys. A run deleted (or expired) while the
  index was being built gets nothing: the build is dropped.

  KEYS[1] runKey         the run hash
  KEYS[2] tempKey        the zset the build wrote (may not exist: no result had a score / latency)
  KEYS[3] indexKey       the run's sort zset (scoresort or latsort)
  KEYS[4] builtKey       string: what the index was built from, `<result count>:<ms>`
  ARGV[1] ttl (ms)       ARGV[2] `<result count>:<ms>`: the count the build read before it
                         started and when it started (the rebuild interval of a running run)

  Returns (codes: includes/codes.lua):
    {OK}              the index (or its absence: nothing scored) is in place
    {RUN_NOT_FOUND}   the run is gone: the build was deleted, nothing else written
]]
--@include codes
local runKey, tempKey, indexKey, builtKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local runTtl = redis.call('PTTL', runKey)
if runTtl == -2 then
  redis.call('DEL', tempKey)
  return {Code.RUN_NOT_FOUND}
end
local ttl = tonumber(ARGV[1])
if runTtl > 0 and runTtl < ttl then ttl = runTtl end
if redis.call('EXISTS', tempKey) == 1 then
  redis.call('RENAME', tempKey, indexKey)
  redis.call('PEXPIRE', indexKey, ttl)
else
  redis.call('DEL', indexKey)
end
redis.call('SET', builtKey, ARGV[2], 'PX', ttl)
return {Code.OK}
