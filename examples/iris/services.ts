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
