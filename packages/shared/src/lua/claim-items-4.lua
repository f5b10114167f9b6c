--[[
  Gate before attempts start: checks the run may go on, moves it `queued -> running` on the
  first claim, and returns the claimed items that have no result yet. An attempt starts only
  after this script said so, so it is ordered against finish-run-9
  (docs/architecture.md, invariant 3: after cancel returns, no new attempt starts).

  KEYS[1] runKey       run hash
  KEYS[2] itemsKey     items hash
  KEYS[3] resultsKey   results hash
  KEYS[4] eventsKey    events stream
  ARGV[1] now (ms)   ARGV[2] with items ("1" returns item JSON)  ARGV[3] with spec ("1")
  ARGV[4] events maxlen   ARGV[5..] item indexes

  Returns (codes: includes/codes.lua):
    {OK, spec|false, indexes, items}  run goes on. indexes: the claimed items without a result
                             yet, in the order asked, as ONE comma-separated string ('' for
                             none: one reply value, not one per item); items (with items asked, else
                             false): their stored values, as ONE string `[v1,v2,...]` when every
                             one is plain JSON (an object; `null` for an item missing from the
                             items hash), else as a list of strings ('' for a missing item)
    {RUN_NOT_FOUND}          the run does not exist (deleted or expired)
    {RUN_TERMINAL, status}   the run is terminal (completed, failed, cancelled), or ending
                             (includes/finish-early.lua: status is the one it is ending with)
  Results and items are read with one HMGET each (includes/batch.lua), and plain items leave as
  one JSON array: one reply value and one JSON.parse for a whole chunk instead of two values and
  a parse per item.
  Events: `status` {status: "running"} on the first claim.
]]
--@include codes
--@include batch
local runKey, itemsKey, resultsKey, eventsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local h = redis.call('HMGET', runKey, 'status', 'endingStatus')
local status = h[1]
if not status then return {Code.RUN_NOT_FOUND} end
if status ~= 'queued' and status ~= 'running' then return {Code.RUN_TERMINAL, status} end
-- ending (finish-run-9 began it): as good as terminal, nothing is claimed any more
if h[2] then return {Code.RUN_TERMINAL, h[2]} end
if status == 'queued' then
  redis.call('HSET', runKey, 'status', 'running', 'startedAt', ARGV[1])
  redis.call('XADD', eventsKey, 'MAXLEN', '~', ARGV[4], '*', 'type', 'status',
    'data', cjson.encode({status = 'running', at = tonumber(ARGV[1])}))
end
local spec = false
if ARGV[3] == '1' then spec = redis.call('HGET', runKey, 'spec') end
local asked = {}
for i = 5, #ARGV do asked[#asked + 1] = ARGV[i] end
local have = hmgetAll(resultsKey, asked)
local indexes = {}
for j = 1, #asked do
  if not have[j] then indexes[#indexes + 1] = asked[j] end
end
local open = table.concat(indexes, ',')
if ARGV[2] ~= '1' or #indexes == 0 then return {Code.OK, spec, open, false} end
local values = hmgetAll(itemsKey, indexes)
local plain = true
for j = 1, #indexes do
  local v = values[j]
  if v and string.byte(v, 1) ~= 123 then plain = false end -- 123: '{'
end
for j = 1, #indexes do
  if not values[j] then values[j] = plain and 'null' or '' end
end
if plain then return {Code.OK, spec, open, '[' .. table.concat(values, ',') .. ']'} end
return {Code.OK, spec, open, values}
