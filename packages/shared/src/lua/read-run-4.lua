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
      nearest-rank percentiles within 1%). Computing it sorts the histogram's buckets (830 us
      of Redis per read at 500 buckets, bench/read-run.ts), so when the percentiles asked are
      SUMMARY_PERCENTILES (what GET /v1/runs/:id asks) it is answered from the run's
      `latencySummary` cache while the run's counters equal its stamp (includes/latency-hist.lua:
      written by endRun when a run ends, and here, with redis.pcall, when it had to be
      computed). A dashboard polling a draining run costs one computation per recorded batch,
      not one per read; a finished run's costs none.
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
local asked = table.concat(ARGV, ' ') == table.concat(SUMMARY_PERCENTILES, ' ')
local stamp = summaryStamp(h.succeededCount, h.failedCount, h.cancelledCount)
local summary = asked and cachedSummary(h.latencySummary, stamp) or nil
if summary == nil then
  summary = latencySummary(h.latencyMinMs or false, h.latencyMaxMs or false, ARGV)
  if asked then
    -- pcall: a full (maxmemory) or read-only Redis refuses the write; the read still answers
    redis.pcall('HSET', runKey, 'latencySummary', summaryCache(stamp, summary))
  end
end
-- the cache stays out of the answer (the reader has its figures)
h.latencySummary = nil
local out = {Code.OK, hashJson(h, fieldCount)}
for i = 1, #summary do out[2 + i] = summary[i] end
out[3 + #summary] = hashJson(hashTable(errtypesKey))
out[4 + #summary] = redis.call('ZRANGE', rerunsKey, 0, -1)
return out
