--[[
  Commands over many fields at once (`--@include batch`): one HMGET, HSET or BITFIELD per 1,000
  arguments instead of one command per item (a command called from Lua costs about as much as
  the work of a small one), in slices so `unpack` stays far below Lua's C stack limit (8,000).

  hmgetAll(key, fields) -> values  the values of `fields` (a Lua array), false where absent
  callSliced(cmd, key, args, step) calls `cmd key args[i..i+step-1]` for each slice of `args`
                                   (step: a multiple of the arguments one unit takes, e.g. 2
                                   for HSET's field-value pairs)
]]
local BATCH_ARGS = 1000
local function hmgetAll(key, fields)
  local values, n = {}, #fields
  for from = 1, n, BATCH_ARGS do
    local got = redis.call('HMGET', key, unpack(fields, from, math.min(from + BATCH_ARGS - 1, n)))
    for j = 1, #got do values[from + j - 1] = got[j] end
  end
  return values
end
local function callSliced(cmd, key, args, step)
  local n = #args
  local size = BATCH_ARGS - BATCH_ARGS % step
  for from = 1, n, size do
    redis.call(cmd, key, unpack(args, from, math.min(from + size - 1, n)))
  end
end
