/**
 * Redis at its limits: what kind of failure a Redis error is (out of memory, read-only replica,
 * unreachable, ...), the 503 it becomes for API callers, and error serialization for logs that
 * never carries command arguments (ioredis attaches `command: { name, args }` to reply errors:
 * for a Lua script those args are every result payload of the call).
 */
import { UnavailableError } from './errors.js';

/** Longest error message (and stack) kept in a log line, characters. */
export const MAX_LOGGED_ERROR_CHARS = 1024;

/**
 * Kinds of Redis failure:
 * - `oom`: a write refused because `maxmemory` is reached (`OOM command not allowed ...`);
 * - `readonly`: a write sent to a replica (`READONLY ...`, e.g. during a failover);
 * - `loading`: Redis is loading its dataset (`LOADING ...`) or its master is down (`MASTERDOWN`);
 * - `connection`: no connection, closed, reset, refused, timed out, or ioredis gave up retrying;
 * - `replication`: fewer replicas than `RUNLEDGER_REDIS_WAIT_REPLICAS` acknowledged a write in
 *   time (`ReplicationTimeoutError`);
 * - `script`: a Lua script raised an error (`ERR user_script...`, `ERR Error running script`);
 * - `reply`: any other error reply of Redis.
 */
export type RedisErrorKind =
  | 'oom'
  | 'readonly'
  | 'loading'
  | 'connection'
  | 'replication'
  | 'script'
  | 'reply';

/** Every `RedisErrorKind`, for metrics labels. */
export const REDIS_ERROR_KINDS: readonly RedisErrorKind[] = [
  'oom',
  'readonly',
  'loading',
  'connection',
  'replication',
  'script',
  'reply',
];

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'NR_CLOSED',
]);

const CONNECTION_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'Command timed out',
  'connect ETIMEDOUT',
  'All sentinels are unreachable',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
];

/**
 * The kind of Redis failure `err` is, or null when it is not a Redis error (or not an Error).
 * Works on ioredis errors (`ReplyError`, `MaxRetriesPerRequestError`, socket errors; an
 * `EXECABORT` of a MULTI takes the kind of the command refused in it) and on errors BullMQ
 * rethrows with their message.
 */
