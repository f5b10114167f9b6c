/** Scripted targets for in-process workers in tests. */
import type { TargetDefinition } from '@runledger/shared';
import { z } from 'zod';

/**
 * A target named `name` that accepts any config object (passthrough) and answers each item with
 * `run(input, context)`: what it returns is the attempt's output, what it throws fails it.
 */
export function anyConfigTarget(
  name: string,
  description: string,
  run: TargetDefinition['run'],
): TargetDefinition {
  return { name, description, configSchema: z.object({}).passthrough(), run };
}
