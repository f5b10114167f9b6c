/**
 * `GET /v1/runs/:id/items/:index/request`: what an `openai` target item sends the model, rendered
 * from the run's target config and the stored item by the code the worker sends it with
 * (`openAiRequestBody` in @runledger/shared): the URL and the JSON body (`model`, `messages`,
 * params). No headers (the API key lives on the workers); secret fields read `[redacted]`.
 * Mounted at `/v1/runs` next to the runs router.
 */
import { z } from '@hono/zod-openapi';
import {
  ConflictError,
  NotFoundError,
  OpenAiTargetConfigSchema,
  openAiRequestBody,
  redactSecrets,
  redactUrl,
} from '@runledger/shared';
import { type AppDeps, createRouter, loadOwnRun } from '../context.js';
import { ok, v1Route } from './openapi.js';

const ItemRequestParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'the run id' }),
  index: z.coerce
    .number()
    .int()
    .min(0)
    .openapi({ param: { name: 'index', in: 'path' }, description: "the item's index in the run" }),
});

export const ItemRequestSchema = z
  .object({
    runId: z.string(),
    itemIndex: z.number().int(),
    itemId: z.string(),
    /** The run's target (`openai`). */
    target: z.string(),
    method: z.literal('POST'),
    /** `<baseUrl>/chat/completions` without user info (secret query values `[redacted]`). */
    url: z.string(),
    /** `{ model, messages, ...params }` as attempt 1 sends it; secret fields `[redacted]`. */
    body: z.record(z.string(), z.unknown()),
  })
  .openapi('ItemRequest', {
    description:
      'What an `openai` target item sends: the URL and JSON body (`model`, `messages`, params) as attempt 1 sends them, rendered from the run config and the item by the code the workers use; no headers (the API key is on the workers); secret fields `[redacted]`.',
  });

/** The router holding `/{id}/items/{index}/request`, mounted at `/v1/runs`. */
export function createItemRequestRoutes(deps: AppDeps) {
  const { store } = deps;
  const route = v1Route('runs', 'get', '/{id}/items/{index}/request', {
    operationId: 'getItemRequest',
    summary: 'What an openai target item sends the model',
    description:
      "The chat completions request of item `index` of an `openai` run: URL and JSON body as attempt 1 sends them (`{{attempt}}` reads 1). 404 when the run, or the item, does not exist, or the run's target is not `openai`; 409 when the item's templates cannot be rendered (the item fails `invalid_input` on the workers for the same reason).",
    request: { params: ItemRequestParams },
    responses: ok("The item's request", ItemRequestSchema, 404, 409),
  });

  return createRouter().openapi(route, async (c) => {
    const { id, index } = c.req.valid('param');
    const run = await loadOwnRun(store, c, id);
    if (run.target.name !== 'openai') {
      throw new NotFoundError(
        `run ${id} has target "${run.target.name}": only openai targets' requests are rendered here`,
      );
    }
    const [item] = await store.results.readItems(id, [index]);
    if (!item) throw new NotFoundError(`run ${id} has no item at index ${index}`);
    const config = OpenAiTargetConfigSchema.safeParse(run.target.config ?? {});
    if (!config.success) {
      throw new ConflictError(`run ${id}'s openai config is not valid: ${config.error.message}`);
    }
    let body: Record<string, unknown>;
    try {
      body = openAiRequestBody(config.data, {
        input: item.input,
        itemId: item.id,
        itemIndex: index,
        metadata: item.metadata ?? {},
        runId: id,
        attempt: 1,
      });
    } catch (err) {
      throw new ConflictError(
        `item ${item.id}'s request cannot be rendered: ${(err as Error).message}`,
      );
    }
    return c.json(
      {
        runId: id,
        itemIndex: index,
        itemId: item.id,
        target: run.target.name,
        method: 'POST' as const,
        url: redactUrl(`${config.data.baseUrl.replace(/\/+$/, '')}/chat/completions`),
        body: redactSecrets(body),
      },
      200,
    );
  });
}
