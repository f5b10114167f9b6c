/**
 * Pieces every route group declares the same way in its OpenAPI routes: the bearer-key security
 * requirement, problem+json responses, and the run id path parameter.
 */
import { z } from '@hono/zod-openapi';
import { ProblemSchema } from '../problem.js';

/** Every `/v1` route takes `Authorization: Bearer <key>` once API keys are configured. */
export const BEARER = [{ bearerAuth: [] }];

const problemContent = { 'application/problem+json': { schema: ProblemSchema } } as const;

/** OpenAPI responses for the given statuses, each an RFC 9457 problem. */
export function problems<S extends number>(
  ...codes: S[]
): Record<S, { description: string; content: typeof problemContent }> {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      { description: `Problem (RFC 9457), status ${code}`, content: problemContent },
    ]),
  ) as Record<S, { description: string; content: typeof problemContent }>;
}

/** The `:id` path parameter of run and experiment routes (both ids are ULIDs). */
export const RunIdParams = z.object({
  id: z
    .string()
    .openapi({ param: { name: 'id', in: 'path' }, example: '01JZ8X6T2M3N4P5Q6R7S8T9V0W' }),
});
