/**
 * What every route of the API shares: its dependencies (`AppDeps`), the per-request context
 * variables (`AppEnv`) and the router factory that wires the validation hook.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Config, Logger, RunQueues, RunStore } from '@runledger/shared';
import type { Cluster, Redis } from 'ioredis';
import type { AuthOptions } from './auth.js';
import { validationHook } from './problem.js';

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
  };
}

/** A router (sub-app) whose zod validation failures become 400 problems. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** Crockford base32 ULID, the format of every run id. */
export const RUN_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
