/**
 * Config schemas of the built-in targets (`echo`, `http`, `openai`): known to the API, which
 * validates `target.config` at submit (400 with field paths), and to the worker, which parses
 * it again before each attempt. Registered targets declare theirs on `TargetDefinition` and
 * workers advertise it (as JSON Schema) with their heartbeat.
 */
import { z } from 'zod';

/** Config of the `echo` target. */
export const EchoConfigSchema = z
  .object({
    /** Wait this long before answering, ms (abortable). */
    delayMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .strict();

/** Config of the `http` target (the run's `target.config`). */
export const HttpTargetConfigSchema = z
  .object({
    /** Where each item is sent. */
    url: z.string().url(),
    /** Extra request headers (e.g. `authorization`); redacted from logs. */
    headers: z.record(z.string(), z.string()).optional(),
    /** Dotted path of the output in the JSON response body (e.g. `choices.0.message.content`); default: the whole body. */
    outputPath: z.string().min(1).optional(),
    /** Dotted path of token usage in the response body; default: `usage` when it has a known shape. */
    usagePath: z.string().min(1).optional(),
  })
  .strict();
export type HttpTargetConfig = z.infer<typeof HttpTargetConfigSchema>;

/** The built-in targets' config schemas by target name. */
export const BUILTIN_TARGET_CONFIGS: Readonly<Record<string, z.ZodType>> = {
  echo: EchoConfigSchema,
  http: HttpTargetConfigSchema,
};
