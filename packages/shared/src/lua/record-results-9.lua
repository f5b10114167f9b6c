--[[
  Records final results of items, exactly once per item, with counters, latency histogram, usage,
  scores, a progress event and, when the last item lands, the run's terminal transition and
  retention TTL, all in one atomic step (docs/architecture.md, invariant 1).

  KEYS[1] runKey         run hash
  KEYS[2] itemsKey       items hash
  KEYS[3] resultsKey     results hash
  KEYS[4] latencyKey     latency histogram hash (bucket -> count, includes/latency-hist.lua)
  KEYS[5] succeededKey   succeeded bitmap (bit itemIndex set once the item's result is succeeded)
  KEYS[6] failedKey      failed bitmap
  KEYS[7] cancelledKey   cancelled bitmap
  KEYS[8] eventsKey      events stream
  KEYS[9] errtypesKey    errtypes hash (failed items by error type: `n:<type>` count, `m:<type>`
                         first message)
  ARGV[1] now (ms)        ARGV[2] events maxlen
  ARGV[3]   the metas: ONE JSON array, one meta per result, in the order of the results
            (one cjson.decode per call). A meta is an array by position (null or left out at
            the end: absent): [index, status, latencyMs, scores {{scorer, score, passed}},
            inputTokens, outputTokens, costUsd, error type, error message (failed results only),
            unpriced model (a result with token usage and no cost: its model, '' when none)]
  ARGV[4..] the results' stored values, one per meta

  Exactly once: an item whose index has a value in the results hash, or appears earlier in the
  same call, is not recorded (the first value stays). The new results are written with one HMGET,
  one HSET and one BITFIELD per status bitmap (includes/batch.lua), not commands per item.

  Latency: a newly recorded result with a latency (meta position 3) counts 1 in its histogram
  bucket and in the exact run hash fields latencySumMs, latencyMinMs, latencyMaxMs (min/max as
  '%.15g').

  Error types: a newly recorded `failed` result counts 1 in `n:<et>` (type `unknown` when it has
  none) and sets `m:<et>` to its full message when the type has none yet (the first recorded).
  Cancelled results are not failures. Like every counter here, only when the result is new.

  Unpriced: a newly recorded result with an unpriced model (meta position 10) counts 1 in the
  run hash field `unpricedCount`; `unpricedModel` keeps the first one's model ('' for none).

  Budget (run hash fields `maxFailures`, `maxCostUsd`, written at commit from the spec's
  execution): when this call recorded results and the active run's failedCount >= maxFailures,
  or costUsd >= maxCostUsd, or it has maxCostUsd and an unpriced result (its cost cannot be
  counted, so the budget cannot hold), the run ends `failed` with error `maxFailures reached: N
  failed items`, `budget exceeded: cost $X >= maxCostUsd $Y` or `budget cannot be enforced:
  ...` (naming the model), and every item without a result is
  recorded `cancelled`: this call begins the ending (beginEnding, shared with finish-run-9: from
  here on nothing is claimed or recorded) and the worker fills the items with finish-run-9
  calls, a slice at a time (the reconciler when that worker died). The budget is checked before
  completion: reaching it with the last item also fails the run. The completion itself is
  endRun (the terminal transition continueEnding ends with too).

  A run that is ending (run hash field `endingStatus`: finish-run-9 or a budget stop began its
  end) records nothing: {OK, 0, done, total, 0, 0}.

  Returns (codes: includes/codes.lua):
    {OK, recorded, done, total, finished, stopped}
                                        recorded: results newly written (a result already stored
                                        for an item is left as it is); finished: 1 when this call
                                        moved the run to `completed`; stopped: 1 when this call
                                        began ending the run `failed` by its budget (the caller
                                        publishes the cancel so workers abort items in flight,
                                        and finishes the ending with finish-run-9 when `done` <
                                        `total`)
    {RUN_NOT_FOUND}                     the run does not exist (deleted or expired): nothing written
  Events: `progress` {done, total, succeeded, failed, cancelled} when recorded > 0;
          `status` {status: "completed"} on the terminal transition; on a budget stop,
          `progress` then `status` {status: "failed", error} instead.
]]
--@include codes
local runKey, itemsKey, resultsKey, latencyKey, succeededKey, failedKey, cancelledKey,
  eventsKey, errtypesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7],
  KEYS[8], KEYS[9]
--@include latency-hist
--@include batch
--@include finish-early
local state = redis.call('HMGET', runKey, 'totalItems', 'endingStatus')
if not state[1] then return {Code.RUN_NOT_FOUND} end
if state[2] then
  -- the run is ending (finish-run-9 or a budget stop began it): its items are being recorded
  -- `cancelled`, so nothing else is recorded
  local c = redis.call('HMGET', runKey, 'succeededCount', 'failedCount', 'cancelledCount')
  local done = (tonumber(c[1]) or 0) + (tonumber(c[2]) or 0) + (tonumber(c[3]) or 0)
  return {Code.OK, 0, done, tonumber(state[1]), 0, 0}
end
local recorded = 0
local statusKey = {succeeded = succeededKey, failed = failedKey, cancelled = cancelledKey}
-- per-call sums, written once per field after the loop (fewer Redis calls per item)
local ints, floats, hist = {}, {}, {}
local lmin, lmax = nil, nil
local unpricedModel = nil
local function add(t, field, by) t[field] = (t[field] or 0) + by end
local NULL = cjson.null
local metas = cjson.decode(ARGV[3])
if #metas ~= #ARGV - 3 then
  return redis.error_reply('record-results-9: ' .. #metas .. ' metas for ' .. (#ARGV - 3) ..
    ' results')
