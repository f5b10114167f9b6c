/**
 * Config schemas of the built-in targets (`echo`, `http`, `openai`): known to the API, which
 * validates `target.config` at submit (400 with field paths), and to the worker, which parses
 * it again before each attempt. Registered targets declare theirs on `TargetDefinition` and
 * workers advertise it (as JSON Schema) with their heartbeat.
 *
 * Also the placeholder syntax of request templates (`{{input.question}}`, see
 * `parsePlaceholder`): checked here, at submit, so a template naming anything but the allowed
 * roots (the expected output above all) is refused with its field path; rendered by the worker
 * (apps/worker/src/template.ts).
 */
import { z } from 'zod';

// ------------------------------------------------------------------ template placeholders

/** A `{{ ... }}` placeholder inside a template string (no braces inside). */
export const PLACEHOLDER_PATTERN = /\{\{([^{}]*)\}\}/g;

/** An environment variable name usable in `{{env.NAME}}` and `apiKeyEnv`. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * What one placeholder refers to (`source`: its text as written, e.g. `{{ input.q }}`):
 * - `input` / `metadata` with a `path` of keys (`[]`: the whole value; digit keys index arrays);
 * - `item.id` (string), `item.index` (0-based number), `run.id` (string), `attempt` (1-based number);
 * - `env` with the variable `name` (headers of the `http` target only).
 */
export type TemplateRef =
  | { root: 'input' | 'metadata'; path: string[]; source: string }
  | { root: 'item.id' | 'item.index' | 'run.id' | 'attempt'; source: string }
  | { root: 'env'; name: string; source: string };

/** Where a template may be used: `env: true` allows `{{env.NAME}}` (http headers only). */
export interface TemplateOptions {
  env: boolean;
}

const PLACEHOLDERS_HELP =
  'known: {{input}}, {{input.<path>}}, {{item.id}}, {{item.index}}, {{metadata.<path>}}, {{run.id}}, {{attempt}}';

/**
 * Parses the text between `{{` and `}}` (surrounding whitespace ignored).
 * @returns the reference, or an error message (e.g. `unknown placeholder {{expectedOutput}}: ...`).
 */
export function parsePlaceholder(inner: string, options: TemplateOptions): TemplateRef | string {
  const expr = inner.trim();
  const source = `{{${inner}}}`;
  const parts = expr.split('.');
  const [root, ...rest] = parts;
  if (parts.some((p) => p === '' || /\s/.test(p))) {
    return `invalid placeholder ${source} (${PLACEHOLDERS_HELP})`;
  }
  if (root === 'input' || root === 'metadata') return { root, path: rest, source };
  if (rest.length === 0 && root === 'attempt') return { root: 'attempt', source };
  if (rest.length === 1 && (expr === 'item.id' || expr === 'item.index' || expr === 'run.id')) {
    return { root: expr, source };
  }
  if (root === 'env') {
    if (!options.env) {
      return `placeholder ${source}: environment variables may only be used in headers`;
    }
    const name = rest.join('.');
    if (rest.length !== 1 || !ENV_NAME_PATTERN.test(name)) {
      return `invalid placeholder ${source}: expected {{env.NAME}} with NAME like API_TOKEN`;
    }
    return { root: 'env', name, source };
  }
  if (/^expected/i.test(root ?? '')) {
    return `unknown placeholder ${source}: the expected output is never sent to the target (${PLACEHOLDERS_HELP})`;
  }
  return `unknown placeholder ${source} (${PLACEHOLDERS_HELP}${options.env ? ', {{env.NAME}}' : ''})`;
}

/**
 * Splits a template string into literal text and placeholders, e.g. `'Q: {{input.q}}'` ->
 * `['Q: ', { root: 'input', path: ['q'], ... }]`. `exact` is true when the string is exactly one
 * placeholder (no other characters, not even spaces around it).
 */
export function parseTemplateString(
  text: string,
  options: TemplateOptions,
): { parts: (string | TemplateRef)[]; exact: boolean; errors: string[] } {
  const parts: (string | TemplateRef)[] = [];
  const errors: string[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER_PATTERN)) {
    const at = match.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    const ref = parsePlaceholder(match[1] ?? '', options);
    if (typeof ref === 'string') errors.push(ref);
    else parts.push(ref);
    last = at + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const exact = parts.length === 1 && typeof parts[0] !== 'string' && errors.length === 0;
  return { parts, exact, errors };
}

/** One problem of a template: its path below the template's field and the message. */
export interface TemplateIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Every invalid placeholder in a JSON template (strings anywhere in objects and arrays; keys
 * are literal), with the path of the string holding it.
 */
export function findTemplateIssues(template: unknown, options: TemplateOptions): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const visit = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === 'string') {
      if (!value.includes('{{')) return;
      for (const message of parseTemplateString(value, options).errors) {
        issues.push({ path, message });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        visit(v, [...path, i]);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    }
  };
  visit(template, []);
  return issues;
}

/** Adds the template issues of `value` (at `path` in the config) to a refinement context. */
function refineTemplate(
  ctx: z.RefinementCtx,
  value: unknown,
  path: (string | number)[],
  options: TemplateOptions,
): void {
  for (const issue of findTemplateIssues(value, options)) {
    ctx.addIssue({ code: 'custom', path: [...path, ...issue.path], message: issue.message });
  }
}

