--[[
  Lists a rerun in its parent's keyspace: adds the child run id to the parent's reruns zset
  (score: the child's createdAt), with the parent's TTL (a finished run's retention), so the
  list lives exactly as long as the parent's other keys.

  KEYS[1] parentRunKey   the parent's run hash
  KEYS[2] rerunsKey      the parent's reruns zset
  ARGV[1] child run id   ARGV[2] child createdAt (ms)

  Returns (codes: includes/codes.lua):
    {OK}              added (or already there)
    {RUN_NOT_FOUND}   the parent does not exist (deleted or expired): nothing written
]]
--@include codes
local parentRunKey, rerunsKey = KEYS[1], KEYS[2]
local pttl = redis.call('PTTL', parentRunKey)
if pttl == -2 then return {Code.RUN_NOT_FOUND} end
redis.call('ZADD', rerunsKey, ARGV[2], ARGV[1])
if pttl > 0 then
  redis.call('PEXPIRE', rerunsKey, pttl)
else
  redis.call('PERSIST', rerunsKey)
end
return {Code.OK}
