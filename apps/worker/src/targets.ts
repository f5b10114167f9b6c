/**
 * Targets: the built-ins (`echo`, `http`), the registry a worker serves, and loading of user
 * modules (`RUNLEDGER_TARGETS`) that export `targets` and/or `scorers`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  NameSchema,
  NonRetryableError,
  RetryableError,
  type ScorerDefinition,
  type TargetContext,
  type TargetDefinition,
  type TargetOutput,
} from '@runledger/shared';
import { z } from 'zod';
import { sleep } from './execute-item.js';

// ------------------------------------------------------------------ echo

const EchoConfigSchema = z.object({ delayMs: z.number().int().min(0).max(3_600_000).optional() });

/**
 * `echo`: the output is the input. Optional `config.delayMs` waits that long first (abortable by
 * the attempt's signal), which makes it useful for load tests and demos.
 */
export const echoTarget: TargetDefinition = {
  name: 'echo',
  description: 'Returns the input as the output (config.delayMs: optional wait first, ms).',
  async run(input: unknown, context: TargetContext): Promise<TargetOutput> {
    const parsed = EchoConfigSchema.safeParse(context.config);
    if (!parsed.success) throw invalidConfig('echo', parsed.error);
    context.signal.throwIfAborted();
    if (parsed.data.delayMs) await sleep(parsed.data.delayMs, context.signal);
    return { output: input };
  },
};

// ------------------------------------------------------------------ http

/** Config of the `http` target (the run's `target.config`). */
export const HttpTargetConfigSchema = z.object({
  /** Where each item is POSTed. */
  url: z.string().url(),
  /** Extra request headers (e.g. `authorization`); redacted from logs. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Dotted path of the output in the JSON response body (e.g. `choices.0.message.content`); default: the whole body. */
  outputPath: z.string().min(1).optional(),
  /** Dotted path of token usage in the response body; default: `usage` when it has a known shape. */
  usagePath: z.string().min(1).optional(),
});
export type HttpTargetConfig = z.infer<typeof HttpTargetConfigSchema>;

/** Max characters of a response body quoted in an error message. */
const ERROR_BODY_CHARS = 1000;

/**
 * `http`: POSTs `{ runId, itemId, itemIndex, attempt, input }` as JSON to `config.url` and uses
 * the 2xx JSON response (or the value at `config.outputPath`) as the output, with token usage
 * from `config.usagePath` (OpenAI, Anthropic or camelCase shapes). 408, 429, 5xx, network errors
 * and timeouts are retried; other statuses fail the item at once (`http_error`).
 * @throws NonRetryableError `invalid_config` when `config` is invalid, `http_error` on a 4xx,
 *   `invalid_output` when `outputPath` is missing from the response.
 * @throws RetryableError `http_error` (with `status`) or `network_error`.
 */
export const httpTarget: TargetDefinition = {
  name: 'http',
  description:
    'POSTs {runId, itemId, itemIndex, attempt, input} as JSON to config.url; the JSON response (or config.outputPath) is the output.',
  async run(input: unknown, context: TargetContext): Promise<TargetOutput> {
    const parsed = HttpTargetConfigSchema.safeParse(context.config);
    if (!parsed.success) throw invalidConfig('http', parsed.error);
    const config = parsed.data;
    let response: Response;
    try {
      response = await fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...config.headers,
        },
        body: JSON.stringify({
          runId: context.runId,
          itemId: context.itemId,
          itemIndex: context.itemIndex,
          attempt: context.attempt,
          input,
        }),
        signal: context.signal,
      });
    } catch (err) {
      if (context.signal.aborted) throw context.signal.reason;
      const cause =
        err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new RetryableError(`request to ${config.url} failed${cause}`, 'network_error');
    }
    const text = await response.text();
    if (!response.ok) {
      const status = response.status;
      const message = `HTTP ${status} from ${config.url}: ${text.slice(0, ERROR_BODY_CHARS)}`;
      if (status === 408 || status === 429 || status >= 500) {
        throw new RetryableError(message, 'http_error', status);
      }
      throw new NonRetryableError(message, 'http_error', status);
    }
    let body: unknown = text;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    } else body = null;
    let output = body;
    if (config.outputPath) {
      output = getPath(body, config.outputPath);
      if (output === undefined) {
        throw new NonRetryableError(
          `response has no value at outputPath "${config.outputPath}": ${text.slice(0, ERROR_BODY_CHARS)}`,
          'invalid_output',
        );
      }
    }
    const result: TargetOutput = { output };
    const usage = toUsage(
      config.usagePath ? getPath(body, config.usagePath) : getPath(body, 'usage'),
      getPath(body, 'model'),
    );
    if (usage) result.usage = usage;
    return result;
  },
};

/**
 * The value at a dotted `path` (`a.b.0.c`; digits index arrays) in `value`, or undefined.
 */
export function getPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Token usage from `{prompt_tokens, completion_tokens}`, `{input_tokens, output_tokens}` or `{inputTokens, outputTokens}`. */
function toUsage(raw: unknown, bodyModel: unknown): TargetOutput['usage'] | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const pairs: [string, string][] = [
    ['prompt_tokens', 'completion_tokens'],
    ['input_tokens', 'output_tokens'],
    ['inputTokens', 'outputTokens'],
  ];
  for (const [i, o] of pairs) {
    const input = u[i];
    const output = u[o];
    if (typeof input === 'number' || typeof output === 'number') {
      const usage: NonNullable<TargetOutput['usage']> = {
        inputTokens: typeof input === 'number' ? input : 0,
        outputTokens: typeof output === 'number' ? output : 0,
      };
      const model = typeof u.model === 'string' ? u.model : bodyModel;
      if (typeof model === 'string') usage.model = model;
      return usage;
    }
  }
  return undefined;
}

function invalidConfig(target: string, error: z.ZodError): NonRetryableError {
  const detail = error.issues
    .map((i) => `${['config', ...i.path].join('.')}: ${i.message}`)
    .join('; ');
  return new NonRetryableError(`invalid ${target} target config: ${detail}`, 'invalid_config');
}

/** The targets every worker serves. */
export const builtinTargets: readonly TargetDefinition[] = [echoTarget, httpTarget];

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
 *   malformed definition (each needs `name`, `description` and a `run`/`score` function).
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
      out.targets.push(checkDefinition<TargetDefinition>(t, path, 'run'));
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