// ------------------------------------------------------------------ echo

/** Config of the `echo` target. */
export const EchoConfigSchema = z
  .object({
    /** Wait this long before answering, ms (abortable). */
    delayMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .strict();

// ------------------------------------------------------------------ http

/** Methods of the `http` target. */
export const HTTP_TARGET_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** An HTTP header name (RFC 9110 token). */
const HeaderNameSchema = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'invalid header name');

/**
 * Config of the `http` target (the run's `target.config`). `headers`, `query` and `body` are
 * templates (see `parsePlaceholder`); `{{env.NAME}}` only in `headers`. Without `body` the
 * request body is the runledger envelope `{ runId, itemId, itemIndex, attempt, input }`
 * (none for GET and DELETE).
 */
export const HttpTargetConfigSchema = z
  .object({
    /** Where each item is sent (http or https; must pass `RUNLEDGER_HTTP_TARGET_ALLOW`). */
    url: z.string().url(),
    /** Request method. @defaultValue 'POST' */
    method: z.enum(HTTP_TARGET_METHODS).default('POST'),
    /** Extra request headers, name -> template (e.g. `{ "authorization": "Bearer {{env.API_TOKEN}}" }`). */
    headers: z.record(HeaderNameSchema, z.string()).optional(),
    /** URL query parameters, name -> template (e.g. `{ "q": "{{input.question}}" }`), added to `url`'s own. */
    query: z.record(z.string().min(1), z.string()).optional(),
    /** The JSON request body as a template (any JSON); default: the runledger envelope. */
    body: z.unknown().optional(),
    /** Dotted path of the output in the JSON response body (e.g. `choices.0.message.content`); default: the whole body. */
    outputPath: z.string().min(1).optional(),
    /** Dotted path of token usage in the response body; default: `usage` when it has a known shape. */
    usagePath: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.headers) refineTemplate(ctx, config.headers, ['headers'], { env: true });
    if (config.query) refineTemplate(ctx, config.query, ['query'], { env: false });
    if (config.body !== undefined) {
      refineTemplate(ctx, config.body, ['body'], { env: false });
      if (config.method === 'GET' || config.method === 'DELETE') {
        ctx.addIssue({
          code: 'custom',
          path: ['body'],
          message: `a ${config.method} request carries no body (use query)`,
        });
      }
    }
  });
/** The `http` target's parsed config (`method` defaulted). */
export type HttpTargetConfig = z.output<typeof HttpTargetConfigSchema>;

// ------------------------------------------------------------------ openai

/** `params` keys the `openai` target sets itself. */
const OPENAI_RESERVED_PARAMS = ['model', 'messages'] as const;

/**
 * Config of the `openai` target: chat completions on any OpenAI-compatible server (OpenAI,
 * vLLM, Ollama, llama.cpp, LiteLLM). `system`, `prompt` and `messages` are templates (no
 * `{{env.*}}`); `messages` replaces `system` + `prompt`.
 */
export const OpenAiTargetConfigSchema = z
  .object({
    /** The API base, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`; the target POSTs `<baseUrl>/chat/completions`. */
    baseUrl: z.string().url(),
    /** Model name sent as `model`. */
    model: z.string().min(1),
    /** Request body fields passed through as they are: `temperature`, `max_tokens`, `top_p`, `seed`, ... */
    params: z.record(z.string(), z.unknown()).optional(),
    /** System message template (sent first when set). */
    system: z.string().optional(),
    /** User message template. @defaultValue '{{input}}' */
    prompt: z.string().optional(),
    /** The whole `messages` array as a template (instead of `system` and `prompt`). */
    messages: z
      .array(z.looseObject({ role: z.string().min(1) }))
      .min(1)
      .optional(),
    /** Environment variable (on the worker) holding the API key, sent as `Authorization: Bearer`. @defaultValue 'OPENAI_API_KEY' (sent only when set) */
    apiKeyEnv: z
      .string()
      .regex(ENV_NAME_PATTERN, 'must be an environment variable name')
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.messages !== undefined) {
      for (const key of ['prompt', 'system'] as const) {
        if (config[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `set either messages or prompt/system, not both`,
          });
        }
      }
      refineTemplate(ctx, config.messages, ['messages'], { env: false });
    }
    if (config.system !== undefined) refineTemplate(ctx, config.system, ['system'], { env: false });
    if (config.prompt !== undefined) refineTemplate(ctx, config.prompt, ['prompt'], { env: false });
    for (const key of OPENAI_RESERVED_PARAMS) {
      if (config.params && Object.hasOwn(config.params, key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['params', key],
          message: `set ${key} with its own config field, not in params`,
        });
      }
    }
    if (config.params?.stream !== undefined && config.params.stream !== false) {
      ctx.addIssue({
        code: 'custom',
        path: ['params', 'stream'],
        message: 'streaming responses are not supported',
      });
    }
  });
/** The `openai` target's parsed config. */
export type OpenAiTargetConfig = z.output<typeof OpenAiTargetConfigSchema>;

/** The built-in targets' config schemas by target name. */
export const BUILTIN_TARGET_CONFIGS: Readonly<Record<string, z.ZodType>> = {
  echo: EchoConfigSchema,
  http: HttpTargetConfigSchema,
  openai: OpenAiTargetConfigSchema,
};
