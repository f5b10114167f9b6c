import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/** Paths pino removes from every log line (secrets in headers and target config). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.config.headers',
  'config.headers',
  'headers.authorization',
  'apiKey',
  '*.apiKey',
];

/**
 * Creates the process logger: JSON lines on stdout, secrets redacted, errors under `err`.
 * @param options.level pino level (`info` by default); `silent` turns logging off.
 * @param options.name process role (`api`, `worker`, `cli`), added to every line.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid, ...(options.name ? { name: options.name } : {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(opts);
}
