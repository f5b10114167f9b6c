/**
 * The dataset store: every Redis read and write of named datasets and their immutable versions.
 * A dataset belongs to one project; each change (create, append, replace) writes a new version
 * (1, 2, 3, ...) whose items never change afterwards. Dataset keys have no TTL.
 * Key layout: ./keys.ts (`dataset(project, id)`). Lua: ./lua/dataset-commit-4.lua.
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import type { Result as RedisResult } from 'ioredis';
import { openValue, sealValue, type ValueCipher } from './encryption.js';
import { KeyLayout } from './keys.js';
import { defineScripts, type RedisClient, stageIndexedValues } from './redis.js';
import { ScriptCode, scriptError } from './script-codes.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rlDatasetCommit(...args: (string | number)[]): RedisResult<(number | string)[], Context>;
  }
}

/** Dataset ids: letters, digits, `_`, `-`, `.`; 1-128 chars (they become part of key names). */
export const DATASET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** One version of a dataset. `contentHash` is `sha256:<16 hex>` (see `ContentHasher`); `createdAt` ISO-8601. */
export interface DatasetVersionInfo {
  version: number;
  itemCount: number;
  contentHash: string;
  createdAt: string;
}

/** A dataset: its meta and every version, oldest first. Times ISO-8601 UTC. */
export interface Dataset {
  id: string;
  name: string;
  project: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  versions: DatasetVersionInfo[];
}

/**
 * The content hash of a list of items, the `datasetVersion` of inline runs and the
 * `contentHash` of stored versions: `sha256:` + the first 16 hex chars of sha256 over each
 * stored item's JSON (`JSON.stringify(toStoredItem(...))`) followed by `\n`, in order.
 */
export class ContentHasher {
  private readonly hash: Hash = createHash('sha256');

  /** Adds the next item's JSON (as produced by `JSON.stringify(toStoredItem(...))`). */
  update(itemJson: string): void {
    this.hash.update(`${itemJson}\n`);
  }

  /** `sha256:<16 hex>`; call once. */
  digest(): string {
    return `sha256:${this.hash.digest('hex').slice(0, 16)}`;
  }
}

export { toStoredItem } from './items.js';

/**
 * What `DatasetVersionWriter.commit` answers: the version, and `created` false when the content
 * equalled the latest version's (that version is answered, none was added).
 */
export interface CommittedVersion extends DatasetVersionInfo {
  created: boolean;
}

/** Options of a `DatasetStore`. */
export interface DatasetStoreOptions {
  /** Key prefix. @defaultValue `runledger` */
  prefix?: string;
  /** TTL of a version being written, seconds (it has none once committed). @defaultValue 3600 */
  stagingTtlSeconds?: number;
  /**
   * Encryption at rest of the items (`RUNLEDGER_ENCRYPTION_KEYS`, ./encryption.ts): staged
   * encrypted, decrypted by `readItemJson`. @defaultValue none (plain JSON)
   */
  cipher?: ValueCipher | null | undefined;
}

/** Items written per `HSET` while staging. */
const STAGE_BATCH = 1000;

/**
 * Item JSON on its way to a staging hash, shared by run submission (the API's `ItemStager`) and
 * `DatasetVersionWriter`: each item's JSON is hashed in order (`ContentHasher`) and collected in
 * batches of `size`; a full batch goes to `write(start, jsons)` (`start`: the index of its first
 * item) once the previous batch's write ended, so one write is in flight while the next batch is
 * collected.
 */
export class ItemJsonBatches {
  /** Items added so far. */
  count = 0;
  private batch: string[] = [];
  private batchStart = 0;
  /** The write in flight, if any. */
  private inFlight: Promise<void> | null = null;
  private readonly hasher = new ContentHasher();

  constructor(
    private readonly write: (start: number, jsons: string[]) => Promise<void>,
    private readonly size = STAGE_BATCH,
  ) {}

  /**
   * Adds the next item's JSON. When it filled a batch, returns a promise (await it) that
   * resolves once the previous batch is written and this one's write has started; else nothing
   * (no promise per item). Rejects with the previous write's error.
   */
  add(json: string): Promise<void> | undefined {
    this.hasher.update(json);
    this.batch.push(json);
    this.count++;
    return this.batch.length >= this.size ? this.next() : undefined;
  }

  private async next(): Promise<void> {
    const batch = this.batch;
    const start = this.batchStart;
    this.batch = [];
    this.batchStart += batch.length;
    if (this.inFlight) await this.inFlight;
    const write = this.write(start, batch);
    // awaited by the next batch or by `flush`; until then its rejection is not unhandled
    write.catch(() => {});
    this.inFlight = write;
  }

  /** Writes every item added and waits until all of them are written. @throws a write's error */
  async flush(): Promise<void> {
    if (this.batch.length > 0) await this.next();
    if (this.inFlight) await this.inFlight;
  }

