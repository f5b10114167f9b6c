/**
 * The JSON body an `openai` target item sends (`{ model, messages, ...params }`), rendered from
 * the run's target config and the item's template scope. The worker's `openai` target sends it;
 * the API renders it for `GET /v1/runs/:id/items/:index/request` (what the model was asked).
 */
import type { OpenAiTargetConfig } from './target-configs.js';
import {
  type CompiledTemplate,
  compileTemplate,
  renderTemplate,
  renderText,
  type TemplateScope,
} from './template.js';

/** The user message template when `config.prompt` is not set. */
export const DEFAULT_PROMPT = '{{input}}';

/** The compiled messages of one config: a whole `messages` template or system + prompt. */
type CompiledMessages =
  | { kind: 'messages'; template: CompiledTemplate }
  | { kind: 'prompt'; system: CompiledTemplate | undefined; prompt: CompiledTemplate };

const compiledConfigs = new WeakMap<OpenAiTargetConfig, CompiledMessages>();

function compileMessages(config: OpenAiTargetConfig): CompiledMessages {
  let compiled = compiledConfigs.get(config);
  if (!compiled) {
    compiled = config.messages
      ? { kind: 'messages', template: compileTemplate(config.messages, 'messages', { env: false }) }
      : {
          kind: 'prompt',
          system:
            config.system === undefined
              ? undefined
              : compileTemplate(config.system, 'system', { env: false }),
          prompt: compileTemplate(config.prompt ?? DEFAULT_PROMPT, 'prompt', { env: false }),
        };
    compiledConfigs.set(config, compiled);
  }
  return compiled;
}

/**
 * The chat completions body of one item: `{ model, messages, ...params }`, `messages` the
 * config's `messages` template rendered, else a `system` message (when set) and the `prompt`
 * (default `{{input}}`) as the user message. Templates are compiled once per config object.
 * @throws NonRetryableError `invalid_input` when a placeholder has no value for the item.
 */
export function openAiRequestBody(
  config: OpenAiTargetConfig,
  scope: TemplateScope,
): Record<string, unknown> {
  const compiled = compileMessages(config);
  let messages: unknown;
  if (compiled.kind === 'messages') {
    messages = renderTemplate(compiled.template, scope);
  } else {
    const list: { role: string; content: string }[] = [];
    if (compiled.system) list.push({ role: 'system', content: renderText(compiled.system, scope) });
    list.push({ role: 'user', content: renderText(compiled.prompt, scope) });
    messages = list;
  }
  return { model: config.model, messages, ...config.params };
}
