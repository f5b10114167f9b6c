/** Scripted targets for in-process workers in tests, and calling a target directly. */
import { createLogger, type TargetContext, type TargetDefinition } from '@runledger/shared';
import { targetConfig } from '@runledger/worker';
import { z } from 'zod';

const silent = createLogger({ level: 'silent' });

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

/** Which attempt of which item a `targetContext` is for. */
export type AttemptOf = Pick<TargetContext, 'attempt' | 'runId' | 'itemId' | 'itemIndex'> &
  Partial<TargetContext>;

/**
 * The context of one attempt, for calling `target.run` directly: `config` parsed by the
 * target's schema (`targetConfig`: defaults applied; it throws the target's `invalid_config`
 * error for a config the schema refuses), a fresh signal that never fires and a silent logger,
 * unless `attempt` (the attempt number and item, and anything else) says otherwise.
 */
export function targetContext(
  target: TargetDefinition,
  config: Record<string, unknown>,
  attempt: AttemptOf,
): TargetContext {
  return {
    signal: new AbortController().signal,
    config: targetConfig(target, config),
    logger: silent,
    ...attempt,
  };
}

/** Runs `target` once on `input` in `context`; resolves to its output or to the error it threw. */
export function runOnce(
  target: TargetDefinition,
  input: unknown,
  context: TargetContext,
): Promise<unknown> {
  return target.run(input, context).then(
    (out) => out,
    (err: unknown) => err,
  );
}
