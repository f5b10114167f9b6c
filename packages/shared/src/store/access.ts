/**
 * Access: API keys (stored hashed in `<prefix>:apikeys`), `Idempotency-Key`s of submissions
 * (stored hashed in `<prefix>:idempotency:<sha256>`) and the per-project limit on runs in flight
 * (counted from the one active runs index, ./active-runs.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_ROLE, type Role } from '../roles.js';
import type { ActiveRuns } from './active-runs.js';
import type { StoreResources } from './resources.js';

/** A stored API key's record (`ApiKeys.listApiKeys`); `createdAt` is ISO-8601. */
export interface ApiKeyInfo {
  id: string;
  project: string;
  name: string;
  /** What the key may do; records stored before roles existed read `admin`. */
  role: Role;
  createdAt: string;
}

/** A stored key record from its JSON; one stored without a role is `admin`. */
function parseApiKeyInfo(json: string): ApiKeyInfo {
  const info = JSON.parse(json) as Omit<ApiKeyInfo, 'role'> & { role?: Role };
  return { ...info, role: info.role ?? DEFAULT_ROLE };
}

/** `ApiKeys.createApiKey`'s answer: the key (shown once) and its record. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

/** sha256 hex of `text`: API keys and idempotency keys are stored by it, never raw. */
const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** sha256 hex of an API key: how keys are stored and looked up. */
export const hashApiKey: (key: string) => string = sha256Hex;

/** API keys of projects. */
export class ApiKeys {
  constructor(private readonly r: StoreResources) {}

  /**
   * Creates an API key for `project`: `rl_<project>_<43 base64url chars>` (32 random bytes).
   * Only its sha256 is stored; the key itself is returned once and cannot be read back.
   * @param name free text for listing (e.g. who holds it).
   * @param role what the key may do (see ../roles.ts). @defaultValue `admin`
   * @returns the key and its record (`id`: 12 hex chars, for listing and revoking).
   */
  async createApiKey(
    project: string,
    name = '',
    role: Role = DEFAULT_ROLE,
  ): Promise<CreatedApiKey> {
    const key = `rl_${project}_${randomBytes(32).toString('base64url')}`;
    const info: ApiKeyInfo = {
      id: randomBytes(6).toString('hex'),
      project,
      name,
      role,
      createdAt: new Date().toISOString(),
    };
    await this.r.redis.hset(this.r.keys.apiKeys, hashApiKey(key), JSON.stringify(info));
    return { key, ...info };
  }

  /** Every stored API key's record (never the key or its hash), oldest first. */
  async listApiKeys(): Promise<ApiKeyInfo[]> {
    const all = await this.r.redis.hvals(this.r.keys.apiKeys);
    return all
      .map(parseApiKeyInfo)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Deletes the stored API key with this `id`; returns its record, or null when there is none. */
  async revokeApiKey(id: string): Promise<ApiKeyInfo | null> {
    const all = await this.r.redis.hgetall(this.r.keys.apiKeys);
    for (const [hash, json] of Object.entries(all)) {
      const info = parseApiKeyInfo(json);
      if (info.id === id) {
        await this.r.redis.hdel(this.r.keys.apiKeys, hash);
        return info;
      }
    }
    return null;
  }

  /** The record of the stored key whose sha256 hex is `sha256hex` (see `hashApiKey`), or null. */
  async findApiKey(sha256hex: string): Promise<ApiKeyInfo | null> {
    const json = await this.r.redis.hget(this.r.keys.apiKeys, sha256hex);
    return json === null ? null : parseApiKeyInfo(json);
  }

  /** How many API keys are stored in Redis. */
  countApiKeys(): Promise<number> {
    return this.r.redis.hlen(this.r.keys.apiKeys);
  }
}

/** `Idempotency-Key`s of submissions, stored by their sha256. */
export class IdempotencyKeys {
  constructor(private readonly r: StoreResources) {}

  private key(idempotencyKey: string): string {
    return this.r.keys.idempotency(sha256Hex(idempotencyKey));
  }

  /**
   * Reserves `key` for `runId` for `ttlSeconds` (default 24 h).
   * Returns null when reserved, else the run id the key already belongs to.
   */
  async reserveIdempotencyKey(
    key: string,
    runId: string,
    ttlSeconds = 24 * 3600,
  ): Promise<string | null> {
    const k = this.key(key);
    const ok = await this.r.redis.set(k, runId, 'EX', ttlSeconds, 'NX');
    return ok === 'OK' ? null : await this.r.redis.get(k);
  }

  /** Sets how long a reserved key is kept, seconds (e.g. 24 h once its run is created). */
  async keepIdempotencyKey(key: string, ttlSeconds: number): Promise<void> {
    await this.r.redis.expire(this.key(key), ttlSeconds);
  }

  /** Releases a reserved key (the submission failed, a retry may use it). */
  async releaseIdempotencyKey(key: string): Promise<void> {
    await this.r.redis.del(this.key(key));
  }
}

/** Per-project quotas. */
export class ProjectQuotas {
  constructor(private readonly active: ActiveRuns) {}

  /**
   * Counts `project`'s runs that are `queued` or `running`, from the active runs index (which it
   * prunes of finished, deleted or expired runs). Not atomic with submissions: runs submitted
   * concurrently are not counted by each other.
   */
  async countActiveRuns(project: string): Promise<number> {
    return this.active.countInFlight(project);
  }
}
