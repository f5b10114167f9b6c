--[[
  Commits a staged dataset version: the staging hash becomes version `base + 1`, immutable and
  without TTL, and the dataset's meta and version list are updated, all at once. An update whose
  content hash equals the latest version's commits nothing: the staging hash is removed and the
  latest version is answered (no duplicate version).

  KEYS[1] dataset meta hash   KEYS[2] versions zset   KEYS[3] staging hash
  KEYS[4] the new version's items hash (`:version:<base + 1>`)
  ARGV[1] mode: `create` (the dataset must not exist) or `update` (it must)
  ARGV[2] base: the latest version the change was made against (0 for create)
  ARGV[3] item count (the staging hash must hold exactly that many fields)
  ARGV[4] version entry JSON `{version, itemCount, contentHash, createdAt}` (member of KEYS[2])
  ARGV[5] now (ms)   ARGV[6] dataset id   ARGV[7] name ('' keeps the current one on update)
  ARGV[8] project   ARGV[9] the staged items' content hash (`sha256:<16 hex>`)

  Returns:
    {1, version}    committed
    {2, latest, entry}  update: the latest version holds the same content (hash ARGV[9]); nothing
                    committed, staging removed, a new name (ARGV[7]) applied; entry: its JSON
    {0}             create: the dataset exists already (nothing written)
    {-1}            update: the dataset does not exist (nothing written)
    {-2, latest}    update: the latest version is no longer `base` (nothing written)
    {-3}            the staging hash does not hold ARGV[3] items (nothing written)
]]
local base = tonumber(ARGV[2])
if ARGV[1] == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
else
  if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
  local latest = tonumber(redis.call('HGET', KEYS[1], 'latestVersion') or '0')
  local entry = redis.call('ZRANGEBYSCORE', KEYS[2], latest, latest)[1]
  if entry and cjson.decode(entry).contentHash == ARGV[9] then
    redis.call('DEL', KEYS[3])
    if ARGV[7] ~= '' and redis.call('HGET', KEYS[1], 'name') ~= ARGV[7] then
      redis.call('HSET', KEYS[1], 'name', ARGV[7], 'updatedAt', ARGV[5])
    end
    return {2, latest, entry}
  end
  if latest ~= base then return {-2, latest} end
end
if redis.call('HLEN', KEYS[3]) ~= tonumber(ARGV[3]) then return {-3} end
local version = base + 1
redis.call('RENAME', KEYS[3], KEYS[4])
redis.call('PERSIST', KEYS[4])
redis.call('ZADD', KEYS[2], version, ARGV[4])
if ARGV[1] == 'create' then
  redis.call('HSET', KEYS[1], 'id', ARGV[6], 'name', ARGV[7], 'project', ARGV[8],
    'createdAt', ARGV[5])
elseif ARGV[7] ~= '' then
  redis.call('HSET', KEYS[1], 'name', ARGV[7])
end
redis.call('HSET', KEYS[1], 'latestVersion', version, 'updatedAt', ARGV[5])
return {1, version}