export function redisErrorKind(err: unknown): RedisErrorKind | null {
  if (!(err instanceof Error)) return null;
  const message = err.message ?? '';
  // a MULTI discarded (EXECABORT) because a command in it was refused: the kind of that refusal
  const previous = (err as { previousErrors?: unknown }).previousErrors;
  if (message.startsWith('EXECABORT') && Array.isArray(previous)) {
    for (const p of previous) {
      const kind = redisErrorKind(p);
      if (kind !== null) return kind;
    }
  }
  if (message.startsWith('OOM ')) return 'oom';
  if (message.startsWith('READONLY ')) return 'readonly';
  if (message.startsWith('LOADING ') || message.startsWith('MASTERDOWN ')) return 'loading';
  if (err.name === 'ReplicationTimeoutError') return 'replication';
  const code = (err as { code?: unknown }).code;
  if (
    err.name === 'MaxRetriesPerRequestError' ||
    (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
    CONNECTION_MESSAGES.some((m) => message.includes(m))
  ) {
    return 'connection';
  }
  if (err.name === 'ReplyError') {
    return /user_script|Error running script|ERR Error/.test(message) ? 'script' : 'reply';
  }
  return null;
}

/** `Retry-After` (seconds) the API sends with a 503 for each kind. */
export const RETRY_AFTER_SECONDS: Readonly<Record<RedisErrorKind, number>> = {
  oom: 30,
  readonly: 2,
  loading: 5,
  connection: 2,
  replication: 2,
  script: 0,
  reply: 0,
};

/** What an API caller is told for each kind that is the store's fault, not theirs. */
const UNAVAILABLE_DETAIL: Partial<Record<RedisErrorKind, string>> = {
  oom: 'Redis is out of memory (maxmemory reached); nothing was written',
  readonly: 'Redis refused the write: it is a read-only replica (failover in progress?)',
  loading: 'Redis is loading its data or has no master',
  connection: 'Redis is unreachable',
  replication:
    'Redis replicas did not acknowledge the write in time (RUNLEDGER_REDIS_WAIT_REPLICAS): it may be lost in a failover; retry',
};

/**
 * A Redis failure as a 503 `unavailable` error (`UnavailableError` with `Retry-After`), or
 * null when `err` is not one that waiting can cure (script bugs, other replies, non-Redis errors).
 * `kind` on the answer names the Redis error kind.
 */
export function redisUnavailable(err: unknown): RedisUnavailableError | null {
  const kind = redisErrorKind(err);
  if (kind === null) return null;
  const detail = UNAVAILABLE_DETAIL[kind];
  if (detail === undefined) return null;
  return new RedisUnavailableError(kind, detail);
}

/**
 * 503 `unavailable` caused by Redis: out of memory, read-only, loading or unreachable, or
 * refused before writing by admission control (`redisKind` `oom`). Sends `Retry-After`
 * (seconds, `RETRY_AFTER_SECONDS`).
 */
export class RedisUnavailableError extends UnavailableError {
  override name = 'RedisUnavailableError';
  constructor(
    readonly redisKind: RedisErrorKind,
    message: string,
    retryAfterSeconds: number = RETRY_AFTER_SECONDS[redisKind] || 1,
  ) {
    super(message, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** `text` cut to `max` characters, with a note of how many were cut. */
export function boundText(text: string, max = MAX_LOGGED_ERROR_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... [${text.length - max} chars cut]`;
}

/** Properties of errors never logged: command arguments (Lua ARGV: payloads), previous errors. */
const DROPPED_KEYS = new Set(['command', 'args', 'argv', 'previousErrors', 'lastNodeError']);

/**
 * pino `err` serializer: `{ type, message, stack, code?, kind?, command? }` with `message` and
 * `stack` bounded to `MAX_LOGGED_ERROR_CHARS` each, only the command NAME of an ioredis reply
 * error (never its arguments), the Redis error kind when it is one, and the `cause` chain
 * serialized the same way (3 levels). Other own enumerable properties are kept when they are
 * numbers, booleans or strings of at most 200 characters.
 */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> | unknown {
  if (!(err instanceof Error)) {
    return typeof err === 'string' ? boundText(err) : err;
  }
  const out: Record<string, unknown> = {
    type: err.name || err.constructor?.name || 'Error',
    message: boundText(err.message ?? ''),
  };
  if (err.stack) out.stack = boundText(err.stack);
  const kind = redisErrorKind(err);
  if (kind !== null) out.redisKind = kind;
  const command = (err as { command?: { name?: unknown } }).command;
  if (command && typeof command.name === 'string') out.command = command.name;
  for (const [key, value] of Object.entries(err)) {
    if (key in out || DROPPED_KEYS.has(key) || key === 'cause') continue;
    if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'string' && value.length <= 200) out[key] = value;
  }
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && depth < 3) out.cause = serializeError(cause, depth + 1);
  return out;
}

/** What `watchRedisConnection` needs of a logger (a pino Logger fits). */
interface WarnInfoLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Something that emits ioredis connection events (`Redis`, `Cluster`, a BullMQ Worker's `error`). */
interface ConnectionEvents {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

/**
 * Logs a connection's outages once: the first `error` of an outage as a warning (`msg`, with the
 * error kind and bounded message), later errors only counted, and `redis connection restored`
 * (with how many errors were not logged) at the next `ready`, or when the returned function is
 * called (for emitters whose `ready` fires once, e.g. a BullMQ Worker: call it when it works
 * again). Listeners live as long as the connection.
 */
export function watchRedisConnection(
  conn: ConnectionEvents,
  logger: WarnInfoLogger,
  msg: string,
  bindings: Record<string, unknown> = {},
): () => void {
  let down = false;
  let errors = 0;
  conn.on('error', (err: Error) => {
    errors++;
    if (down) return;
    down = true;
    logger.warn({ ...bindings, err, redisKind: redisErrorKind(err) }, msg);
  });
  const up = () => {
    if (!down) return;
    logger.info({ ...bindings, errors }, 'redis connection restored');
    down = false;
    errors = 0;
  };
  conn.on('ready', up);
  return up;
}

/** What `failureStreakLog` returns: report each failure and each success of a repeated task. */
export interface FailureStreakLog {
  /** A failure: logged (warn) only when it starts a streak. */
  failed(err: unknown): void;
  /** A success: ends a streak, logged (info) with the number of failures it had. */
  succeeded(): void;
}

/**
 * Logs a periodic task's failures once per streak (e.g. a heartbeat every 500 ms while Redis is
 * unreachable): the first failure as `msg` (with the error and its Redis kind), the others only
 * counted, and `<msg>: recovered` with the count at the next success.
 */
export function failureStreakLog(
  logger: WarnInfoLogger,
  msg: string,
  bindings: Record<string, unknown> = {},
): FailureStreakLog {
  let failures = 0;
  return {
    failed(err) {
      if (failures++ === 0) logger.warn({ ...bindings, err, redisKind: redisErrorKind(err) }, msg);
    },
    succeeded() {
      if (failures === 0) return;
      logger.info({ ...bindings, failures }, `${msg}: recovered`);
      failures = 0;
    },
  };
}
