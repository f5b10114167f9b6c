--[[
  Records final results of items, exactly once per item, with counters, latency index, usage,
  scores, a progress event and, when the last item lands, the run's terminal transition and
  retention TTL, all in one atomic step (DESIGN invariant 1).

  KEYS[1] run hash        KEYS[2] items hash     KEYS[3] results hash   KEYS[4] latency zset
  KEYS[5] succeeded zset  KEYS[6] failed zset    KEYS[7] cancelled zset KEYS[8] events stream
  KEYS[9] errtypes hash (failed items by error type: `n:<type>` count, `m:<type>` first message)
  ARGV[1] now (ms)        ARGV[2] events maxlen
  ARGV[3..] pairs: meta JSON, result JSON. meta = {i = index, s = status, l = latencyMs?,
            it = inputTokens?, ot = outputTokens?, c = costUsd?, sc = {{scorer, score, passed}}?,
            et = error type?, em = error message? (failed results only)}

  Error types: a newly recorded `failed` result counts 1 in `n:<et>` (type `unknown` when it has
  none) and sets `m:<et>` to its full message when the type has none yet (the first recorded).
  Cancelled results are not failures. Like every counter here, only when the result is new.

  Budget (run hash fields `maxFailures`, `maxCostUsd`, written at commit from the spec's
  execution): when this call recorded results and the active run's failedCount >= maxFailures
  or costUsd >= maxCostUsd, the run ends `failed` with error `maxFailures reached: N failed
  items` or `budget exceeded: cost $X >= maxCostUsd $Y`, and every item without a result is
  recorded `cancelled` (finishEarly, shared with finish-run-9). The budget is checked before
  completion: reaching it with the last item also fails the run. The completion itself is
  endRun (the terminal transition finishEarly ends with too).

  Returns:
    {recorded, done, total, finished, stopped}
                                        recorded: results newly written (a result already stored
                                        for an item is left as it is); finished: 1 when this call
                                        moved the run to `completed`; stopped: 1 when this call
                                        ended the run `failed` by its budget (the caller publishes
                                        the cancel so workers abort items in flight)
    {-1}                                the run does not exist (deleted or expired): nothing written
  Events: `progress` {done, total, succeeded, failed, cancelled} when recorded > 0;
          `status` {status: "completed"} on the terminal transition; on a budget stop,
          `progress` then `status` {status: "failed", error} instead.
]]
--@include finish-early
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local recorded = 0
local statusKey = {succeeded = KEYS[5], failed = KEYS[6], cancelled = KEYS[7]}
-- per-call sums, written once per field after the loop (fewer Redis calls per item)
local ints, floats = {}, {}
local function add(t, field, by) t[field] = (t[field] or 0) + by end
for i = 3, #ARGV, 2 do
  local m = cjson.decode(ARGV[i])
  local zkey = statusKey[m.s]
  if zkey and redis.call('HSETNX', KEYS[3], m.i, ARGV[i + 1]) == 1 then
    recorded = recorded + 1
    add(ints, m.s .. 'Count', 1)
    redis.call('ZADD', zkey, m.i, m.i)
    if m.l then
      redis.call('ZADD', KEYS[4], m.l, m.i)
      add(floats, 'latencySumMs', m.l)
    end
    if m.it then add(ints, 'inputTokens', m.it) end
    if m.ot then add(ints, 'outputTokens', m.ot) end
    if m.c then add(floats, 'costUsd', m.c) end
    if m.s == 'failed' then
      local et = m.et or 'unknown'
      redis.call('HINCRBY', KEYS[9], 'n:' .. et, 1)
      redis.call('HSETNX', KEYS[9], 'm:' .. et, m.em or '')
    end
    if m.sc then
      for _, s in ipairs(m.sc) do
        add(floats, 'score:' .. s[1] .. ':sum', s[2])
        add(ints, 'score:' .. s[1] .. (s[3] and ':passed' or ':failed'), 1)
      end
    end
  end
end
for field, by in pairs(ints) do redis.call('HINCRBY', KEYS[1], field, by) end
for field, by in pairs(floats) do
  redis.call('HINCRBYFLOAT', KEYS[1], field, string.format('%.17g', by))
end
local h = redis.call('HMGET', KEYS[1], 'succeededCount', 'failedCount', 'cancelledCount',
  'totalItems', 'status', 'ttlSeconds', 'maxFailures', 'maxCostUsd', 'costUsd')
local succeeded, failed, cancelled = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local done, total = succeeded + failed + cancelled, tonumber(h[4])
local finished, stopped = 0, 0
if recorded > 0 then
  -- keys created by this script inherit the run's TTL: nothing of a run is left without one
  local pttl = redis.call('PTTL', KEYS[1])
  if pttl > 0 then
    for k = 3, 9 do
      if redis.call('PTTL', KEYS[k]) == -1 then redis.call('PEXPIRE', KEYS[k], pttl) end
    end
  end
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[2], '*', 'type', 'progress', 'data',
    cjson.encode({done = done, total = total, succeeded = succeeded, failed = failed,
      cancelled = cancelled}))
  local active = h[5] == 'queued' or h[5] == 'running'
  local maxFailures, maxCost = tonumber(h[7]), tonumber(h[8])
  local cost = tonumber(h[9]) or 0
  local reason = nil
  if active and maxFailures and failed >= maxFailures then
    reason = string.format('maxFailures reached: %d failed items', failed)
  elseif active and maxCost and cost >= maxCost then
    reason = string.format('budget exceeded: cost $%.6g >= maxCostUsd $%.6g', cost, maxCost)
  end
  if reason then
    local result = '{"status":"cancelled","attempts":0,"error":{"message":' ..
      cjson.encode(reason) .. ',"type":"cancelled"},"completedAt":' .. ARGV[1] .. '}'
    finishEarly(ARGV[1], ARGV[2], 'failed', reason, result)
    done = total
    stopped = 1
  elseif done >= total and active then
    endRun(ARGV[1], ARGV[2], 'completed', '', tonumber(h[6]))
    finished = 1
  end
end
return {recorded, done, total, finished, stopped}
