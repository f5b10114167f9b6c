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
      of Redis per read at 500 buckets, bench/read-run.ts), so it is read from a cache when the
      percentiles asked are SUMMARY_PERCENTILES (what GET /v1/runs/:id asks):
      - a finished run (completed, failed, cancelled) whose hash holds a well-formed
        `latencySummary` (stored by endRun) is answered from it;
      - else from `latencySummaryLive` (`<succeeded>,<failed>,<cancelled>|<summary JSON>`),
        which this script writes when it computes the summary, when the run's three counters
        still equal the stamp: record-results-9 changes the histogram only in the call that
        raises them, so the histogram is the one summarised. A dashboard polling a draining
        run costs one computation per recorded batch, not one per read.
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
-- a latencySummary reply decoded, or nil when it is not well formed
local function wellFormed(json)
  local ok, stored = pcall(cjson.decode, json)
  if ok and type(stored) == 'table' and #stored == #SUMMARY_PERCENTILES + 2 and
      type(stored[1]) == 'number' then
    return stored
  end
  return nil
end
local asked = table.concat(ARGV, ' ') == table.concat(SUMMARY_PERCENTILES, ' ')
local summary = nil
-- the stored summary of a finished run, when it is well formed and for the percentiles asked
local terminal = h.status == 'completed' or h.status == 'failed' or h.status == 'cancelled'
if asked and terminal and h.latencySummary then summary = wellFormed(h.latencySummary) end
-- the summary the last read computed, when no result was recorded since: record-results-9
-- changes the histogram only together with the counters, so equal counters, equal histogram
local stamp = (h.succeededCount or '0') .. ',' .. (h.failedCount or '0') .. ',' ..
  (h.cancelledCount or '0')
local live = asked and h.latencySummaryLive
if summary == nil and live then
  local bar = string.find(live, '|', 1, true)
  if bar and string.sub(live, 1, bar - 1) == stamp then
    summary = wellFormed(string.sub(live, bar + 1))
  end
end
if summary == nil then
  summary = latencySummary(h.latencyMinMs or false, h.latencyMaxMs or false, ARGV)
  if asked then
    -- pcall: a full Redis (maxmemory) refuses the write; the read still answers
    redis.pcall('HSET', runKey, 'latencySummaryLive', stamp .. '|' .. cjson.encode(summary))
  end
end
-- the caches stay out of the answer (the reader has their figures)
h.latencySummary, h.latencySummaryLive = nil, nil
local out = {Code.OK, hashJson(h, fieldCount)}
for i = 1, #summary do out[2 + i] = summary[i] end
out[3 + #summary] = hashJson(hashTable(errtypesKey))
out[4 + #summary] = redis.call('ZRANGE', rerunsKey, 0, -1)
return out
