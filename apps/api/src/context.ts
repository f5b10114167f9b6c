/**
 * What every route of the API shares: its dependencies (`AppDeps`), the per-request context
 * variables (`AppEnv`) and the router factory that wires the validation hook.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import {
  type Config,
  DEFAULT_PROJECT,
  type Logger,
  PayloadTooLargeError,
  type Role,
  type Run,
  type RunQueues,
  type RunStore,
  redactSecrets,
} from '@runledger/shared';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Cluster, Redis } from 'ioredis';
import type { AuthOptions } from './auth.js';
import type { ApiMetrics } from './metrics.js';
import { runNotFound, validationHook } from './problem.js';

/** Dependencies of `createApp`; tests build their own. */
export interface AppDeps {
  config: Config;
  store: RunStore;
  queues: RunQueues;
  logger: Logger;
  /**
   * Opens a dedicated Redis connection for one SSE stream (its XREAD BLOCK holds the
   * connection). The stream disconnects it when it ends.
   */
  openBlockingRedis: () => Redis | Cluster;
  /** API key handling (see ./auth.ts). @defaultValue keys required only once one is configured */
  auth?: AuthOptions;
  /** The built dashboard served at `/` (see ./web.ts). @defaultValue apps/web/dist */
  webDir?: string;
  /**
   * The metrics registry `/metrics` serves and the app observes HTTP durations into; `startApi`
   * passes its own so a separate metrics listener (`RUNLEDGER_METRICS_LISTEN`) serves the same
   * figures. @defaultValue a new one (`createMetrics`)
   */
  metrics?: ApiMetrics;
}

/** Per-request variables: the request id (`X-Request-Id`) and a pino child logger carrying it. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    /** The project the request acts for (its API key's; `default` without keys). */
    project: string;
    /** Id of the request's API key (`env:<project>:<n>` or a stored key's id); null without keys. */
    apiKeyId: string | null;
    /** The role of the request's API key (`admin` without keys); see ./routes/access.ts. */
    role: Role;
  };
}

/** A router (sub-app) whose zod validation failures become 400 problems. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** Crockford base32 ULID, the format of every run id. */
export const RUN_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The project the request acts for (set by the auth middleware). */
export const projectOf = (c: Context<AppEnv>): string => c.get('project') ?? DEFAULT_PROJECT;

/** A run as answered: secret config fields (see shared/secrets.ts) read `[redacted]`. */
export const shownRun = (run: Run): Run => ({
  ...run,
  target: redactSecrets(run.target),
  scorers: redactSecrets(run.scorers),
});

/**
 * An experiment's variants as answered (create, get, report, list): each target's secret config fields
 * read `[redacted]`, as a run's do (the stored record keeps the real values).
 */
export const shownVariants = <V extends { target: Run['target'] }>(variants: V[]): V[] =>
  variants.map((variant) => ({ ...variant, target: redactSecrets(variant.target) }));

/**
 * Run `id` (its real spec, secrets included) when it exists and belongs to the request's
 * project. A run of another project answers exactly like a missing one, so ids of other
 * projects do not leak; ids that cannot be run ids answer without a Redis round trip.
 * @throws ProblemError 404.
 */
export async function loadOwnRun(
  store: Pick<RunStore, 'runs'>,
  c: Context<AppEnv>,
  id: string,
): Promise<Run> {
  if (!RUN_ID_PATTERN.test(id)) throw runNotFound(id);
  const run = await store.runs.getRun(id);
  if (!run || run.project !== projectOf(c)) throw runNotFound(id);
  return run;
}

/**
 * Like `loadOwnRun` (same 404s), for routes that need no more than the check: reads only the
 * run's project.
 * @throws ProblemError 404.
 */
export async function checkOwnRun(
  store: Pick<RunStore, 'runs'>,
  c: Context<AppEnv>,
  id: string,
): Promise<void> {
  if (!RUN_ID_PATTERN.test(id)) throw runNotFound(id);
  if ((await store.runs.getRunProject(id)) !== projectOf(c)) throw runNotFound(id);
}

/**
 * Middleware refusing request bodies over `maxBytes` with a 413 problem
 * (`request body exceeds <maxBytes> bytes<hint>`).
 */
export function limitBody(maxBytes: number, hint = ''): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new PayloadTooLargeError(`request body exceeds ${maxBytes} bytes${hint}`);
    },
  });
}
