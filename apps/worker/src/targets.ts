/**
 * Targets: the built-ins (`echo`, `http`, `openai`), the registry a worker serves, and loading of
 * user modules (`RUNLEDGER_TARGETS`) that export `targets` and/or `scorers`. The HTTP-based
 * targets live in ./targets/ (http.ts, openai.ts, and send.ts, their shared sending code).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type Config,
  EchoConfigSchema,
  type Logger,
  NameSchema,
  type ScorerDefinition,
  type TargetContext,
  type TargetDefinition,
  type TargetOutput,
  type WorkerInfo,
} from '@runledger/shared';
import { z } from 'zod';
import { sleep } from './concurrency.js';
import { invalidConfig, isZodSchema, parseConfig } from './targets/config.js';
import { createHttpTarget } from './targets/http.js';
import { createOpenAiTarget } from './targets/openai.js';

/** Re-exported for importers of the worker package (the schemas live in @runledger/shared). */
export {
  DEFAULT_PROMPT,
  type HttpTargetConfig,
  HttpTargetConfigSchema,
  type OpenAiTargetConfig,
  OpenAiTargetConfigSchema,
} from '@runledger/shared';
export { invalidConfig, isZodSchema, parseConfig, targetConfig } from './targets/config.js';
export {
  buildHttpRequest,
  createHttpTarget,
  getPath,
  type HttpTargetOptions,
  toUsage,
} from './targets/http.js';
export {
  buildOpenAiRequest,
  createOpenAiTarget,
  DEFAULT_API_KEY_ENV,
  type OpenAiTargetOptions,
} from './targets/openai.js';
export {
  ERROR_BODY_CHARS,
  type JsonAnswer,
  MAX_HTTP_REDIRECTS,
  mergeHeaders,
  type OutgoingRequest,
  parseRetryAfter,
  requestJson,
  sendRequest,
} from './targets/send.js';

// ------------------------------------------------------------------ echo

/**
 * `echo`: the output is the input. Optional `config.delayMs` waits that long first (abortable by
 * the attempt's signal), which makes it useful for load tests and demos.
 */
export const echoTarget: TargetDefinition = {
  name: 'echo',
  description: 'Returns the input as the output (config.delayMs: optional wait first, ms).',
  configSchema: EchoConfigSchema,
  async run(input: unknown, context: TargetContext): Promise<TargetOutput> {
    const parsed = parseConfig(EchoConfigSchema, context.config);
    if (!parsed.success) throw invalidConfig('echo', parsed.error);
    // an attempt aborted before it started never reaches here; the signal only matters while waiting
    if (parsed.data.delayMs) await sleep(parsed.data.delayMs, context.signal);
    return { output: input };
  },
};

// ------------------------------------------------------------------ built-ins

/** The `http` target with the default policy (public addresses only); workers build theirs from config. */
export const httpTarget: TargetDefinition = createHttpTarget();

/** The `openai` target with the default policy (public addresses only); workers build theirs from config. */
export const openAiTarget: TargetDefinition = createOpenAiTarget();

/** The built-in targets with the default `http`/`openai` policy (public addresses only). */
export const builtinTargets: readonly TargetDefinition[] = [echoTarget, httpTarget, openAiTarget];

/**
 * The targets every worker serves (`echo`, `http`, `openai`), its HTTP-based targets restricted
 * by `config.RUNLEDGER_HTTP_TARGET_ALLOW`.
 * @throws Error when the allowlist holds an invalid pattern.
 */
export function createBuiltinTargets(
  config: Pick<Config, 'RUNLEDGER_HTTP_TARGET_ALLOW'>,
): TargetDefinition[] {
  const allow = config.RUNLEDGER_HTTP_TARGET_ALLOW;
  return [echoTarget, createHttpTarget({ allow }), createOpenAiTarget({ allow })];
}

// ------------------------------------------------------------------ registry and modules

/**
 * Named definitions a worker serves (targets or scorers).
 *
 * @example
 * const targets = new Registry('target', builtinTargets);
 * targets.register(myTarget); // throws on a duplicate or invalid name
 */
export class Registry<T extends { name: string; description: string }> {
  private readonly entries = new Map<string, T>();

  constructor(
    readonly kind: 'target' | 'scorer',
    initial: Iterable<T> = [],
  ) {
    for (const entry of initial) this.register(entry);
  }

