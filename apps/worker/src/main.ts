/**
 * Worker process entry: reads config from the environment, starts tracing (when
 * `OTEL_EXPORTER_OTLP_*ENDPOINT` is set) and the worker, and shuts it down gracefully on
 * SIGTERM/SIGINT, flushing the spans (exit 0; a second signal exits 1 at once). Invalid config (a bad
 * price table or target limits included) or a failed start exits 1.
 */
import { closeAndExit, createLogger, loadConfigOrExit, startTracing } from '@runledger/shared';
import { WorkerTableError } from './prices.js';
import { startWorker } from './worker.js';

const config = loadConfigOrExit();

const tracing = await startTracing({ serviceName: 'runledger-worker' });
const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL });

try {
  const handle = await startWorker({ config, logger });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // a second signal forces the exit; chunks held are picked up by others once their locks expire
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    closeAndExit(logger, [() => handle.close(), () => tracing.shutdown()]);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (err) {
  // a bad RUNLEDGER_PRICES / RUNLEDGER_TARGET_LIMITS: one plain line naming the variable
  if (err instanceof WorkerTableError) console.error(err.message);
  logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
}
