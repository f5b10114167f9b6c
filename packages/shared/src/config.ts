/**
 * Configuration from environment variables, validated by one zod schema.
 * Nothing is read on import: `loadConfig()` is called by each `main.ts`, tests build their own.
 */
import { z } from 'zod';
import { commaEntries } from './comma-list.js';
import { parseEncryptionKeys } from './encryption.js';
import { parseHostAllowlist } from './host-allowlist.js';
import { parseSentinels } from './redis.js';
import { DEFAULT_ROLE, isRole, type Role } from './roles.js';
import { NAME_PATTERN } from './schemas.js';
import { parseScrubKinds } from './scrub.js';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
/** A string setting that `parse` accepts; the issue is the message `parse` throws. */
const parsedBy = (parse: (value: string) => unknown) =>
  z
    .string()
    .default('')
    .superRefine((value, ctx) => {
      try {
        parse(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    });

export const ConfigSchema = z.object({
  /** Redis connection URL. */
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster mode (`true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off`): `REDIS_URL` is then a
   * seed node (its user, password and TLS apply to every node; db 0 only) and the other nodes
   * are discovered. Every process sharing the cluster must set it.
   */
  REDIS_CLUSTER: z.stringbool().default(false),
  /**
   * Redis Sentinel: `host:port,...` of some sentinels (ioredis asks them for the current master
   * and follows failovers). With it, `REDIS_SENTINEL_NAME` names the master group and
   * `REDIS_URL` only gives the db, user and password of the data nodes (its host is ignored).
   */
  REDIS_SENTINELS: parsedBy(parseSentinels),
  /** Master group name of `REDIS_SENTINELS` (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_NAME: z.string().default('mymaster'),
  /** Password of the sentinels themselves (not of the data nodes), if they require one. */
  REDIS_SENTINEL_PASSWORD: z.string().default(''),
  /**
   * Replicas every write that matters (run commit, result records, cancel) waits for before it
   * is acknowledged (`WAIT n timeout`); 0: no wait (a failover may lose the last writes, which
   * are then executed again). Needs replicas; see README "Redis Sentinel".
   */
  RUNLEDGER_REDIS_WAIT_REPLICAS: int(0, 0),
  /** How long `WAIT` waits for the replicas, ms; fewer acknowledgements fail the write. */
  RUNLEDGER_REDIS_WAIT_TIMEOUT_MS: int(1000, 1),
  /**
   * Admission control: above this fraction of Redis `maxmemory` (`used_memory / maxmemory` from
   * `INFO memory`, read at most once a second), new runs and dataset versions are refused with
   * 503 before anything is written, so running runs keep room for their results. 0: off; no
   * effect when Redis has no `maxmemory`.
   */
  RUNLEDGER_REDIS_MEMORY_HIGH_WATER: z.coerce.number().min(0).max(1).default(0.9),
  /** Prefix of every runledger key (BullMQ gets `{prefix}`). */
  RUNLEDGER_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('runledger'),
  /** API listen port. */
  PORT: int(3000, 0),
  /** API listen host. */
  HOST: z.string().default('127.0.0.1'),
  /** Where the CLI finds the API. */
  RUNLEDGER_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** Max items one worker process executes at once. */
  WORKER_CONCURRENCY: int(32, 1),
  /** Comma-separated module paths the worker loads targets and scorers from. */
  RUNLEDGER_TARGETS: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Default retention of a finished run's keys, seconds (7 days). */
  RUNLEDGER_RETENTION_SECONDS: int(7 * 24 * 3600, 60),
  /**
   * Default `retention.keepLast` of a run (0: none): when a run finishes, the finished runs of its
   * project with its target name and dataset id beyond the newest N are deleted
   * (packages/shared/src/retention.ts).
   */
  RUNLEDGER_RETENTION_KEEP_LAST: int(0, 0),
  /** TTL of a run's keys before it finishes, seconds (30 days): nothing is left without a TTL. */
  RUNLEDGER_SAFETY_TTL_SECONDS: int(30 * 24 * 3600, 60),
  /** Max JSON request body, bytes (NDJSON bodies are streamed and limited by item count). */
  RUNLEDGER_MAX_BODY_BYTES: int(10 * 1024 * 1024, 1024),
  /** Max snapshot size `POST /v1/runs/import` takes, bytes (256 MiB); it is held in memory to be checked. */
  RUNLEDGER_MAX_IMPORT_BYTES: int(256 * 1024 * 1024, 1024),
  /** Max items in one run. */
  RUNLEDGER_MAX_ITEMS: int(1_000_000, 1),
  /** Max bytes of one item (JSON). */
  RUNLEDGER_MAX_ITEM_BYTES: int(1024 * 1024, 64),
  /**
   * Worker threads of the API that parse, validate and encode NDJSON item lines beside its event
   * loop (batches of 8 KiB and more); 0 parses them on the event loop.
   */
  RUNLEDGER_PARSE_THREADS: int(1, 0),
  /** Max items per BullMQ job (chunk). */
  RUNLEDGER_CHUNK_SIZE: int(100, 1),
  /** Max entries kept in a run's event stream (approximate, XADD MAXLEN ~). */
  RUNLEDGER_EVENTS_MAXLEN: int(10_000, 10),
  /** Items an early end of a run (cancel, budget stop) records `cancelled` per Lua script call. */
  RUNLEDGER_FINISH_SLICE_ITEMS: int(10_000, 1),
  /** BullMQ lock duration of a worker's job, ms; a killed worker's jobs are picked up after about this. */
  WORKER_LOCK_MS: int(5000, 500),
  /** How long SIGTERM waits for in-flight items before handing them back, ms. */
  WORKER_SHUTDOWN_TIMEOUT_MS: int(15_000, 0),
  /** Interval of worker heartbeats, ms. */
  WORKER_HEARTBEAT_MS: int(5000, 100),
  /**
   * Claim lease, ms: a worker may start an item's attempt for this long after it sent the claim
   * (`store.execution.claimItems`) that allowed it, and must claim again after; cancel and delete wait this
   * long before they answer, so no attempt starts after they returned. The API and every worker
   * MUST use the same value (a worker with a longer lease breaks that guarantee).
   */
  RUNLEDGER_CLAIM_LEASE_MS: int(250, 10),
  /**
   * Interval of reconciler passes, ms: every interval ONE worker of the fleet (the holder of the
   * reconciler lock) re-enqueues lost chunk jobs and fails runs whose target no worker serves.
   */
  RUNLEDGER_RECONCILE_INTERVAL_MS: int(10_000, 50),
  /** A queued/running run is examined by the reconciler only after this long without an event, ms. */
  RUNLEDGER_RECONCILE_GRACE_MS: int(30_000, 0),
  /**
   * A queued/running run whose target no live worker serves fails after this long without an
   * event (its creation counts as one), ms (5 minutes).
   */
  RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS: int(300_000, 0),

  // ---------------------------------------------------------------- security (see README "Security")

  /**
   * API keys from the environment, `project:key[:role],...` (e.g. `team-a:<32+ random chars>:read`):
   * a request's `Authorization: Bearer <key>` picks its project and its role (`read`, `write`,
   * `admin`; `admin` when none is named; see roles.ts). A project is 1-64 letters, digits,
   * `_`, `-`, `.`; a key at least 16 characters, no commas or spaces. Keys can also be stored
   * (hashed) in Redis with `runledger keys create`. With no key anywhere the API binds to
   * loopback only and every run belongs to project `default`.
   */
  RUNLEDGER_API_KEYS: parsedBy(parseApiKeys),
  /**
   * Max entries of a project's audit log (exact; the oldest go first). See README "Audit log".
   * @defaultValue 100000
   */
  RUNLEDGER_AUDIT_MAXLEN: int(100_000, 1),
  /** Max age of an audit log entry, seconds (90 days); older entries are removed and never read. */
  RUNLEDGER_AUDIT_MAX_AGE_SECONDS: int(90 * 24 * 3600, 60),
  /**
   * Bearer token a Prometheus scraper may send to `/metrics` instead of an API key (16+
   * characters, no spaces). Only matters once API keys are configured: then `/metrics` needs a
   * key (any role) or this token. Empty: no token.
   */
  RUNLEDGER_METRICS_TOKEN: parsedBy(parseMetricsToken),
  /**
   * `host:port` (`[::1]:9464` for IPv6) of a second listener serving only `/metrics` (and
   * `/healthz`), for the scraper; `/metrics` on the API's own port then answers 404. Needs no
   * key there unless `RUNLEDGER_METRICS_TOKEN` is set. Empty: `/metrics` is on the API's port.
   */
  RUNLEDGER_METRICS_LISTEN: parsedBy(parseListenAddress),
  /** The API key the CLI sends as `Authorization: Bearer` (used by the CLI only). */
  RUNLEDGER_API_KEY: z.string().default(''),
  /** Requests per second one API key may make (429 with `Retry-After` beyond); 0 = no limit. */
  RUNLEDGER_RATE_LIMIT_PER_SECOND: int(50, 0),
  /** Max runs of one project queued or running at once (429 on submission beyond); 0 = no limit. */
  RUNLEDGER_MAX_RUNS_IN_FLIGHT: int(100, 0),
  /**
   * Hosts the built-in `http` and `openai` targets may call, comma-separated patterns:
   * `api.example.com`, `*.internal.example` (any subdomain), `127.0.0.1`, `[::1]`,
   * `localhost:8080` (that port only), and the keyword `public` (any host whose addresses are all
   * public, besides the listed ones). Empty (default): any host whose addresses are all public;
   * private, loopback, link-local (cloud metadata included), unique-local and unspecified
   * addresses are refused. Non-empty: only listed hosts, whatever their addresses (plus public
   * hosts with `public`). Read by the workers (checked when connecting) and by the API (a URL it
   * can tell is refused, e.g. `http://127.0.0.1:8000`, is a 400 at submit). `runledger start`
   * sets `public,127.0.0.1,[::1],localhost` when it is unset (and no API key is configured).
   */
  RUNLEDGER_HTTP_TARGET_ALLOW: parsedBy(parseHostAllowlist),

  // ---------------------------------------------------------------- cost and target limits (worker)

  /**
   * Price table (worker): a JSON file path, or inline JSON, `{ "<model>": { "inputPerMTok": 3,
   * "outputPerMTok": 15 } }` in USD per million tokens. Turns a result's usage into `costUsd`
   * when its target reports no cost. Empty: no pricing. A bad table stops the worker at start.
   */
  RUNLEDGER_PRICES: z.string().default(''),
  /**
   * Rate limits per target shared by every worker (worker): a JSON file path, or inline JSON,
   * `{ "<target>": { "rpm": 600, "tpm": 100000, "windowSeconds": 60 } }`. Empty: no limits.
   */
  RUNLEDGER_TARGET_LIMITS: z.string().default(''),

  // ---------------------------------------------------------------- privacy (API)

  /**
   * PII scrubbing of runs (and dataset pushes) that set no `privacy.scrub`: `all`, or a
   * comma-separated list of `secret`, `email`, `card`, `ip`, `phone` (e.g. `email,card`);
   * empty or `none`: nothing. Read by the API at submit; the run keeps the resolved policy.
   */
  RUNLEDGER_SCRUB: parsedBy(parseScrubKinds),

  /**
   * Encryption at rest (API and worker; every process of a deployment needs the same list):
   * `kid:<base64 of 32 bytes>[,kid:...]`. Items, result outputs and errors and dataset items are
   * stored AES-256-GCM encrypted under the first key; every listed key decrypts (rotation: put
   * the new key first, keep the old ones while data written under them lives). Empty: off.
   * A bad entry (not base64, not 32 bytes, duplicate key id) stops the process at start.
   */
  RUNLEDGER_ENCRYPTION_KEYS: parsedBy(parseEncryptionKeys),
});

/** Parsed configuration; see `ConfigSchema` for each field, its unit and default. */
export type Config = z.infer<typeof ConfigSchema>;

/**
 * Parses configuration from `env` (default `process.env`).
 * @throws ConfigError listing every invalid variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Thrown by `loadConfig` when an environment variable is invalid. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One API key from `RUNLEDGER_API_KEYS`. */
export interface EnvApiKey {
  project: string;
  key: string;
  /** The key's role (`project:key:role`); `admin` when the entry names none. */
  role: Role;
}

/**
 * Parses `RUNLEDGER_API_KEYS` (`project:key[:role],...`; blanks around entries ignored). An
 * entry whose last `:`-separated part is `read`, `write` or `admin` has that role, any other
 * entry the role `admin` (so keys containing `:` still work).
 * @throws Error naming the first bad entry (without its key).
 */
export function parseApiKeys(value: string): EnvApiKey[] {
  const keys: EnvApiKey[] = [];
  const seen = new Set<string>();
  for (const { entry, where } of commaEntries(value)) {
    const colon = entry.indexOf(':');
    const project = colon < 0 ? '' : entry.slice(0, colon);
    let key = colon < 0 ? '' : entry.slice(colon + 1);
    let role: Role = DEFAULT_ROLE;
    const last = key.lastIndexOf(':');
    const named = last < 0 ? '' : key.slice(last + 1);
    if (isRole(named)) {
      role = named;
      key = key.slice(0, last);
    }
    if (!PROJECT_PATTERN.test(project)) {
      throw new Error(
        `${where} must be project:key with a project of 1-64 letters, digits, "_", "-" or "."`,
      );
    }
    if (key.length < 16 || /\s/.test(key)) {
      throw new Error(`${where} (project ${project}): the key needs 16+ characters, no spaces`);
    }
    if (seen.has(key)) throw new Error(`${where} (project ${project}): duplicate key`);
    seen.add(key);
    keys.push({ project, key, role });
  }
  return keys;
}

/** Project names: like target names (`NAME_PATTERN`), 1-64 letters, digits, `_`, `-`, `.`. */
export const PROJECT_PATTERN = NAME_PATTERN;

/** The project of every run when no API key is configured. */
export const DEFAULT_PROJECT = 'default';

/**
 * Checks `RUNLEDGER_METRICS_TOKEN`: empty, or 16+ characters without spaces.
 * @throws Error saying what is wrong (never the token).
 */
export function parseMetricsToken(value: string): string {
  if (value !== '' && (value.length < 16 || /\s/.test(value))) {
    throw new Error('the token needs 16+ characters, no spaces');
  }
  return value;
}

/** A listen address: `host` (a name, IPv4, or IPv6 without brackets) and `port` (0: any free port). */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `host:port` (`[::1]:9464` for IPv6); `''` is null (not set).
 * @throws Error when it is not `host:port` with a port in 0..65535.
 */
export function parseListenAddress(value: string): ListenAddress | null {
  if (value === '') return null;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    throw new Error('must be host:port, e.g. 127.0.0.1:9464 or [::1]:9464');
  }
  return { host: (match[1] ?? match[2])!, port };
}
