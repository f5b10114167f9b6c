/**
 * Process entry of the API: `loadConfig()`, tracing (when `OTEL_EXPORTER_OTLP_*ENDPOINT` is set),
 * logger, `startApi`; SIGTERM/SIGINT close it, flush the spans and exit 0. Invalid
 * configuration is printed and exits 1.
 */
import { closeAndExit, createLogger, loadConfigOrExit, startTracing } from '@runledger/shared';
import { startApi } from './server.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const tracing = await startTracing({ serviceName: 'runledger-api' });
  const logger = createLogger({ name: 'api', level: config.LOG_LEVEL });
  const api = await startApi({ config, logger });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    closeAndExit(logger, [() => api.close(), () => tracing.shutdown()]);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
