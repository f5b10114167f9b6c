/**
 * What the Iris demos share: where they submit (a remote API, or an API and workers started in
 * this process serving the `iris-knn` target) and how they run as a script.
 */
import { type RunningServices, startServices } from '@runledger/cli';
import { type Config, createLogger, type Logger, loadConfig } from '@runledger/shared';
import { irisKnn } from './targets.js';

/** Options of `connectOrStart`. */
export interface IrisServicesOptions {
  /** Environment (config). */
  env: Record<string, string | undefined>;
  /** Config overrides on top of `env` (tests set `REDIS_URL` and `RUNLEDGER_PREFIX`). */
  config?: Partial<Config> | undefined;
  /** Submit to this API instead of starting one; undefined: start one. */
  remote: string | undefined;
  /** In-process workers when none is remote. @defaultValue 2 */
  workers?: number | undefined;
  /** Logger of the in-process services. @defaultValue level `LOG_LEVEL` or `warn`, named `name` */
  logger?: Logger | undefined;
  /** Name of the default logger. */
  name: string;
}

/**
 * The API to submit to: `options.remote`, or an API on a free loopback port with
 * `options.workers` workers serving `iris-knn` (and a private redis-server when none answers).
 * `services` is what was started here (null when remote); the caller closes it.
 * @throws RedisUnavailableError (no Redis), or what `startServices` throws.
 */
export async function connectOrStart(
  options: IrisServicesOptions,
): Promise<{ baseUrl: string; services: RunningServices | null }> {
  const { env } = options;
  const config: Config = { ...loadConfig(env), ...options.config };
  if (options.remote) return { baseUrl: options.remote, services: null };
  const logger =
    options.logger ?? createLogger({ level: env.LOG_LEVEL ?? 'warn', name: options.name });
  const services = await startServices({
    config: { ...config, PORT: 0, HOST: '127.0.0.1', RUNLEDGER_TARGETS: '' },
    logger,
    api: true,
    workers: options.workers ?? 2,
    redisUrlGiven: Boolean(options.config?.REDIS_URL ?? env.REDIS_URL),
    launchRedis: true,
    targets: [irisKnn],
  });
  return { baseUrl: services.apiUrl ?? '', services };
}

/** The options every Iris demo takes. */
export interface IrisDemoBaseOptions {
  /** Environment (config; `RUNLEDGER_URL` selects a remote API). @defaultValue process.env */
  env?: Record<string, string | undefined>;
  /** Config overrides on top of `env` (tests set `REDIS_URL` and `RUNLEDGER_PREFIX`). */
  config?: Partial<Config>;
  /** In-process workers when no API URL is given. @defaultValue 2 */
  workers?: number;
  /** Where the demo's text goes. @defaultValue process.stdout */
  out?: NodeJS.WritableStream;
  /** Where the progress bars go; null: none. @defaultValue process.stderr */
  progress?: NodeJS.WritableStream | null;
  /** Logger of the in-process services. @defaultValue level `LOG_LEVEL` or `warn` */
  logger?: Logger;
}

/** What a demo's body gets from `withIrisApi`: its options defaulted, and the API to use. */
export interface IrisDemoContext {
  env: Record<string, string | undefined>;
  out: NodeJS.WritableStream;
  progress: NodeJS.WritableStream | null;
  baseUrl: string;
  /** What was started here (null when remote). */
  services: RunningServices | null;
}

/**
 * Runs a demo's `body` against the API of `connectOrStart` (`remote`, or one started here with
 * its workers; default logger named `name`), its options defaulted; whatever `body` does,
 * everything started here is closed before this returns or throws. `body`'s result.
 * @throws what `connectOrStart` or `body` throws.
 */
export async function withIrisApi<T>(
  options: IrisDemoBaseOptions & { remote: string | undefined; name: string },
  body: (context: IrisDemoContext) => Promise<T>,
): Promise<T> {
  const env = options.env ?? process.env;
  const out = options.out ?? process.stdout;
  const progress = options.progress === undefined ? process.stderr : options.progress;
  let services: RunningServices | null = null;
  try {
    let baseUrl: string;
    ({ baseUrl, services } = await connectOrStart({
      env,
      config: options.config,
      remote: options.remote,
      workers: options.workers,
      logger: options.logger,
      name: options.name,
    }));
    return await body({ env, out, progress, baseUrl, services });
  } finally {
    await services?.close();
  }
}

/**
 * Runs a demo as a script: exit code 0 when `completed(result)`, else 1; an error is printed as
 * one line and exits 1. A stray handle cannot keep the process alive past 2 s.
 */
export function runAsScript<T>(demo: Promise<T>, completed: (result: T) => boolean): void {
  demo.then(
    (result) => {
      process.exitCode = completed(result) ? 0 : 1;
      setTimeout(() => process.exit(process.exitCode), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
