--[[
  Finds a run's open chunks: chunks (of the run's `chunkSize` items, chunk c covering item
  indexes [c * chunkSize, min((c + 1) * chunkSize, totalItems))) that hold at least one item
  without a result; none for a run that is ending (includes/finish-early.lua). Used by the
  reconciler to re-enqueue chunk jobs lost from the queue.
  Read only. Inspects at most ARGV[2] chunks per call, so a huge run never blocks Redis long:
  page with the returned next chunk.

  KEYS[1] runKey       run hash
  KEYS[2] resultsKey   results hash
  ARGV[1] first chunk to inspect (0 for the first call)
  ARGV[2] max chunks to inspect in this call

  Returns (codes: includes/codes.lua):
    {OK, next, chunk, chunk, ...}   next: the chunk to pass as ARGV[1] on the next call, -1 when
                                    every chunk was inspected; then the open chunks found, ascending
    {RUN_NOT_FOUND}                 the run does not exist
]]
--@include codes
local runKey, resultsKey = KEYS[1], KEYS[2]
local h = redis.call('HMGET', runKey, 'totalItems', 'chunkSize', 'endingStatus')
if not h[1] or not h[2] then return {Code.RUN_NOT_FOUND} end
local total, size = tonumber(h[1]), tonumber(h[2])
local chunks = math.ceil(total / size)
local first, max = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {Code.OK, -1}
-- an ending run (finish-run-9) claims nothing: its chunks are not open
if h[3] or redis.call('HLEN', resultsKey) >= total then return out end
local last = math.min(chunks, first + max) - 1
for c = first, last do
  local stop = math.min((c + 1) * size, total) - 1
  for i = c * size, stop do
    if redis.call('HEXISTS', resultsKey, i) == 0 then
      out[#out + 1] = c
      break
    end
  end
end
if last + 1 < chunks then out[2] = last + 1 end
return out
