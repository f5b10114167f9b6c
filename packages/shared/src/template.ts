/**
 * Request templates of the `http` and `openai` targets: JSON values whose strings may hold
 * placeholders (syntax and allowed roots: `parsePlaceholder` in @runledger/shared).
 *
 * - A string that is exactly one placeholder (`"{{input}}"`) becomes the referenced JSON value
 *   (an object stays an object, a number a number) — in JSON templates (`body`, `messages`).
 * - A placeholder inside a longer string (`"Q: {{input.q}}"`), and any placeholder in a text
 *   template (`headers`, `query`, `system`, `prompt`), is replaced by its text: strings as they
 *   are, anything else as JSON (`JSON.stringify`).
 * - A placeholder whose value is undefined (a path missing from the input or metadata) fails
 *   the item `invalid_input`, naming the placeholder, where it is and the item: sending null or
 *   an empty string instead would quietly poison an evaluation.
 * - `{{env.NAME}}` (headers only) reads the worker's environment; an unset variable fails the
 *   item `invalid_config`.
 *
 * Templates are compiled once per run config (`compileTemplate`) and rendered per attempt.
 */
import { NonRetryableError, type TargetContext } from './plugins.js';
import { parseTemplateString, type TemplateOptions, type TemplateRef } from './target-configs.js';

/** What placeholders are resolved against. */
export interface TemplateScope {
  input: unknown;
  itemId: string;
  itemIndex: number;
  /** The item's metadata (`{}` when none). */
  metadata: Record<string, unknown>;
  runId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** Where `{{env.NAME}}` reads from. @defaultValue process.env */
  env?: Record<string, string | undefined>;
}

/** The scope of one attempt of a target: the item's input and the attempt's context. */
export function scopeOf(input: unknown, context: TargetContext<unknown>): TemplateScope {
  return {
    input,
    itemId: context.itemId,
    itemIndex: context.itemIndex,
    metadata: context.metadata ?? {},
    runId: context.runId,
    attempt: context.attempt,
  };
}

/** A compiled template; `where` is its field path in the config (for messages). */
export type CompiledTemplate =
  | { kind: 'literal'; value: unknown }
  | { kind: 'exact'; ref: TemplateRef; where: string }
  | { kind: 'text'; parts: (string | TemplateRef)[]; where: string }
  | { kind: 'array'; items: CompiledTemplate[] }
  | { kind: 'object'; entries: [string, CompiledTemplate][] };

/**
 * Compiles a JSON template found at config field `where` (e.g. `body`, `headers.authorization`).
 * Strings without placeholders, numbers, booleans and null stay literal.
 * @throws NonRetryableError `invalid_config` on an invalid placeholder (the API refuses those at
 *   submit; this guards configs that skipped it).
 */
export function compileTemplate(
  template: unknown,
  where: string,
  options: TemplateOptions,
): CompiledTemplate {
  if (typeof template === 'string') {
    if (!template.includes('{{')) return { kind: 'literal', value: template };
    const { parts, exact, errors } = parseTemplateString(template, options);
    if (errors.length > 0) {
      throw new NonRetryableError(`config.${where}: ${errors.join('; ')}`, 'invalid_config');
    }
    if (exact) return { kind: 'exact', ref: parts[0] as TemplateRef, where };
    return { kind: 'text', parts, where };
  }
  if (Array.isArray(template)) {
    const items = template.map((v, i) => compileTemplate(v, `${where}.${i}`, options));
    return items.every((c) => c.kind === 'literal')
      ? { kind: 'literal', value: template }
      : { kind: 'array', items };
  }
  if (template !== null && typeof template === 'object') {
    const entries = Object.entries(template).map(([k, v]): [string, CompiledTemplate] => [
      k,
      compileTemplate(v, `${where}.${k}`, options),
    ]);
    return entries.every(([, c]) => c.kind === 'literal')
      ? { kind: 'literal', value: template }
      : { kind: 'object', entries };
  }
  return { kind: 'literal', value: template };
}

/**
 * Renders a JSON template: exact placeholders become their JSON value, embedded ones their text.
 * @throws NonRetryableError `invalid_input` when a placeholder has no value for this item,
 *   `invalid_config` when an `{{env.NAME}}` variable is not set.
 */
export function renderTemplate(compiled: CompiledTemplate, scope: TemplateScope): unknown {
  switch (compiled.kind) {
    case 'literal':
      return compiled.value;
    case 'exact':
      return resolveRef(compiled.ref, compiled.where, scope);
    case 'text':
      return renderParts(compiled.parts, compiled.where, scope);
    case 'array':
      return compiled.items.map((c) => renderTemplate(c, scope));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, c] of compiled.entries) out[k] = renderTemplate(c, scope);
      return out;
    }
  }
}

/**
 * Renders a template whose result must be text (a header, a query parameter, a message):
 * every placeholder, even a lone one, is replaced by its text (strings as they are, other
 * values as JSON).
 * @throws NonRetryableError as `renderTemplate`.
 */
export function renderText(compiled: CompiledTemplate, scope: TemplateScope): string {
  switch (compiled.kind) {
    case 'literal':
      return textOf(compiled.value);
    case 'exact':
      return textOf(resolveRef(compiled.ref, compiled.where, scope));
    case 'text':
      return renderParts(compiled.parts, compiled.where, scope);
    default:
      return JSON.stringify(renderTemplate(compiled, scope));
  }
}

function renderParts(parts: (string | TemplateRef)[], where: string, scope: TemplateScope): string {
  let out = '';
  for (const part of parts) {
    out += typeof part === 'string' ? part : textOf(resolveRef(part, where, scope));
  }
  return out;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The value of one placeholder. */
function resolveRef(ref: TemplateRef, where: string, scope: TemplateScope): unknown {
  let value: unknown;
  switch (ref.root) {
    case 'input':
      value = lookupPath(scope.input, ref.path);
      break;
    case 'metadata':
      value = lookupPath(scope.metadata, ref.path);
      break;
    case 'item.id':
      return scope.itemId;
    case 'item.index':
      return scope.itemIndex;
    case 'run.id':
      return scope.runId;
    case 'attempt':
      return scope.attempt;
    case 'env': {
      const env = scope.env ?? process.env;
      const v = Object.hasOwn(env, ref.name) ? env[ref.name] : undefined;
      if (v === undefined) {
        throw new NonRetryableError(
          `config.${where}: environment variable ${ref.name} (placeholder ${ref.source}) is not set on this worker`,
          'invalid_config',
        );
      }
      return v;
    }
  }
  if (value === undefined) {
    throw new NonRetryableError(
      `config.${where}: placeholder ${ref.source} has no value for item "${scope.itemId}" (index ${scope.itemIndex})`,
      'invalid_input',
    );
  }
  return value;
}

/**
 * The value at `path` (keys; digit keys index arrays) in `value`, own properties only (so
 * `constructor` or `__proto__` never reach the prototype), or undefined.
 */
export function lookupPath(value: unknown, path: readonly string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
