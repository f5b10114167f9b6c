/**
 * `/v1/keys`: the caller's project's stored API keys (the same keys `runledger keys` manages on
 * Redis directly): list, create with a role (the key is answered once, only its sha256 is
 * stored), revoke. Needs role `admin`; a key of another project answers 404 like a missing one.
 * Keys from `RUNLEDGER_API_KEYS` are not listed and cannot be revoked here.
 */
import { z } from '@hono/zod-openapi';
import { DEFAULT_ROLE, NotFoundError, ROLES } from '@runledger/shared';
import { type AppDeps, createRouter, limitBody, projectOf } from '../context.js';
import { created, noContent, ok, v1Route } from './openapi.js';

/** A stored key's record as answered (never the key or its hash). */
export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ description: '12 hex characters', example: '3f9c2a71be04' }),
    project: z.string().openapi({ example: 'team-a' }),
    name: z.string().openapi({ description: 'Free text label', example: 'ci runner' }),
    role: z.enum(ROLES).openapi({ description: 'What the key may do: read < write < admin' }),
    createdAt: z.string().openapi({ description: 'ISO-8601 UTC' }),
  })
  .openapi('ApiKey');

const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({
    description:
      'The key itself: send it as `Authorization: Bearer <key>`; answered only this once',
    example: 'rl_team-a_Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg',
  }),
}).openapi('CreatedApiKey');

const ApiKeyListSchema = z.object({ keys: z.array(ApiKeySchema) }).openapi('ApiKeyList');

const CreateKeySchema = z
  .strictObject({
    name: z.string().max(200).default('').openapi({ description: 'A label for listing' }),
    role: z.enum(ROLES).default(DEFAULT_ROLE).openapi({
      description: 'The key\u2019s role (default admin)',
    }),
  })
  .openapi('CreateApiKey');

const KeyIdParams = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{12}$/, 'must be a key id (12 hex characters)')
    .openapi({ param: { name: 'id', in: 'path' }, example: '3f9c2a71be04' }),
});

/** The key management router (mounted at `/v1/keys`). */
export function createKeyRoutes(deps: AppDeps) {
  const { store } = deps;

  const listRoute = v1Route('keys', 'get', '/', {
    operationId: 'listApiKeys',
    summary: "The project's stored API keys (never the keys)",
    description: 'Needs role `admin`. Keys from `RUNLEDGER_API_KEYS` are not listed.',
    responses: ok('Keys, oldest first', ApiKeyListSchema),
  });

  const createKeyRoute = v1Route('keys', 'post', '/', {
    operationId: 'createApiKey',
    summary: 'Create an API key for the project',
    description:
      'Needs role `admin`. The key is in this answer only; Redis keeps its sha256. Audited as `key.create`.',
    middleware: [limitBody(16 * 1024)] as const,
    request: {
      body: {
        required: false,
        content: {
          'application/json': { schema: CreateKeySchema, example: { name: 'ci', role: 'write' } },
        },
      },
    },
    responses: created('Created', CreatedApiKeySchema, 400, 413),
  });

  const revokeRoute = v1Route('keys', 'delete', '/{id}', {
    operationId: 'revokeApiKey',
    summary: 'Revoke a stored API key of the project',
    description:
      'Needs role `admin`. Requests with the key are refused (401) from now on. 404 for an ' +
      "unknown key or another project's. Audited as `key.revoke`.",
    request: { params: KeyIdParams },
    responses: noContent('Revoked', 400, 404),
  });

  return createRouter()
    .openapi(listRoute, async (c) => {
      const project = projectOf(c);
      const keys = (await store.apiKeys.listApiKeys()).filter((k) => k.project === project);
      return c.json({ keys }, 200);
    })
    .openapi(createKeyRoute, async (c) => {
      // the body is optional: without one, an unnamed admin key
      const body = (c.req.valid('json') ?? {}) as Partial<z.infer<typeof CreateKeySchema>>;
      const created = await store.apiKeys.createApiKey(
        projectOf(c),
        body.name ?? '',
        body.role ?? DEFAULT_ROLE,
      );
      return c.json(created, 201);
    })
    .openapi(revokeRoute, async (c) => {
      const { id } = c.req.valid('param');
      const project = projectOf(c);
      const own = (await store.apiKeys.listApiKeys()).find(
        (k) => k.id === id && k.project === project,
      );
      if (!own || !(await store.apiKeys.revokeApiKey(id)))
        throw new NotFoundError(`API key ${id} not found`);
      return c.body(null, 204);
    });
}
