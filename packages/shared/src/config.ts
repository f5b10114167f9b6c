/**
 * Configuration from environment variables, validated by one zod schema.
 * Nothing is read on import: `loadConfig()` is called by each `main.ts`, tests build their own.
 */
import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

export const ConfigSchema = z.object({
  /** Redis connection URL. */
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
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
  /** TTL of a run's keys before it finishes, seconds (30 days): nothing is left without a TTL. */
  RUNLEDGER_SAFETY_TTL_SECONDS: int(30 * 24 * 3600, 60),
  /** Max JSON request body, bytes (NDJSON bodies are streamed and limited by item count). */
  RUNLEDGER_MAX_BODY_BYTES: int(10 * 1024 * 1024, 1024),
  /** Max items in one run. */
  RUNLEDGER_MAX_ITEMS: int(1_000_000, 1),
  /** Max bytes of one item (JSON). */
  RUNLEDGER_MAX_ITEM_BYTES: int(1024 * 1024, 64),
  /** Max items per BullMQ job (chunk). */
  RUNLEDGER_CHUNK_SIZE: int(100, 1),
  /** Max entries kept in a run's event stream (approximate, XADD MAXLEN ~). */
  RUNLEDGER_EVENTS_MAXLEN: int(10_000, 10),
  /** BullMQ lock duration of a worker's job, ms; a killed worker's jobs are picked up after about this. */
  WORKER_LOCK_MS: int(5000, 500),
  /** How long SIGTERM waits for in-flight items before handing them back, ms. */
  WORKER_SHUTDOWN_TIMEOUT_MS: int(15_000, 0),
  /** Interval of worker heartbeats, ms. */
  WORKER_HEARTBEAT_MS: int(5000, 100),
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