end
local fields = {}
for j = 1, #metas do fields[j] = metas[j][1] end
local have = hmgetAll(resultsKey, fields)
local seen, writes, bits, errtypes = {}, {}, {}, {}
for j = 1, #metas do
  local m = metas[j]
  local index, status, l = m[1], m[2], m[3]
  local zkey = statusKey[status]
  if zkey and not have[j] and not seen[index] then
    seen[index] = true
    recorded = recorded + 1
    writes[#writes + 1] = index
    writes[#writes + 1] = ARGV[3 + j]
    add(ints, status .. 'Count', 1)
    local ops = bits[zkey]
    if not ops then ops = {}; bits[zkey] = ops end
    ops[#ops + 1] = 'SET'; ops[#ops + 1] = 'u1'; ops[#ops + 1] = index; ops[#ops + 1] = 1
    if l and l ~= NULL then
      add(hist, latencyBucket(l), 1)
      add(floats, 'latencySumMs', l)
      if lmin == nil or l < lmin then lmin = l end
      if lmax == nil or l > lmax then lmax = l end
    end
    local sc = m[4]
    if sc and sc ~= NULL then
      for _, s in ipairs(sc) do
        add(floats, 'score:' .. s[1] .. ':sum', s[2])
        add(ints, 'score:' .. s[1] .. (s[3] == true and ':passed' or ':failed'), 1)
      end
    end
    if #m > 4 then
      local it, ot, c = m[5], m[6], m[7]
      if it and it ~= NULL then add(ints, 'inputTokens', it) end
      if ot and ot ~= NULL then add(ints, 'outputTokens', ot) end
      if c and c ~= NULL then add(floats, 'costUsd', c) end
    end
    if #m > 9 and m[10] ~= NULL then
      add(ints, 'unpricedCount', 1)
      if unpricedModel == nil then unpricedModel = m[10] end
    end
    if status == 'failed' then
      local et, em = m[8], m[9]
      if not et or et == NULL then et = 'unknown' end
      if not em or em == NULL then em = '' end
      -- counted per type, written after the loop (nothing is written before the checks pass)
      local e = errtypes[et]
      if e then e.n = e.n + 1 else errtypes[et] = {n = 1, m = em} end
    end
  end
end
if #writes > 0 then callSliced('HSET', resultsKey, writes, 2) end
for et, e in pairs(errtypes) do
  redis.call('HINCRBY', errtypesKey, 'n:' .. et, e.n)
  redis.call('HSETNX', errtypesKey, 'm:' .. et, e.m)
end
for zkey, ops in pairs(bits) do callSliced('BITFIELD', zkey, ops, 4) end
for field, by in pairs(ints) do redis.call('HINCRBY', runKey, field, by) end
if unpricedModel ~= nil then redis.call('HSETNX', runKey, 'unpricedModel', unpricedModel) end
for b, n in pairs(hist) do redis.call('HINCRBY', latencyKey, b, n) end
if lmin ~= nil then
  local mm = redis.call('HMGET', runKey, 'latencyMinMs', 'latencyMaxMs')
  local omin, omax = tonumber(mm[1]), tonumber(mm[2])
  if omin == nil or lmin < omin then
    redis.call('HSET', runKey, 'latencyMinMs', string.format('%.15g', lmin))
  end
  if omax == nil or lmax > omax then
    redis.call('HSET', runKey, 'latencyMaxMs', string.format('%.15g', lmax))
  end
end
for field, by in pairs(floats) do
  redis.call('HINCRBYFLOAT', runKey, field, string.format('%.17g', by))
end
local h = redis.call('HMGET', runKey, 'succeededCount', 'failedCount', 'cancelledCount',
  'totalItems', 'status', 'ttlSeconds', 'maxFailures', 'maxCostUsd', 'costUsd', 'unpricedCount')
local succeeded, failed, cancelled = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local done, total = succeeded + failed + cancelled, tonumber(h[4])
local finished, stopped = 0, 0
if recorded > 0 then
  -- keys created by this script inherit the run's TTL: nothing of a run is left without one
  local pttl = redis.call('PTTL', runKey)
  if pttl > 0 then
    for k = 3, 9 do -- resultsKey .. errtypesKey
      if redis.call('PTTL', KEYS[k]) == -1 then redis.call('PEXPIRE', KEYS[k], pttl) end
    end
  end
  redis.call('XADD', eventsKey, 'MAXLEN', '~', ARGV[2], '*', 'type', 'progress', 'data',
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
  elseif active and maxCost and (tonumber(h[10]) or 0) > 0 then
    local model = redis.call('HGET', runKey, 'unpricedModel')
    if model and model ~= '' then
      reason = string.format('budget cannot be enforced: results have token usage and no price' ..
        ' (model "%s": add it to RUNLEDGER_PRICES on the workers)', model)
    else
      reason = 'budget cannot be enforced: results have token usage and no price (no model' ..
        ' to price by: the target reports none)'
    end
  end
  if reason then
    -- exactly cancelledResult(reason, {completedAt = now}) of packages/shared/src/results.ts,
    -- the one builder of cancelled results (test/results.test.ts holds the two equal)
    local result = '{"status":"cancelled","attempts":0,"error":{"message":' ..
      cjson.encode(reason) .. ',"type":"cancelled"},"completedAt":' .. ARGV[1] .. '}'
    beginEnding('failed', reason, result)
    -- a slice of 0: ends the run now when every item has a result, else the worker fills them
    local _, next = continueEnding(ARGV[1], ARGV[2], 0)
    if next == -1 then done = total end
    stopped = 1
  elseif done >= total and active then
    endRun(ARGV[1], ARGV[2], 'completed', '', tonumber(h[6]))
    finished = 1
  end
end
return {Code.OK, recorded, done, total, finished, stopped}
