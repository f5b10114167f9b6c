--[[
  Takes a finished run into its keep-last group and prunes the group to its newest N finished
  runs, atomically (packages/shared/src/store/retention.ts; docs/architecture.md, keep-last).
  Every key here shares the hash tag `{retention}`; the run's own keys are in another slot, so
  the caller writes the run's terminal transition first, then calls this, then deletes the
  pruned runs (they wait in `pending` until deleted).

  KEYS[1] kept      zset: the group's kept finished runs, score completedAt (ms)
  KEYS[2] settled   zset: every run the group ever took in (kept, pruned or deleted), score the
                    run's expiresAt (ms); members past it are dropped from both zsets here
  KEYS[3] pending   set: runs pruned and not deleted yet (all groups)
  ARGV[1] now (ms)  ARGV[2] run id  ARGV[3] completedAt (ms)  ARGV[4] expiresAt (ms)
  ARGV[5] keepLast N (0: take the run in, prune nothing)
  ARGV[6] `forget` (optional): the run is being deleted: it leaves `kept` and joins `settled`
          (score raised to ARGV[4] at least) instead; nothing is pruned

  A run already in `settled` is not taken in again (a second call, or a run deleted meanwhile:
  ./store/runs.ts `deleteRun` settles it first). Then, with N > 0, the oldest members of `kept`
  beyond N (ZPOPMIN: lowest completedAt, then lowest id) move to `pending`. Both zsets expire
  with the latest expiresAt of `settled`.

  Returns (codes: includes/codes.lua):
    {OK, added, {pruned run id, ...}}   added: 1 when the run was taken in now
]]
--@include codes
local kept, settled, pending = KEYS[1], KEYS[2], KEYS[3]
local runId, keep = ARGV[2], tonumber(ARGV[5])
local expired = redis.call('ZRANGEBYSCORE', settled, '-inf', ARGV[1])
for i = 1, #expired, 500 do
  local batch = {}
  for j = i, math.min(i + 499, #expired) do batch[#batch + 1] = expired[j] end
  redis.call('ZREM', kept, unpack(batch))
  redis.call('ZREM', settled, unpack(batch))
end
local added = 0
if ARGV[6] == 'forget' then
  redis.call('ZREM', kept, runId)
  redis.call('ZADD', settled, 'GT', ARGV[4], runId)
  keep = 0
elseif not redis.call('ZSCORE', settled, runId) then
  redis.call('ZADD', kept, ARGV[3], runId)
  redis.call('ZADD', settled, ARGV[4], runId)
  added = 1
end
local pruned = {}
if keep > 0 then
  local extra = redis.call('ZCARD', kept) - keep
  if extra > 0 then
    local popped = redis.call('ZPOPMIN', kept, extra)
    for i = 1, #popped, 2 do
      pruned[#pruned + 1] = popped[i]
      redis.call('SADD', pending, popped[i])
    end
  end
end
local last = redis.call('ZRANGE', settled, -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', kept, last[2])
  redis.call('PEXPIREAT', settled, last[2])
end
return {Code.OK, added, pruned}
