--[[
  Lists a rerun in its parent's keyspace: adds the child run id to the parent's reruns zset
  (score: the child's createdAt), with the parent's TTL (a finished run's retention), so the
  list lives exactly as long as the parent's other keys.

  KEYS[1] the parent's run hash   KEYS[2] the parent's reruns zset
  ARGV[1] child run id   ARGV[2] child createdAt (ms)

  Returns:
    1   added (or already there)
    0   the parent does not exist (deleted or expired): nothing written
]]
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -2 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if pttl > 0 then
  redis.call('PEXPIRE', KEYS[2], pttl)
else
  redis.call('PERSIST', KEYS[2])
end
return 1