  /**
   * Adds `definition`.
   * @throws Error when its name is invalid or already registered.
   */
  register(definition: T): void {
    if (!NameSchema.safeParse(definition.name).success) {
      throw new Error(`invalid ${this.kind} name "${definition.name}"`);
    }
    if (this.entries.has(definition.name)) {
      throw new Error(`${this.kind} "${definition.name}" is registered twice`);
    }
    this.entries.set(definition.name, definition);
  }

  get(name: string): T | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Every definition, in registration order. */
  list(): T[] {
    return [...this.entries.values()];
  }

  /** Names and descriptions (for the worker heartbeat). */
  describe(): { name: string; description: string }[] {
    return this.list().map(({ name, description }) => ({ name, description }));
  }
}

/** What user modules contributed. */
export interface LoadedPlugins {
  targets: TargetDefinition[];
  scorers: ScorerDefinition[];
}

/**
 * Imports each module path (resolved against `cwd`) and collects its `targets` and `scorers`
 * arrays, named exports or keys of its default export.
 * @throws Error when a module cannot be imported, exports neither array, or exports a
 *   malformed definition (each needs `name`, `description` and a `run`/`score` function; each
 *   target a zod 4 `configSchema`).
 */
export async function loadPluginModules(
  paths: string[],
  cwd: string = process.cwd(),
): Promise<LoadedPlugins> {
  const out: LoadedPlugins = { targets: [], scorers: [] };
  for (const path of paths) {
    const url = pathToFileURL(resolve(cwd, path)).href;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`cannot load module ${path}: ${(err as Error).message}`, { cause: err });
    }
    const def = (mod.default ?? {}) as Record<string, unknown>;
    const targets = mod.targets ?? def.targets;
    const scorers = mod.scorers ?? def.scorers;
    if (targets === undefined && scorers === undefined) {
      throw new Error(`module ${path} exports neither "targets" nor "scorers"`);
    }
    for (const t of asArray(targets, path, 'targets')) {
      const target = checkDefinition<TargetDefinition>(t, path, 'run');
      checkConfigSchema(target, `module ${path}`);
      out.targets.push(target);
    }
    for (const s of asArray(scorers, path, 'scorers')) {
      out.scorers.push(checkDefinition<ScorerDefinition>(s, path, 'score'));
    }
  }
  return out;
}

function asArray(value: unknown, path: string, what: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`module ${path}: "${what}" must be an array`);
  return value;
}

function checkDefinition<T>(value: unknown, path: string, fn: 'run' | 'score'): T {
  const v = value as Record<string, unknown> | null;
  if (
    !v ||
    typeof v.name !== 'string' ||
    typeof v.description !== 'string' ||
    typeof v[fn] !== 'function'
  ) {
    throw new Error(
      `module ${path}: each entry needs a string name, a string description and a ${fn}() function`,
    );
  }
  return value as T;
}

/**
 * Checks that `target` declares its config as a zod 4 schema.
 * @throws Error naming the target and `origin` (e.g. `module ./my-targets.ts`) when it does not.
 */
export function checkConfigSchema(target: TargetDefinition, origin: string): void {
  if (!isZodSchema((target as { configSchema?: unknown }).configSchema)) {
    throw new Error(
      `${origin}: target "${target.name}" has no configSchema: declare its config as a zod 4 schema, e.g. configSchema: z.object({ k: z.number().int() }).strict(), or z.object({}).strict() when it takes none`,
    );
  }
}

/** A served target as the heartbeat advertises it. */
export type AdvertisedTarget = WorkerInfo['targets'][number];

/**
 * Names, descriptions and config JSON Schemas (`z.toJSONSchema(configSchema, { io: 'input' })`,
 * what a submitted config must look like) of `targets`, for the worker heartbeat. A schema that
 * cannot be converted (e.g. it uses `z.custom` or a transform) is left out and logged once, as
 * a warning: the API then cannot check that target's config at submit; the worker still does.
 */
export function describeTargets(
  targets: readonly TargetDefinition[],
  logger?: Pick<Logger, 'warn'>,
): AdvertisedTarget[] {
  return targets.map((target) => {
    const entry: AdvertisedTarget = { name: target.name, description: target.description };
    try {
      entry.configSchema = z.toJSONSchema(target.configSchema, { io: 'input' }) as Record<
        string,
        unknown
      >;
    } catch (err) {
      logger?.warn(
        { err, target: target.name },
        'target config schema has no JSON Schema form: not advertised, the API will not check this target config at submit',
      );
    }
    return entry;
  });
}
