--[[
  Commits a staged dataset version: the staging hash becomes version `base + 1`, immutable and
  without TTL, and the dataset's meta and version list are updated, all at once. An update whose
  content hash equals the latest version's commits nothing: the staging hash is removed and the
  latest version is answered (no duplicate version).

  KEYS[1] metaKey         dataset meta hash
  KEYS[2] versionsKey     versions zset (score: version, member: version entry JSON)
  KEYS[3] stagingKey      staging hash (the new version's items)
  KEYS[4] newVersionKey   the new version's items hash (`:version:<base + 1>`)
  ARGV[1] mode: `create` (the dataset must not exist) or `update` (it must)
  ARGV[2] base: the latest version the change was made against (0 for create)
  ARGV[3] item count (the staging hash must hold exactly that many fields)
  ARGV[4] version entry JSON `{version, itemCount, contentHash, createdAt}` (member of versionsKey)
  ARGV[5] now (ms)   ARGV[6] dataset id   ARGV[7] name ('' keeps the current one on update)
  ARGV[8] project   ARGV[9] the staged items' content hash (`sha256:<16 hex>`)

  Returns (codes: includes/codes.lua):
    {OK, version}               committed
    {UNCHANGED, latest, entry}  update: the latest version holds the same content (hash ARGV[9]);
                                nothing committed, staging removed, a new name (ARGV[7]) applied;
                                entry: its JSON
    {DATASET_EXISTS}            create: the dataset exists already (nothing written)
    {DATASET_NOT_FOUND}         update: the dataset does not exist (nothing written)
    {DATASET_CHANGED, latest}   update: the latest version is no longer `base` (nothing written)
    {STAGED_COUNT_MISMATCH}     the staging hash does not hold ARGV[3] items (nothing written)
]]
--@include codes
local metaKey, versionsKey, stagingKey, newVersionKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local mode, base, name, now = ARGV[1], tonumber(ARGV[2]), ARGV[7], ARGV[5]
if mode == 'create' then
  if redis.call('EXISTS', metaKey) == 1 then return {Code.DATASET_EXISTS} end
else
  if redis.call('EXISTS', metaKey) == 0 then return {Code.DATASET_NOT_FOUND} end
  local latest = tonumber(redis.call('HGET', metaKey, 'latestVersion') or '0')
  local entry = redis.call('ZRANGEBYSCORE', versionsKey, latest, latest)[1]
  if entry and cjson.decode(entry).contentHash == ARGV[9] then
    redis.call('DEL', stagingKey)
    if name ~= '' and redis.call('HGET', metaKey, 'name') ~= name then
      redis.call('HSET', metaKey, 'name', name, 'updatedAt', now)
    end
    return {Code.UNCHANGED, latest, entry}
  end
  if latest ~= base then return {Code.DATASET_CHANGED, latest} end
end
if redis.call('HLEN', stagingKey) ~= tonumber(ARGV[3]) then
  return {Code.STAGED_COUNT_MISMATCH}
end
local version = base + 1
redis.call('RENAME', stagingKey, newVersionKey)
redis.call('PERSIST', newVersionKey)
redis.call('ZADD', versionsKey, version, ARGV[4])
if mode == 'create' then
  redis.call('HSET', metaKey, 'id', ARGV[6], 'name', name, 'project', ARGV[8], 'createdAt', now)
elseif name ~= '' then
  redis.call('HSET', metaKey, 'name', name)
end
redis.call('HSET', metaKey, 'latestVersion', version, 'updatedAt', now)
return {Code.OK, version}
