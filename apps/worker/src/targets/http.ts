/**
 * The built-in `http` target: one HTTP request per attempt, shaped by the run's config
 * (`method`, `headers`, `query`, `body` templates), the JSON answer (or a path in it) as output.
 */
import {
  type CompiledTemplate,
  compileTemplate,
  type HttpTargetConfig,
  HttpTargetConfigSchema,
  NonRetryableError,
  renderTemplate,
  renderText,
  scopeOf,
  type TargetContext,
  type TargetDefinition,
  type TargetOutput,
} from '@runledger/shared';
import { HttpGuard } from '../http-guard.js';
import { invalidConfig, parseConfig } from './config.js';
import { ERROR_BODY_CHARS, mergeHeaders, type OutgoingRequest, requestJson } from './send.js';

/** Options of `createHttpTarget`. */
export interface HttpTargetOptions {
  /**
   * Hosts it may call, `RUNLEDGER_HTTP_TARGET_ALLOW` syntax; empty: public addresses only.
   * @defaultValue ''
   */
  allow?: string;
}

/**
 * Creates the `http` target. Each attempt sends `config.method` (default POST) to `config.url`
 * plus the `config.query` parameters, with `config.headers`, and as body the rendered
 * `config.body` template (JSON) or, without one, the envelope
 * `{ runId, itemId, itemIndex, attempt, input }` (GET and DELETE: no body). The 2xx JSON answer
 * (or the value at `config.outputPath`) is the output, with token usage from `config.usagePath`
 * (OpenAI, Anthropic or camelCase shapes). 408, 429, 5xx, network errors and timeouts are
 * retried (429 and 503 honour `Retry-After`); other statuses fail the item at once
 * (`http_error`). The URL and every redirect hop must pass `options.allow` (see ../http-guard.ts).
 * @throws NonRetryableError `invalid_config` when `config` is invalid or a header's
 *   `{{env.NAME}}` is unset, `invalid_input` when a placeholder has no value for the item or a
 *   header value holds a line break, `target_not_allowed` when a URL or an address it resolves
 *   to is not allowed, `http_error` on a 4xx or too many redirects, `invalid_output` when
 *   `outputPath` is missing from the response.
 * @throws RetryableError `http_error` (with `status`) or `network_error`.
 * @throws Error when `options.allow` holds an invalid pattern.
 */
export function createHttpTarget(options: HttpTargetOptions = {}): TargetDefinition {
  const guard = new HttpGuard(options.allow ?? '');
  return {
    name: 'http',
    description:
      'Sends each item to config.url (method, headers, query and body templates; default: POST of {runId, itemId, itemIndex, attempt, input}); the JSON response (or config.outputPath) is the output.',
    configSchema: HttpTargetConfigSchema,
    run: (input, context) => runHttp(guard, input, context),
  };
}

/** The compiled templates of one http config. */
interface CompiledHttp {
  headers: [string, CompiledTemplate][];
  query: [string, CompiledTemplate][];
  body: CompiledTemplate | undefined;
}

const compiledConfigs = new WeakMap<HttpTargetConfig, CompiledHttp>();

/** The templates of `config`, compiled once per parsed config (one per run). */
function compileHttp(config: HttpTargetConfig): CompiledHttp {
  let compiled = compiledConfigs.get(config);
  if (!compiled) {
    compiled = {
      headers: Object.entries(config.headers ?? {}).map(([k, v]) => [
        k,
        compileTemplate(v, `headers.${k}`, { env: true }),
      ]),
      query: Object.entries(config.query ?? {}).map(([k, v]) => [
        k,
        compileTemplate(v, `query.${k}`, { env: false }),
      ]),
      body:
        config.body === undefined
          ? undefined
          : compileTemplate(config.body, 'body', { env: false }),
    };
    compiledConfigs.set(config, compiled);
  }
  return compiled;
}

/** The request of one attempt. @throws NonRetryableError as `createHttpTarget` describes. */
export function buildHttpRequest(
  config: HttpTargetConfig,
  input: unknown,
  context: TargetContext<unknown>,
): OutgoingRequest {
  const compiled = compileHttp(config);
  const scope = scopeOf(input, context);
  const url = new URL(config.url);
  for (const [name, template] of compiled.query) {
    url.searchParams.append(name, renderText(template, scope));
  }
  const headers: Record<string, string> = {};
  for (const [name, template] of compiled.headers) {
    const value = renderText(template, scope);
    if (/[\r\n\0]/.test(value)) {
      throw new NonRetryableError(
        `config.headers.${name}: the rendered value holds a line break or NUL for item "${context.itemId}"`,
        'invalid_input',
      );
    }
    headers[name] = value;
  }
  const method = config.method ?? 'POST';
  let body: string | undefined;
  if (compiled.body !== undefined) {
    body = JSON.stringify(renderTemplate(compiled.body, scope));
  } else if (method !== 'GET' && method !== 'DELETE') {
    body = JSON.stringify({
      runId: context.runId,
      itemId: context.itemId,
      itemIndex: context.itemIndex,
      attempt: context.attempt,
      input,
    });
  }
  return {
    url,
    method,
    headers: mergeHeaders(
      body === undefined
        ? { accept: 'application/json' }
        : { 'content-type': 'application/json', accept: 'application/json' },
      headers,
    ),
    ...(body === undefined ? {} : { body }),
  };
}

async function runHttp(
  guard: HttpGuard,
  input: unknown,
  context: TargetContext<unknown>,
): Promise<TargetOutput> {
  const parsed = parseConfig(HttpTargetConfigSchema, context.config);
  if (!parsed.success) throw invalidConfig('http', parsed.error);
  const config = parsed.data;
  const request = buildHttpRequest(config, input, context);
  const { body, text } = await requestJson(guard, request, context.signal);
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
export function toUsage(raw: unknown, bodyModel: unknown): TargetOutput['usage'] | undefined {
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
