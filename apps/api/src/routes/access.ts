/**
 * Access control and audit of every `/v1` route, decided in ONE table (`ROUTE_ACCESS`): for each
 * `METHOD /route/pattern`, the role a key needs (`read` < `write` < `admin`, see
 * @runledger/shared roles.ts) and, for a change, the audit action it records.
 *
 * - `createAuditMiddleware`: after a change (a route with an `action`) has been answered,
 *   appends to the project's audit log (@runledger/shared audit-log.ts): the action, the API key
 *   id (never the key), the object id (the route's `:id`, else the `id` of what it created), what
 *   it created besides (a rerun's new run), the request id and the HTTP status. Refused calls
 *   (403, 404, 409, 503, ...) are recorded too, with their status; calls the auth middleware
 *   refuses (401 without a valid key: no project; 429 over the per-key rate limit) are not. A
 *   failed append is logged, never fails the call.
 * - `createRoleMiddleware`: answers 403 problem `forbidden` naming the role needed when the
 *   request's key has less. A route missing from the table needs `admin` (fail closed; a test
 *   checks that every route is listed).
 *
 * Mounted on `/v1/*` after the auth middleware: audit (outer), then role (inner), so refusals
 * are audited.
 */
import type { AuditLog, Role } from '@runledger/shared';
import { roleAllows } from '@runledger/shared';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from '../context.js';
import { ProblemError } from '../problem.js';

/** What one route needs and records. */
export interface RouteAccess {
  /** The weakest role allowed to call it. */
  role: Role;
  /** Audit action recorded for each call (changes only). */
  action?: string;
  /** Declared ahead of its route (a hook for routes still to come): no route needs to exist yet. */
  planned?: boolean;
}

/**
 * Every `/v1` route: `METHOD /pattern` (Hono pattern, `:param`) -> its role and audit action.
 * GET routes (reads, SSE, exports) need `read`; submissions and changes `write`; deletes,
 * cleanup, import, the audit log and key management `admin`.
 */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // runs
  'GET /v1/runs': { role: 'read' },
  'POST /v1/runs': { role: 'write', action: 'run.create' },
  'GET /v1/runs/aggregate': { role: 'read' },
  'GET /v1/runs/:id': { role: 'read' },
  'GET /v1/runs/:id/results': { role: 'read' },
  'GET /v1/runs/:id/events': { role: 'read' },
  'GET /v1/runs/:id/latency': { role: 'read' },
  'GET /v1/runs/:id/items/:index/request': { role: 'read' },
  'GET /v1/runs/:id/results.jsonl': { role: 'read' },
  'GET /v1/runs/:id/results.csv': { role: 'read' },
  'GET /v1/runs/:a/compare/:b': { role: 'read' },
  'POST /v1/runs/:id/cancel': { role: 'write', action: 'run.cancel' },
  'POST /v1/runs/:id/rerun': { role: 'write', action: 'run.rerun' },
  'POST /v1/runs/:id/replay': { role: 'write', action: 'run.replay' },
  'DELETE /v1/runs/:id': { role: 'admin', action: 'run.delete' },
  'POST /v1/runs/cleanup': { role: 'admin', action: 'run.cleanup' },
  'POST /v1/runs/import': { role: 'admin', action: 'run.import' },
  'GET /v1/runs/:id/snapshot': { role: 'read' },
  // datasets
  'GET /v1/datasets': { role: 'read' },
  'POST /v1/datasets': { role: 'write', action: 'dataset.create' },
  'GET /v1/datasets/:id': { role: 'read' },
  'GET /v1/datasets/:id/versions/:version/items': { role: 'read' },
  'POST /v1/datasets/:id/items': { role: 'write', action: 'dataset.push' },
  'DELETE /v1/datasets/:id': { role: 'admin', action: 'dataset.delete' },
  // experiments
  'GET /v1/experiments': { role: 'read' },
  'POST /v1/experiments': { role: 'write', action: 'experiment.create' },
  'GET /v1/experiments/:id': { role: 'read' },
  'GET /v1/experiments/:id/report': { role: 'read' },
  'DELETE /v1/experiments/:id': { role: 'admin', action: 'experiment.delete' },
  // fleet
  'GET /v1/workers': { role: 'read' },
  'GET /v1/queues': { role: 'read' },
  // governance
  'GET /v1/audit': { role: 'admin' },
  'GET /v1/keys': { role: 'admin' },
  'POST /v1/keys': { role: 'admin', action: 'key.create' },
  'DELETE /v1/keys/:id': { role: 'admin', action: 'key.revoke' },
};

/** What a route missing from the table needs: nothing less than `admin`. */
const UNLISTED: RouteAccess = { role: 'admin' };

/**
 * The table entry of the route that answers this request: `undefined` when no route matched
 * (the app answers 404), `UNLISTED` for a route missing from the table. HEAD counts as GET.
 */
function accessOf(c: Context<AppEnv>): RouteAccess | undefined {
  const pattern = routePath(c, -1);
  if (pattern === routePath(c)) return undefined;
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
  return ROUTE_ACCESS[`${method} ${pattern}`] ?? UNLISTED;
}

/** 403 `forbidden`: the call needs role `need`; the key has `have`. */
export function forbidden(need: Role, have: Role): ProblemError {
  return new ProblemError(
    403,
    `this call needs an API key with role "${need}" (or higher); this key has role "${have}"`,
    { kind: 'forbidden' },
  );
}

/** Refuses (403) a call beyond the request's key's role; see the module doc. */
export function createRoleMiddleware() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const access = accessOf(c);
    if (access !== undefined) {
      const role = c.get('role');
      if (!roleAllows(role, access.role)) throw forbidden(access.role, role);
    }
    await next();
  });
}

/** The `:id` segment of `path` matched by `pattern` (`/v1/runs/:id/cancel`), or null. */
function idParam(pattern: string, path: string): string | null {
  const at = pattern.split('/').indexOf(':id');
  const segment = at < 0 ? undefined : path.split('/')[at];
  if (segment === undefined) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Records every call of an audited route once answered; see the module doc. */
export function createAuditMiddleware(audit: AuditLog) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const action = accessOf(c)?.action;
    await next();
    if (action === undefined) return;
    const status = c.res.status;
    // from the route's pattern: a call refused before its handler ran has no params of its own
    const param = idParam(routePath(c, -1), c.req.path);
    let returnedId: string | null = null;
    if (status < 300 && c.res.headers.get('content-type')?.includes('json')) {
      const body = (await c.res
        .clone()
        .json()
        .catch(() => null)) as { id?: unknown } | null;
      if (typeof body?.id === 'string') returnedId = body.id;
    }
    const objectId = param ?? returnedId;
    try {
      await audit.append(c.get('project'), {
        action,
        keyId: c.get('apiKeyId'),
        objectId,
        createdId: returnedId !== null && returnedId !== objectId ? returnedId : null,
        requestId: c.get('requestId'),
        status,
        call: `${c.req.method} ${c.req.path}`,
        source: 'api',
      });
    } catch (err) {
      c.get('logger').error({ err, action, objectId }, 'audit log append failed');
    }
  });
}
