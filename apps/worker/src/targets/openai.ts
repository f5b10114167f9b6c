/**
 * The built-in `openai` target: chat completions on any OpenAI-compatible server (OpenAI,
 * vLLM, Ollama, llama.cpp, LiteLLM). Sent through the same guard, redirect handling and error
 * classification as the `http` target (./send.ts).
 */
import {
  NonRetryableError,
  type OpenAiTargetConfig,
  OpenAiTargetConfigSchema,
  openAiRequestBody,
  scopeOf,
  type TargetContext,
  type TargetDefinition,
  type TargetOutput,
} from '@runledger/shared';
import { HttpGuard } from '../http-guard.js';
import { invalidConfig, parseConfig } from './config.js';
import { toUsage } from './http.js';
import { ERROR_BODY_CHARS, type OutgoingRequest, requestJson } from './send.js';

/** The env variable holding the API key when `config.apiKeyEnv` is not set. */
export const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';

/** Options of `createOpenAiTarget`. */
export interface OpenAiTargetOptions {
  /**
   * Hosts it may call, `RUNLEDGER_HTTP_TARGET_ALLOW` syntax; empty: public addresses only.
   * @defaultValue ''
   */
  allow?: string;
  /** Where API keys are read from. @defaultValue process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Creates the `openai` target. Each attempt POSTs `<config.baseUrl>/chat/completions` with
 * `{ model, messages, ...params }`, where `messages` is the rendered `config.messages` template,
 * or `[{ role: 'system', content: system }?, { role: 'user', content: prompt }]` from the
 * `config.system` and `config.prompt` (default `{{input}}`) text templates. The output is
 * `choices[0].message.content`; usage is `usage.prompt_tokens` / `usage.completion_tokens` with
 * the response's `model` (priced by `RUNLEDGER_PRICES`). The key in the env variable
 * `config.apiKeyEnv` (default `OPENAI_API_KEY`) is sent as `Authorization: Bearer` when set;
 * an explicit `apiKeyEnv` that is unset fails the item. 408, 429, 5xx, network errors and
 * timeouts are retried (429 and 503 honour `Retry-After`); other statuses fail the item at once.
 * The URL and redirects must pass `options.allow`, as for `http`.
 * @throws NonRetryableError `invalid_config` (invalid config, unset explicit `apiKeyEnv`),
 *   `invalid_input` (a placeholder has no value for the item), `target_not_allowed`,
 *   `http_error` (4xx), `invalid_output` (an empty body, one that is not a JSON object, or
 *   no string `choices[0].message.content`).
 * @throws RetryableError `http_error` (with `status`) or `network_error`.
 * @throws Error when `options.allow` holds an invalid pattern.
 */
export function createOpenAiTarget(options: OpenAiTargetOptions = {}): TargetDefinition {
  const guard = new HttpGuard(options.allow ?? '');
  const env = options.env ?? process.env;
  return {
    name: 'openai',
    description:
      'Chat completions on an OpenAI-compatible server: POSTs {model, messages, ...params} to config.baseUrl/chat/completions; the output is choices[0].message.content.',
    configSchema: OpenAiTargetConfigSchema,
    run: (input, context) => runOpenAi(guard, env, input, context),
  };
}

/**
 * The chat completions request of one attempt.
 * @throws NonRetryableError `invalid_input` / `invalid_config` as `createOpenAiTarget` describes.
 */
export function buildOpenAiRequest(
  config: OpenAiTargetConfig,
  input: unknown,
  context: TargetContext<unknown>,
  env: Record<string, string | undefined> = process.env,
): OutgoingRequest {
  const body = openAiRequestBody(config, scopeOf(input, context));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  };
  const keyEnv = config.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const key = Object.hasOwn(env, keyEnv) ? env[keyEnv] : undefined;
  if (key) headers.authorization = `Bearer ${key}`;
  else if (config.apiKeyEnv !== undefined) {
    throw new NonRetryableError(
      `config.apiKeyEnv: environment variable ${config.apiKeyEnv} is not set on this worker`,
      'invalid_config',
    );
  }
  return {
    url: new URL(`${config.baseUrl.replace(/\/+$/, '')}/chat/completions`),
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  };
}

async function runOpenAi(
  guard: HttpGuard,
  env: Record<string, string | undefined>,
  input: unknown,
  context: TargetContext<unknown>,
): Promise<TargetOutput> {
  const parsed = parseConfig(OpenAiTargetConfigSchema, context.config);
  if (!parsed.success) throw invalidConfig('openai', parsed.error);
  const request = buildOpenAiRequest(parsed.data, input, context, env);
  const { body, text } = await requestJson(guard, request, context.signal);
  const answer = (body ?? {}) as {
    choices?: { message?: { content?: unknown } }[];
    usage?: unknown;
    model?: unknown;
  };
  const content = Array.isArray(answer.choices) ? answer.choices[0]?.message?.content : undefined;
  if (typeof content !== 'string') {
    // requestJson answers a body that is not JSON as its text
    const why =
      body === null
        ? 'response body is empty'
        : typeof body === 'string'
          ? 'response is not a JSON object'
          : 'response has no string choices[0].message.content';
    const quoted = text === '' ? '' : `: ${text.slice(0, ERROR_BODY_CHARS)}`;
    throw new NonRetryableError(`${why}${quoted}`, 'invalid_output');
  }
  const result: TargetOutput = { output: content };
  const usage = toUsage(answer.usage, answer.model);
  if (usage) result.usage = usage;
  return result;
}
