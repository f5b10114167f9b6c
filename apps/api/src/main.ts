/**
 * Process entry of the API: `loadConfig()`, tracing (when `OTEL_EXPORTER_OTLP_*ENDPOINT` is set),
 * logger, `startApi`; SIGTERM/SIGINT close it, flush the spans and exit 0. Invalid
 * configuration is printed and exits 1.
 */
import { ConfigError, createLogger, loadConfig, startTracing } from '@runledger/shared';
import { startApi } from './server.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const tracing = await startTracing({ serviceName: 'runledger-api' });
  const logger = createLogger({ name: 'api', level: config.LOG_LEVEL });
  const api = await startApi({ config, logger });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    api
      .close()
      .then(() => tracing.shutdown())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
