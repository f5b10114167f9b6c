/**
 * `GET /v1/audit`: the caller's project's audit log (see ./access.ts for what is recorded and
 * @runledger/shared audit-log.ts for the caps), newest first, paged by cursor. Needs role `admin`.
 */
import { z } from '@hono/zod-openapi';
import type { AuditLog } from '@runledger/shared';
import { type AppDeps, createRouter, projectOf } from '../context.js';
import { problems, v1Route } from './openapi.js';

/** `since` as ms since epoch: ISO-8601 or digits; null when it is neither. */
function parseSince(value: string): number | null {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const AuditQuery = z.strictObject({
  since: z
    .string()
    .refine((v) => parseSince(v) !== null, 'must be an ISO-8601 time or ms since epoch')
    .optional()
    .openapi({
      description: 'Only entries recorded at or after this time (ISO-8601 or ms since epoch)',
      example: '2026-12-01T00:00:00Z',
    }),
  action: z
    .string()
    .regex(/^[a-z]+\.[a-z]+$/, 'must be an action name like run.create')
    .optional()
    .openapi({ description: 'Only entries of this action', example: 'run.delete' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .regex(/^\d{1,15}-\d{1,20}$/, 'must be a cursor this API handed out')
    .optional()
    .openapi({ description: '`nextCursor` of the previous page: older entries' }),
});

/** One audit log entry as answered. */
export const AuditEntrySchema = z
  .object({
    id: z.string().openapi({
      description: 'Stream id `<ms>-<seq>`: unique, ordered by time',
      example: '1764547200000-0',
    }),
    at: z.string().openapi({
      description: 'When it was recorded, ISO-8601 UTC',
      example: '2026-12-01T00:00:00.000Z',
    }),
    action: z.string().openapi({
      description:
        '`run.create`, `run.cancel`, `run.rerun`, `run.replay`, `run.delete`, `run.cleanup`, ' +
        '`run.import`, `dataset.create`, `dataset.push`, `dataset.delete`, `experiment.create`, ' +
        '`experiment.delete`, `key.create`, `key.revoke`',
      example: 'run.create',
    }),
    keyId: z
      .string()
      .nullable()
      .openapi({
        description:
          'Id of the API key that made the call (never the key): `env:<project>:<n>` or a stored ' +
          "key's id; null without keys, or for `runledger keys` changes made on Redis directly",
        example: 'env:team-a:0',
      }),
    objectId: z.string().nullable().openapi({
      description:
        "The object acted on: the route's id, else the id of what the call created; null when unknown (a refused create)",
      example: '01JZ8X6T2M3N4P5Q6R7S8T9V0W',
    }),
    createdId: z.string().nullable().openapi({
      description: 'What the call created besides its object (a rerun: the new run), else null',
    }),
    requestId: z.string().nullable().openapi({
      description: 'The `X-Request-Id` of the call; null for CLI changes',
    }),
    status: z.number().int().openapi({
      description: 'Outcome: the HTTP status answered (403, 404, ... for refused calls)',
      example: 201,
    }),
    call: z.string().openapi({
      description: '`METHOD /path` of the call (no query), or the CLI command',
      example: 'POST /v1/runs',
    }),
    source: z.enum(['api', 'cli']).openapi({
      description: '`api`: made through the HTTP API; `cli`: by `runledger keys` on Redis directly',
    }),
  })
  .openapi('AuditEntry');

const AuditListSchema = z
  .object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() })
  .openapi('AuditList');

/** The audit router (mounted at `/v1/audit`). */
export function createAuditRoutes(_deps: AppDeps, audit: AuditLog) {
  const listRoute = v1Route('audit', 'get', '/', {
    operationId: 'listAudit',
    summary: "The project's audit log, newest first",
    description:
      'Every change made through the API (runs created, cancelled, rerun, replayed, deleted; ' +
      'datasets created, pushed, deleted; experiments created, deleted; keys created, revoked) ' +
      'with the key id (never the key), object id, request id and HTTP status. Needs role `admin`. ' +
      'Kept up to `RUNLEDGER_AUDIT_MAXLEN` entries per project and `RUNLEDGER_AUDIT_MAX_AGE_SECONDS`.',
    request: { query: AuditQuery },
    responses: {
      200: {
        description: 'A page of entries; `nextCursor` null on the last page',
        content: {
          'application/json': {
            schema: AuditListSchema,
            example: {
              entries: [
                {
                  id: '1764547200000-0',
                  at: '2026-12-01T00:00:00.000Z',
                  action: 'run.create',
                  keyId: 'env:team-a:0',
                  objectId: '01JZ8X6T2M3N4P5Q6R7S8T9V0W',
                  createdId: null,
                  requestId: '5f0e8d52-3e1b-4d5e-9c39-0b1f8f6f2a11',
                  status: 201,
                  call: 'POST /v1/runs',
                  source: 'api',
                },
              ],
              nextCursor: null,
            },
          },
        },
      },
      ...problems(400, 403),
    },
  });

  return createRouter().openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const page = await audit.list(projectOf(c), {
      since: q.since === undefined ? undefined : (parseSince(q.since) ?? undefined),
      action: q.action,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json(page, 200);
  });
}