  /** Waits until no write is in flight, whatever its outcome (before discarding the staging). */
  async settle(): Promise<void> {
    await this.inFlight?.catch(() => {});
  }

  /** The content hash of the items added (`ContentHasher.digest`; call once). */
  digest(): string {
    return this.hasher.digest();
  }
}

/**
 * A version being written: items are staged (with a TTL) in a hash of their own, then `commit`
 * turns them into the next version atomically, or `abort` removes them.
 */
export class DatasetVersionWriter {
  private readonly stagingKey: string;
  private readonly items: ItemJsonBatches;

  constructor(
    private readonly store: DatasetStore,
    readonly project: string,
    readonly datasetId: string,
  ) {
    const token = randomBytes(8).toString('hex');
    this.stagingKey = store.keys.dataset(project, datasetId).staging(token);
    this.items = new ItemJsonBatches((start, jsons) => this.stage(start, jsons));
  }

  /** Items added so far. */
  get count(): number {
    return this.items.count;
  }

  /**
   * Adds the next item (already in stored form, its JSON as `JSON.stringify(item)`). Returns a
   * promise to await when it filled a batch (`ItemJsonBatches.add`).
   */
  add(itemJson: string): Promise<void> | undefined {
    return this.items.add(itemJson);
  }

  /** Writes one batch to the staging hash (with the staging TTL). */
  private async stage(start: number, jsons: string[]): Promise<void> {
    const { cipher } = this.store;
    await stageIndexedValues(
      this.store.redis,
      this.stagingKey,
      start,
      jsons,
      (json) => sealValue(json, cipher),
      this.store.stagingTtlSeconds,
    );
  }

  /**
   * Commits the staged items as version `base + 1` (`base` 0 and mode `create` for a new
   * dataset). Returns the new version (`created: true`). An update whose content hash equals
   * the latest version's adds no version: that one is returned with `created: false` (decided
   * atomically with the commit; a new `name` still applies). The staging hash is removed when
   * nothing is committed.
   * @throws DatasetCommitError `exists` (create of an existing id), `missing` (update of a
   *   deleted dataset), `conflict` (another version was committed after `base`), `incomplete`.
   */
  async commit(options: {
    mode: 'create' | 'update';
    base: number;
    name?: string | undefined;
    now?: number;
  }): Promise<CommittedVersion> {
    await this.items.flush();
    const now = options.now ?? Date.now();
    const version = options.base + 1;
    const info: DatasetVersionInfo = {
      version,
      itemCount: this.count,
      contentHash: this.items.digest(),
      createdAt: new Date(now).toISOString(),
    };
    const k = this.store.keys.dataset(this.project, this.datasetId);
    const reply = await this.store.redis.rlDatasetCommit(
      k.meta,
      k.versions,
      this.stagingKey,
      k.version(version),
      options.mode,
      options.base,
      this.count,
      JSON.stringify(info),
      now,
      this.datasetId,
      options.name ?? '',
      this.project,
      info.contentHash,
    );
    const code = Number(reply[0]);
    if (code === ScriptCode.Unchanged) {
      return { ...(JSON.parse(String(reply[2])) as DatasetVersionInfo), created: false };
    }
    if (code === ScriptCode.Ok) {
      if (options.mode === 'create') {
        await this.store.redis.zadd(
          this.store.keys.projectDatasets(this.project),
          now,
          this.datasetId,
        );
      }
      return { ...info, created: true };
    }
    await this.abort();
    throw (
      scriptError(reply, { datasetId: this.datasetId, count: this.count, base: options.base }) ??
      new Error(`dataset-commit-4 answered ${String(reply[0])}`)
    );
  }

  /** Removes the staged items. */
  async abort(): Promise<void> {
    await this.items.settle();
    await this.store.redis.del(this.stagingKey);
  }
}

/**
 * All Redis access for datasets.
 *
 * @example
 * const datasets = new DatasetStore(createRedis(config.REDIS_URL), { prefix: 'runledger' });
 * const w = datasets.writer('default', 'capitals');
 * await w.add(JSON.stringify(toStoredItem({ input: 'France' }, 0)));
 * const v = await w.commit({ mode: 'create', base: 0, name: 'capitals' }); // v.version === 1
 */
export class DatasetStore {
  readonly keys: KeyLayout;
  readonly stagingTtlSeconds: number;
  /** Encrypts staged items and decrypts read ones; null: plain JSON. */
  readonly cipher: ValueCipher | null;

  constructor(
    readonly redis: RedisClient,
    options: DatasetStoreOptions = {},
  ) {
    this.keys = new KeyLayout(options.prefix ?? 'runledger');
    this.stagingTtlSeconds = options.stagingTtlSeconds ?? 3600;
    this.cipher = options.cipher ?? null;
    defineScripts(redis, { rlDatasetCommit: { file: 'dataset-commit-4', keys: 4 } });
  }

