/**
 * Parsing a run's `target.config` with the target's `configSchema`: once per (schema, config
 * object), since a run's items share one config object.
 */
import { NonRetryableError, type TargetDefinition } from '@runledger/shared';
import type { z } from 'zod';

const parsedConfigs = new WeakMap<object, WeakMap<object, z.ZodSafeParseResult<unknown>>>();

/**
 * `schema.safeParse(config)`, remembered per (schema, config object): a run's items share one
 * config object, so targets and scorers validate it once, not once per item. Callers must not
 * mutate the result. Non-object configs are parsed every time.
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

/**
 * The `invalid_config` error of `target` for a failed parse: every issue with its field path,
 * e.g. `invalid http target config: config.url: Invalid URL; config.body.0: unknown placeholder ...`.
 */
export function invalidConfig(target: string, error: z.ZodError): NonRetryableError {
  const detail = error.issues
    .map((i) => `${['config', ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
  return new NonRetryableError(`invalid ${target} target config: ${detail}`, 'invalid_config');
}

/**
 * The run's config as `target.configSchema` parses it (cached per config object), for the
 * target's `context.config`.
 * @throws NonRetryableError `invalid_config` listing each invalid field path.
 */
export function targetConfig<C>(target: TargetDefinition<C>, config: unknown): C {
  const parsed = parseConfig(target.configSchema, config);
  if (!parsed.success) throw invalidConfig(target.name, parsed.error);
  return parsed.data;
}

/** True when `value` looks like a zod 4 schema (`_zod` internals and `safeParse`), whichever copy of zod made it. */
export function isZodSchema(value: unknown): value is z.ZodType {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { _zod?: unknown; safeParse?: unknown };
  return typeof v._zod === 'object' && v._zod !== null && typeof v.safeParse === 'function';
}
