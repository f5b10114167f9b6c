import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

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
  // API keys and secret headers wherever a request or a target config is logged
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["proxy-authorization"]',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  '*.headers["proxy-authorization"]',
  'target.config.headers',
  '*.target.config.headers',
  'spec.target.config.headers',
  '*.spec.target.config.headers',
  'authorization',
  '*.authorization',
  'key',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
];

/**
 * Creates the process logger: JSON lines on stdout, secrets redacted, errors under `err`.
 * @param options.level pino level (`info` by default); `silent` turns logging off.
 * @param options.name process role (`api`, `worker`, `cli`), added to every line.
 * @param options.destination where lines go instead of stdout (tests capture them).
 */
export function createLogger(
  options: { level?: string; name?: string; destination?: DestinationStream } = {},
): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid, ...(options.name ? { name: options.name } : {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}