  /** A writer of the next version of dataset `datasetId` of `project`. */
  writer(project: string, datasetId: string): DatasetVersionWriter {
    return new DatasetVersionWriter(this, project, datasetId);
  }

  /** The dataset with every version, or null when it does not exist (or has no version yet). */
  async getDataset(project: string, datasetId: string): Promise<Dataset | null> {
    const k = this.keys.dataset(project, datasetId);
    const [meta, versions] = await Promise.all([
      this.redis.hgetall(k.meta),
      this.redis.zrange(k.versions, '0', '-1'),
    ]);
    if (!meta.id || !meta.latestVersion) return null;
    return {
      id: meta.id,
      name: meta.name ?? meta.id,
      project: meta.project ?? project,
      latestVersion: Number(meta.latestVersion),
      createdAt: new Date(Number(meta.createdAt)).toISOString(),
      updatedAt: new Date(Number(meta.updatedAt)).toISOString(),
      versions: versions.map((v) => JSON.parse(v) as DatasetVersionInfo),
    };
  }

  /** Version `version` (the latest when undefined) of the dataset, or null when either is missing. */
  async getVersion(
    project: string,
    datasetId: string,
    version?: number,
  ): Promise<DatasetVersionInfo | null> {
    const k = this.keys.dataset(project, datasetId);
    let v = version;
    if (v === undefined) {
      const latest = await this.redis.hget(k.meta, 'latestVersion');
      if (!latest) return null;
      v = Number(latest);
    }
    const [entry] = await this.redis.zrangebyscore(k.versions, v, v);
    return entry ? (JSON.parse(entry) as DatasetVersionInfo) : null;
  }

  /** The project's datasets, oldest first, paged by offset (`cursor` as handed out). */
  async listDatasets(
    project: string,
    options: { limit?: number; cursor?: string | undefined } = {},
  ): Promise<{ datasets: Dataset[]; nextCursor: string | null }> {
    const limit = options.limit ?? 50;
    const from = options.cursor ? Number(options.cursor) : 0;
    const index = this.keys.projectDatasets(project);
    const ids = await this.redis.zrange(index, String(from), String(from + limit));
    const page = ids.slice(0, limit);
    const found = await Promise.all(page.map((id) => this.getDataset(project, id)));
    const gone = page.filter((_, i) => found[i] === null);
    if (gone.length > 0) await this.redis.zrem(index, ...gone);
    return {
      datasets: found.filter((d): d is Dataset => d !== null),
      nextCursor: ids.length > limit ? String(from + limit - gone.length) : null,
    };
  }

  /**
   * Item JSON of version `version`, indexes `[start, start + count)` (fewer at the end),
   * decrypted when stored encrypted. Empty when the version does not exist.
   * @throws DecryptionError when an item is encrypted under a key not configured (or altered).
   */
  async readItemJson(
    project: string,
    datasetId: string,
    version: number,
    start: number,
    count: number,
  ): Promise<string[]> {
    if (count <= 0) return [];
    const fields: string[] = [];
    for (let i = start; i < start + count; i++) fields.push(String(i));
    const values = await this.redis.hmget(
      this.keys.dataset(project, datasetId).version(version),
      ...fields,
    );
    const out: string[] = [];
    for (const v of values) {
      if (v === null) break;
      out.push(openValue(v, this.cipher));
    }
    return out;
  }

  /** Yields version `version`'s items (raw JSON) in order, `batch` at a time. */
  async *iterateItemJson(
    project: string,
    datasetId: string,
    version: number,
    batch = STAGE_BATCH,
  ): AsyncGenerator<string[]> {
    for (let start = 0; ; start += batch) {
      const page = await this.readItemJson(project, datasetId, version, start, batch);
      if (page.length > 0) yield page;
      if (page.length < batch) return;
    }
  }

  /**
   * Deletes the dataset and every version (runs keep their own copy of the items).
   * Returns false when it did not exist. The meta goes first, so a version committed
   * concurrently fails with `missing` instead of outliving the dataset.
   */
  async deleteDataset(project: string, datasetId: string): Promise<boolean> {
    const k = this.keys.dataset(project, datasetId);
    const existed = (await this.redis.del(k.meta)) > 0;
    const versions = await this.redis.zrange(k.versions, '0', '-1');
    const keys = [
      k.versions,
      ...versions.map((v) => k.version((JSON.parse(v) as DatasetVersionInfo).version)),
    ];
    await this.redis.unlink(...keys); // versions can be huge hashes: freed in the background
    await this.redis.zrem(this.keys.projectDatasets(project), datasetId);
    return existed;
  }
}
