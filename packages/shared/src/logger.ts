import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { serializeError } from './redis-errors.js';
import { traceLogFields } from './tracing.js';

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
 * Creates the process logger: secrets redacted, errors under `err` (serialized by
 * `serializeError`: bounded message and stack, never a Redis command's arguments). Lines are JSON (one object
 * a line, as log collectors read them), except on a terminal: when stdout is a TTY (or with
 * `pretty: true`) they are formatted by pino-pretty (`[12:00:00.000] INFO (api): request ...`,
 * colored on a terminal). The JSON path is plain `pino(options[, destination])`. While tracing
 * is on (./tracing.ts), a line logged inside a span carries its `trace_id` and `span_id`.
 * @param options.level pino level (`info` by default); `silent` turns logging off.
 * @param options.name process role (`api`, `worker`, `cli`), added to every line.
 * @param options.destination where lines go instead of stdout (tests capture them).
 * @param options.pretty human-readable lines; default: stdout is a TTY and no `destination`.
 */
export function createLogger(
  options: {
    level?: string;
    name?: string;
    destination?: DestinationStream;
    pretty?: boolean;
  } = {},
): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // errors without command arguments (Lua ARGV carries result payloads), messages <= 1 kB
    serializers: { err: serializeError },
    base: { pid: process.pid, ...(options.name ? { name: options.name } : {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
    // `{}` (one check) while tracing is off
    mixin: traceLogFields,
  };
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY);
  if (pretty) return pino(opts, prettyStream(options.destination));
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/**
 * A pino-pretty stream (loaded only when used) writing to `destination`, or to stdout
 * synchronously (no line is lost when a CLI process exits); colored only on a terminal.
 */
function prettyStream(destination?: DestinationStream): DestinationStream {
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty.build({
    destination: destination ?? 1,
    sync: destination === undefined,
    colorize: destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}
