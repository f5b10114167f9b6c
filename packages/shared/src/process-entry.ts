/**
 * What the process entries (`apps/api/src/main.ts`, `apps/worker/src/main.ts`) share: reading
 * the configuration or exiting, and closing down then exiting.
 */
import { type Config, ConfigError, loadConfig } from './config.js';
import type { Logger } from './logger.js';

/**
 * `loadConfig()` from the environment; on a `ConfigError` prints its message (one line naming
 * the variable) and exits 1. Other errors are thrown.
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * Runs `steps` one after the other (e.g. close the server, then flush the spans), then exits 0;
 * exits 1 after logging the error when one fails.
 */
export function closeAndExit(logger: Logger, steps: (() => Promise<unknown>)[]): void {
  steps
    .reduce<Promise<unknown>>((done, step) => done.then(step), Promise.resolve())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
}
