/**
 * The audit log: one Redis Stream per project (`KeyLayout.auditLog`, hash-tagged with the
 * project) holding one entry per change made through the API (and `runledger keys`): when, the
 * API key id (never the key), the action, the object's id, the request id and the outcome (HTTP
 * status).
 *
 * Caps, applied on every append in one MULTI:
 * - length: at most `maxLen` entries (`XADD ... MAXLEN maxLen`, exact: the stream is small and
 *   written once per change, so exact trimming is cheap and the cap is what it says);
 * - age: entries older than `maxAgeSeconds` are removed (`XTRIM MINID`), the stream itself
 *   expires `maxAgeSeconds` after its last append (then every entry is too old anyway), and
 *   reads never return an entry older than that.
 */
import { InvalidCursorError } from './errors.js';
import type { KeyLayout } from './keys.js';
import type { RedisClient } from './redis.js';

/** Where a change was made: through the HTTP API, or by `runledger keys` on Redis directly. */
export type AuditSource = 'api' | 'cli';

/** What `AuditLog.append` records (the time comes from the stream id Redis assigns). */
export interface AuditRecord {
  /** Dotted action name: `run.create`, `run.cancel`, `dataset.push`, `key.revoke`, ... */
  action: string;
  /** Id of the API key that made the call (`env:<project>:<n>` or a stored key's id); null without keys or from the CLI. */
  keyId: string | null;
  /** The object acted on: the route's `:id`, or the id of what a create made; null when unknown (e.g. a refused create). */
  objectId: string | null;
  /** What the call created besides (`run.rerun`: the new run), when it differs from `objectId`. */
  createdId?: string | null | undefined;
  /** The request's `X-Request-Id`; null from the CLI. */
  requestId: string | null;
  /** Outcome: the HTTP status answered (CLI changes record 200). */
  status: number;
  /** `METHOD /path` of the call (no query string), or the CLI command. */
  call: string;
  source: AuditSource;
}

/** One entry as read back: the record plus its stream id and time. */
export interface AuditEntry extends Omit<AuditRecord, 'createdId'> {
  /** Stream id (`<ms>-<seq>`): unique, ordered by time; the paging cursor. */
  id: string;
  /** When it was recorded, ISO-8601 UTC (from the stream id). */
  at: string;
  createdId: string | null;
}

/** Caps of the audit log. */
export interface AuditLogOptions {
  /** Max entries kept per project (exact). @defaultValue 100000 */
  maxLen?: number;
  /** Max age of an entry, seconds. @defaultValue 7776000 (90 days) */
  maxAgeSeconds?: number;
}

/** Filter and page of `AuditLog.list`. */
export interface AuditQuery {
  /** Only entries recorded at or after this time, ms since epoch. */
  since?: number | undefined;
  /** Only entries of this action. */
  action?: string | undefined;
  /** Max entries answered. @defaultValue 100 */
  limit?: number | undefined;
  /** `nextCursor` of the previous page: entries older than it. */
  cursor?: string | undefined;
}

/** A page of entries, newest first; `nextCursor` null on the last page. */
export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

const STREAM_ID = /^\d{1,15}-\d{1,20}$/;
/** Max stream entries one `list` call inspects (with an `action` filter) before answering a partial page. */
const MAX_SCAN = 10_000;

/** Appends to and reads the per-project audit streams. */
export class AuditLog {
  readonly maxLen: number;
  readonly maxAgeSeconds: number;

  constructor(
    readonly redis: RedisClient,
    readonly keys: KeyLayout,
    options: AuditLogOptions = {},
  ) {
    this.maxLen = options.maxLen ?? 100_000;
    this.maxAgeSeconds = options.maxAgeSeconds ?? 90 * 24 * 3600;
  }

  /**
   * Appends `record` to `project`'s audit stream and applies the caps (see the module doc).
   * @returns the entry's stream id.
   */
  async append(project: string, record: AuditRecord, now = Date.now()): Promise<string> {
    const key = this.keys.auditLog(project);
    const fields = [
      'action',
      record.action,
      'key',
      record.keyId ?? '',
      'object',
      record.objectId ?? '',
      'created',
      record.createdId ?? '',
      'req',
      record.requestId ?? '',
      'status',
      String(record.status),
      'call',
      record.call,
      'source',
      record.source,
    ];
    const replies = await this.redis
      .multi()
      .xadd(key, 'MAXLEN', String(this.maxLen), '*', ...fields)
      .xtrim(key, 'MINID', String(now - this.maxAgeSeconds * 1000))
      .expire(key, this.maxAgeSeconds)
      .exec();
    const failed = replies?.find(([err]) => err);
    if (!replies || failed) throw failed?.[0] ?? new Error('audit append aborted');
    return replies[0]![1] as string;
  }

  /**
   * `project`'s entries, newest first, filtered by `since` and `action`, at most `limit`.
   * @throws InvalidCursorError for a cursor this log did not hand out.
   */
  async list(project: string, query: AuditQuery = {}, now = Date.now()): Promise<AuditPage> {
    const limit = query.limit ?? 100;
    if (query.cursor !== undefined && !STREAM_ID.test(query.cursor)) throw new InvalidCursorError();
    const key = this.keys.auditLog(project);
    const oldest = Math.max(query.since ?? 0, now - this.maxAgeSeconds * 1000);
    const low = String(oldest);
    let high = query.cursor === undefined ? '+' : `(${query.cursor}`;
    const entries: AuditEntry[] = [];
    let scanned = 0;
    const batch = query.action === undefined ? limit + 1 : Math.max(100, limit + 1);
    for (;;) {
      const page = (await this.redis.xrevrange(key, high, low, 'COUNT', batch)) as [
        string,
        string[],
      ][];
      for (const [id, flat] of page) {
        scanned++;
        const entry = toEntry(id, flat);
        if (query.action !== undefined && entry.action !== query.action) continue;
        if (entries.length === limit) return { entries, nextCursor: entries.at(-1)!.id };
        entries.push(entry);
      }
      if (page.length < batch) return { entries, nextCursor: null };
      const last = page.at(-1)![0];
      high = `(${last}`;
      if (scanned >= MAX_SCAN) return { entries, nextCursor: last };
    }
  }
}

function toEntry(id: string, flat: string[]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  const orNull = (v: string | undefined) => (v ? v : null);
  return {
    id,
    at: new Date(Number(id.split('-')[0])).toISOString(),
    action: f.action ?? '',
    keyId: orNull(f.key),
    objectId: orNull(f.object),
    createdId: orNull(f.created),
    requestId: orNull(f.req),
    status: Number(f.status ?? 0),
    call: f.call ?? '',
    source: f.source === 'cli' ? 'cli' : 'api',
  };
}
