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
      count, max, p_k: latencySummary of includes/latency-hist.lua (count recorded, exact max,
      nearest-rank percentiles within 1%). A finished run (completed, failed, cancelled) whose
      hash holds a well-formed `latencySummary` (stored by endRun for SUMMARY_PERCENTILES) is
      answered from it when ARGV asks for those percentiles: its histogram is not read.
      errtypes: `n:<type>`, count, `m:<type>`, first message, ... (record-results-9).
      reruns: rerun run ids, oldest first (ZRANGE by createdAt).
    {RUN_NOT_FOUND}   the run does not exist
]]
--@include codes
local runKey, latencyKey, errtypesKey, rerunsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
--@include latency-hist
-- a hash read with HGETALL as a Lua table (field -> value), and as one JSON object string
local function hashTable(key)
  local flat, t = redis.call('HGETALL', key), {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t, #flat
end
local function hashJson(t, n)
  if n == 0 then return '{}' end -- an empty hash: an object, never []
  return cjson.encode(t)
end
local h, fieldCount = hashTable(runKey)
if fieldCount == 0 then return {Code.RUN_NOT_FOUND} end
-- the stored summary of a finished run, when it is well formed and for the percentiles asked
local summary = nil
local terminal = h.status == 'completed' or h.status == 'failed' or h.status == 'cancelled'
if terminal and h.latencySummary and
    table.concat(ARGV, ' ') == table.concat(SUMMARY_PERCENTILES, ' ') then
  local ok, stored = pcall(cjson.decode, h.latencySummary)
  if ok and type(stored) == 'table' and #stored == #SUMMARY_PERCENTILES + 2 and
      type(stored[1]) == 'number' then
    summary = stored
  end
end
if summary == nil then
  summary = latencySummary(h.latencyMinMs or false, h.latencyMaxMs or false, ARGV)
end
local out = {Code.OK, hashJson(h, fieldCount)}
for i = 1, #summary do out[2 + i] = summary[i] end
out[3 + #summary] = hashJson(hashTable(errtypesKey))
out[4 + #summary] = redis.call('ZRANGE', rerunsKey, 0, -1)
return out
