/**
 * Targets: the built-ins (`echo`, `http`), the registry a worker serves, and loading of user
 * modules (`RUNLEDGER_TARGETS`) that export `targets` and/or `scorers`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type Config,
  isSecretField,
  NameSchema,
  NonRetryableError,
  RetryableError,
  redactUrl,
  type ScorerDefinition,
  type TargetContext,
  type TargetDefinition,
  type TargetOutput,
} from '@runledger/shared';
import { type Response as UndiciResponse, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { sleep } from './execute-item.js';
import { findNotAllowed, HttpGuard } from './http-guard.js';

// ------------------------------------------------------------------ config parsing

const parsedConfigs = new WeakMap<z.ZodType, WeakMap<object, z.ZodSafeParseResult<unknown>>>();

/**
 * `schema.safeParse(config)`, remembered per (schema, config object): a run's items share one
 * config object, so built-in targets and scorers validate it once, not once per item. Callers
 * must not mutate the result. Non-object configs are parsed every time.
 */
export function parseConfig<T>(schema: z.ZodType<T>, config: unknown): z.ZodSafeParseResult<T> {
  if (config === null || typeof config !== 'object') return schema.safeParse(config);
  let bySchema = parsedConfigs.get(schema);
  if (!bySchema) {
    bySchema = new WeakMap();
    parsedConfigs.set(schema, bySchema);
  }
  let parsed = bySchema.get(config) as z.ZodSafeParseResult<T> | undefined;
  if (!parsed) {
    parsed = schema.safeParse(config);
    bySchema.set(config, parsed);
  }
  return parsed;
}

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
    const parsed = parseConfig(EchoConfigSchema, context.config);
    if (!parsed.success) throw invalidConfig('echo', parsed.error);
    // an attempt aborted before it started never reaches here; the signal only matters while waiting
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

/** Max redirects the `http` target follows (each hop must pass the allowlist). */
export const MAX_HTTP_REDIRECTS = 5;

/** Options of `createHttpTarget`. */
export interface HttpTargetOptions {
  /**
   * Hosts it may call, `RUNLEDGER_HTTP_TARGET_ALLOW` syntax; empty: public addresses only.
   * @defaultValue ''
   */
  allow?: string;
}

/**
 * Creates the `http` target: POSTs `{ runId, itemId, itemIndex, attempt, input }` as JSON to
 * `config.url` and uses the 2xx JSON response (or the value at `config.outputPath`) as the
 * output, with token usage from `config.usagePath` (OpenAI, Anthropic or camelCase shapes).
 * 408, 429, 5xx, network errors and timeouts are retried; other statuses fail the item at once
 * (`http_error`). The URL and every redirect hop (at most `MAX_HTTP_REDIRECTS`, followed by hand
 * like fetch does: 303 and POST-after-301/302 become GET, 307/308 repeat the POST; secret headers
 * are dropped when the origin changes) must pass `options.allow` (see ./http-guard.ts).
 * @throws NonRetryableError `invalid_config` when `config` is invalid, `target_not_allowed` when a
 *   URL or an address it resolves to is not allowed, `http_error` on a 4xx or too many
 *   redirects, `invalid_output` when `outputPath` is missing from the response.
 * @throws RetryableError `http_error` (with `status`) or `network_error`.
 * @throws Error when `options.allow` holds an invalid pattern.
 */
export function createHttpTarget(options: HttpTargetOptions = {}): TargetDefinition {
  const guard = new HttpGuard(options.allow ?? '');
  return {
    name: 'http',
    description:
      'POSTs {runId, itemId, itemIndex, attempt, input} as JSON to config.url; the JSON response (or config.outputPath) is the output.',
    run: (input, context) => runHttp(guard, input, context),
  };
}

/** The `http` target with the default policy (public addresses only); workers build theirs from config. */
export const httpTarget: TargetDefinition = createHttpTarget();

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Sends the item, following allowed redirects; returns the final response. */
async function sendHttp(
  guard: HttpGuard,
  config: HttpTargetConfig,
  input: unknown,
  context: TargetContext,
): Promise<{ response: UndiciResponse; url: URL }> {
  let url = new URL(config.url);
  let method = 'POST';
  let body: string | undefined = JSON.stringify({
    runId: context.runId,
    itemId: context.itemId,
    itemIndex: context.itemIndex,
    attempt: context.attempt,
    input,
  });
  let headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...config.headers,
  };
  for (let hop = 0; ; hop++) {
    guard.check(url);
    let response: UndiciResponse;
    try {
      response = await undiciFetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: context.signal,
        redirect: 'manual',
        dispatcher: guard.dispatcher,
      });
    } catch (err) {
      if (context.signal.aborted) throw context.signal.reason;
      const refused = findNotAllowed(err);
      if (refused) throw refused;
      const cause =
        err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new RetryableError(`request to ${redactUrl(url.href)} failed${cause}`, 'network_error');
    }
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return { response, url };
    await response.body?.cancel().catch(() => {});
    if (hop >= MAX_HTTP_REDIRECTS) {
      throw new NonRetryableError(
        `more than ${MAX_HTTP_REDIRECTS} redirects from ${redactUrl(config.url)}`,
        'http_error',
        response.status,
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new NonRetryableError(
        `invalid redirect location from ${redactUrl(url.href)}`,
        'http_error',
        response.status,
      );
    }
    if (next.origin !== url.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !isSecretField(k)));
    }
    if (response.status === 303 || (response.status <= 302 && method === 'POST')) {
      method = 'GET';
      body = undefined;
      delete headers['content-type'];
    }
    url = next;
  }
}

async function runHttp(
  guard: HttpGuard,
  input: unknown,
  context: TargetContext,
): Promise<TargetOutput> {
  const parsed = parseConfig(HttpTargetConfigSchema, context.config);
  if (!parsed.success) throw invalidConfig('http', parsed.error);
  const config = parsed.data;
  const { response, url: finalUrl } = await sendHttp(guard, config, input, context);
  const text = await response.text();
  if (!response.ok) {
    const status = response.status;
    const message = `HTTP ${status} from ${redactUrl(finalUrl.href)}: ${text.slice(0, ERROR_BODY_CHARS)}`;
    if (status === 429) {
      // Retry-After: the item waits that long holding no slot, without using an attempt
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new RetryableError(message, 'http_error', status, retryAfterMs);
    }
    if (status === 408 || status >= 500) {
      throw new RetryableError(message, 'http_error', status);
    }
    throw new NonRetryableError(message, 'http_error', status);
  }
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
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
  const usage = toUsage(getPath(body, config.usagePath ?? 'usage'), getPath(body, 'model'));
  if (usage) result.usage = usage;
  return result;
}

/**
 * A `Retry-After` header value in ms from `now`: delay-seconds (`120`, decimals accepted) or an
 * HTTP-date (never negative); undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

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

/** The built-in targets with the default `http` policy (public addresses only). */
export const builtinTargets: readonly TargetDefinition[] = [echoTarget, httpTarget];

/**
 * The targets every worker serves, its `http` target restricted by
 * `config.RUNLEDGER_HTTP_TARGET_ALLOW`.
 * @throws Error when the allowlist holds an invalid pattern.
 */
export function createBuiltinTargets(
  config: Pick<Config, 'RUNLEDGER_HTTP_TARGET_ALLOW'>,
): TargetDefinition[] {
  return [echoTarget, createHttpTarget({ allow: config.RUNLEDGER_HTTP_TARGET_ALLOW })];
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
