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

/** The methods of a pino logger a lazy child (`lazyChildLogger`) forwards to its real child. */
const LAZY_METHODS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
  'child',
  'bindings',
  'setBindings',
  'flush',
  'isLevelEnabled',
] as const;
/** The log-level methods: a call below the level makes no child (nothing is written). */
const LEVEL_METHODS = new Set<string>(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
const PARENT = Symbol('lazyChildLogger.parent');
const BINDINGS = Symbol('lazyChildLogger.bindings');
const OUTER = Symbol('lazyChildLogger.outer');
const CHILD = Symbol('lazyChildLogger.child');
/**
 * A lazy child: its parent, its bindings, the bindings of the lazy logger it was asked of (when
 * that one had made no real child: see `lazyChildLogger`), and the real pino child once made.
 */
interface LazyChild {
  [PARENT]: Logger;
  [BINDINGS]: Record<string, unknown>;
  [OUTER]: Record<string, unknown> | undefined;
  [CHILD]: Logger | undefined;
}
/** The real child of a lazy one, made on first use. */
function realChild(lazy: LazyChild): Logger {
  let child = lazy[CHILD];
  if (child === undefined) {
    const outer = lazy[OUTER];
    child = lazy[PARENT].child(
      outer === undefined ? lazy[BINDINGS] : { ...outer, ...lazy[BINDINGS] },
    );
    lazy[CHILD] = child;
  }
  return child;
}
/** One prototype per parent logger: the forwarding methods, over the parent itself. */
const lazyPrototypes = new WeakMap<Logger, object>();
function lazyPrototype(parent: Logger): object {
  let proto = lazyPrototypes.get(parent);
  if (proto) return proto;
  proto = Object.create(parent) as object;
  for (const name of LAZY_METHODS) {
    Object.defineProperty(proto, name, {
      value(this: LazyChild, ...args: unknown[]) {
        if (
          this[CHILD] === undefined &&
          LEVEL_METHODS.has(name) &&
          !this[PARENT].isLevelEnabled(name)
        ) {
          return undefined;
        }
        const child = realChild(this) as unknown as Record<string, (...a: unknown[]) => unknown>;
        return child[name]!(...args);
      },
      writable: true,
      configurable: true,
    });
  }
  Object.defineProperty(proto, 'level', {
    get(this: LazyChild) {
      return realChild(this).level;
    },
    set(this: LazyChild, level: string) {
      realChild(this).level = level;
    },
    configurable: true,
  });
  lazyPrototypes.set(parent, proto);
  return proto;
}

/**
 * A logger whose pino child (with `bindings`) is made on first use: most items (and requests) never
 * log, and a pino child per item is costly (its bindings are serialized and redacted). One small object
 * per call: the methods of `LAZY_METHODS` and `level` go to the real child (a log call below the
 * parent's level makes none); anything else is read from `parent` (its prototype).
 * A lazy child of a lazy child that has made no real child yet is a lazy child of the first one's
 * parent with both bindings (the inner ones win), so a worker's item loggers under its per-chunk
 * lazy logger share one prototype (a prototype per chunk cost 13 `defineProperty` per chunk and
 * made the item loggers' property reads polymorphic).
 */
export function lazyChildLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  const above = parent as unknown as Partial<LazyChild>;
  // only a lazy logger has PARENT (own: pino's children never inherit from a lazy one)
  const flatten = above[PARENT] !== undefined && above[CHILD] === undefined;
  const base = flatten ? (above[PARENT] as Logger) : parent;
  const lazy = Object.create(lazyPrototype(base)) as LazyChild;
  lazy[PARENT] = base;
  lazy[BINDINGS] = bindings;
  // merged only when a line is written (most items never log); a third level merges now
  lazy[OUTER] = !flatten
    ? undefined
    : above[OUTER] === undefined
      ? above[BINDINGS]
      : { ...above[OUTER], ...above[BINDINGS] };
  // own, so that a lazy child of a lazy logger that has made its real child (its prototype's
  // prototype) does not read that one as its own
  lazy[CHILD] = undefined;
  return lazy as unknown as Logger;
}
