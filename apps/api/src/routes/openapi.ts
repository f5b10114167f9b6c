/**
 * Pieces every route group declares the same way in its OpenAPI routes: the security
 * requirements (bearer key on `/v1`, none on the operational routes), problem+json responses,
 * the run id path parameter, and the payload schemas of a run's Server-Sent Events.
 */
import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import { RunStatusSchema } from '@runledger/shared';
import { NDJSON } from '../ndjson.js';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from '../problem.js';

/** Every `/v1` route takes `Authorization: Bearer <key>` once API keys are configured. */
export const BEARER = [{ bearerAuth: [] }];

/** The operational routes (`/healthz`, `/readyz`, `/metrics`) need no key: an explicit `[]`. */
export const NO_SECURITY: { [scheme: string]: string[] }[] = [];

const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } as const;

/** A status `problems()` documents: an exact 4xx/5xx code or the `4XX` range. */
export type ProblemStatus = number | '4XX';

/** One documented problem response (OpenAPI Response Object). */
export interface ProblemResponse {
  description: string;
  headers?: Record<string, { description: string; schema: { type: 'string' | 'integer' } }>;
  content: typeof problemContent;
}

/** What each status means across the API (the route's own description adds specifics). */
const PROBLEM_DESCRIPTIONS: Record<string, string> = {
  400: 'Invalid request: `errors[]` lists every offending field by dotted path',
  401: 'Missing or unknown API key (sent once any key is configured)',
  403: "The API key's role does not allow this call: `detail` names the role it needs (read < write < admin)",
  404: 'Not found (a resource of another project answers 404 too)',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'Unsupported Content-Type',
  429: 'Rate limit or in-flight limit reached: retry after `Retry-After` seconds',
  503: 'A dependency (Redis) is unavailable',
  '4XX': 'Any client error, as a problem (this route takes no input it could reject)',
};

/** Headers sent with some problems. */
const PROBLEM_HEADERS: Record<string, ProblemResponse['headers']> = {
  401: {
    'WWW-Authenticate': { description: 'The bearer challenge', schema: { type: 'string' } },
  },
  429: {
    'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
  },
};

/**
 * OpenAPI responses for the given statuses, each an RFC 9457 problem
 * (`application/problem+json`, schema `Problem`); 401 and 429 list their headers. A route that
 * checks keys and rate limits (401 and 429: every `/v1` route) also documents 403: a key whose
 * role is too weak (./access.ts).
 */
export function problems<S extends ProblemStatus>(...codes: S[]): Record<S, ProblemResponse> {
  const all: ProblemStatus[] =
    codes.includes(401 as S) && codes.includes(429 as S) && !codes.includes(403 as S)
      ? [...codes, 403]
      : codes;
  return Object.fromEntries(
    all.map((code) => {
      const headers = PROBLEM_HEADERS[String(code)];
      const response: ProblemResponse = {
        description: PROBLEM_DESCRIPTIONS[String(code)] ?? `Problem (RFC 9457), status ${code}`,
        content: problemContent,
      };
      if (headers) response.headers = headers;
      return [code, response];
    }),
  ) as Record<S, ProblemResponse>;
}

/**
 * Query of a paged list: `limit` (1..`maxLimit` entries, default `defaultLimit`) and `cursor`,
 * which must match `cursorPattern`, the form of the cursors the list hands out (else 400
 * `must be a cursor this API handed out`). Any other parameter is a 400 `unknown query parameter`
 * (as in every query a route declares: a mistyped filter would otherwise be dropped silently).
 */
export const pageQuery = (maxLimit: number, defaultLimit: number, cursorPattern: RegExp) =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
    cursor: z.string().regex(cursorPattern, 'must be a cursor this API handed out').optional(),
  });

/**
 * The query of a route that takes no parameter but whose answer a parameter might be thought to
 * narrow (an export: `results.csv?status=failed` would otherwise export every result): any
 * parameter is a 400 `unknown query parameter`.
 */
export const NoQuery = z.strictObject({});

/** The `:id` path parameter of run and experiment routes (both ids are ULIDs). */
export const RunIdParams = z.object({
  id: z
    .string()
    .openapi({ param: { name: 'id', in: 'path' }, example: '01JZ8X6T2M3N4P5Q6R7S8T9V0W' }),
});

/**
 * `data` of a `status` event (`GET /v1/runs/:id/events`): the run's new status, when
 * (`at`, ms since the epoch) and, on a run that failed or was cancelled with a reason, `error`.
 */
export const RunStatusEventDataSchema = z
  .object({
    status: RunStatusSchema,
    at: z.number().int().openapi({ description: 'When, in ms since the Unix epoch' }),
    error: z.string().optional().openapi({ description: 'Why the run failed or was cancelled' }),
  })
  .openapi('RunStatusEventData', {
    description: '`data` of a `status` event: sent on every status transition.',
  });

/** `data` of a `progress` event: the run's counters after results landed. */
export const RunProgressEventDataSchema = z
  .object({
    done: z.number().int().openapi({ description: 'succeeded + failed + cancelled' }),
    total: z.number().int().openapi({ description: 'The run\u2019s totalItems' }),
    succeeded: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
  })
  .openapi('RunProgressEventData', {
    description: '`data` of a `progress` event: sent when results land (batched).',
  });

/** A `$ref` to a component schema. */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** One SSE event of a run's stream, as OpenAPI 3.2's `itemSchema` would describe it. */
const sseEvent = (event: 'status' | 'progress', dataSchema: string) => ({
  type: 'object' as const,
  title: `${event} event`,
  required: ['event', 'id', 'data'],
  properties: {
    event: { const: event, description: 'The SSE `event:` field' },
    id: {
      type: 'string' as const,
      description: 'The SSE `id:` field: send it back as `Last-Event-ID` to resume after it',
    },
    // JSON Schema 2020-12 (OpenAPI 3.1): the `data:` line is JSON text of this schema
    data: {
      type: 'string' as const,
      contentMediaType: 'application/json',
      contentSchema: ref(dataSchema),
      description: `The SSE \`data:\` field: JSON text of \`${dataSchema}\``,
    },
  },
});

/**
 * Schema of the `text/event-stream` body of `GET /v1/runs/:id/events`. OpenAPI 3.1 has no way to
 * type the events of a stream (3.2 adds `itemSchema`), so the schema describes ONE event: its
 * `event` name (`status` | `progress`), `id`, and `data` as JSON text with its payload schema
 * (`contentMediaType` + `contentSchema`, JSON Schema 2020-12). Keep-alive comments
 * (`: keep-alive`) come every few seconds while nothing happens.
 */
export const RUN_EVENT_STREAM_SCHEMA = {
  description:
    'A stream of Server-Sent Events; each event is one of these. `status` on every status ' +
    'transition (the stream ends after a terminal one: completed, failed, cancelled), ' +
    '`progress` when results land. Lines starting with `:` are keep-alive comments.',
  oneOf: [sseEvent('status', 'RunStatusEventData'), sseEvent('progress', 'RunProgressEventData')],
};

/**
 * Schema of an `application/x-ndjson` request body (a zod string, so the route's JSON body type
 * stays inferred): newline-delimited JSON, streamed, read as the sequence of its lines' JSON
 * values: line 1 the registered schema `header` (the JSON body without its items), every further
 * non-empty line an `Item` (JSON Schema 2020-12 `contentSchema` over that sequence:
 * `prefixItems` + `items`; at least one item). `exampleHeader` is line 1 of the example.
 */
export const ndjsonBodySchema = (header: string, exampleHeader: string) => {
  // declared apart: `contentSchema` is passed through to the document, beyond the metadata type
  const metadata = {
    description:
      `Newline-delimited JSON (streamed, never buffered whole): line 1 a \`${header}\`, then ` +
      'one `Item` per line. Read as the array of its lines\u2019 JSON values, the body matches ' +
      '`contentSchema`.',
    contentMediaType: 'application/x-ndjson',
    contentSchema: {
      type: 'array',
      minItems: 2,
      prefixItems: [ref(header)],
      items: ref('Item'),
    },
    example: `${exampleHeader}\n{"input":"hi","expectedOutput":"hi"}\n`,
  };
  return z.string().openapi(metadata);
};

/**
 * A required request body (a route's `request.body`) taking JSON `schema`, or the same as
 * streamed NDJSON: line 1 the registered schema `header`, then one `Item` a line
 * (`ndjsonBodySchema`; `exampleHeader` is line 1 of its example).
 */
export const jsonOrNdjsonBody = <S extends z.ZodType>(
  schema: S,
  header: string,
  exampleHeader: string,
) => ({
  required: true as const,
  content: {
    'application/json': { schema },
    [NDJSON]: { schema: ndjsonBodySchema(header, exampleHeader) },
  },
});

/** The HTTP methods of the API's operations. */
type RouteMethod = 'get' | 'post' | 'delete';

/**
 * `createRoute` for a `/v1` operation of group `tag` (its OpenAPI tag) at `method` `path`: it
 * takes the bearer key (`security: BEARER`), and its `responses` get the problems every `/v1`
 * route can answer, whatever the route itself does: 401 (no valid key), 403 (a role too weak)
 * and 429 (rate limit), see `problems`. Everything else (operationId, summary, description,
 * middleware, request, the route's own responses) comes from `route`.
 */
export function v1Route<M extends RouteMethod, P extends string, R extends V1RouteConfig>(
  tag: string,
  method: M,
  path: P,
  route: R,
) {
  return createRoute({
    ...route,
    method,
    path,
    tags: [tag],
    security: BEARER,
    responses: { ...route.responses, ...problems(401, 429) },
  });
}

/** What a `/v1` route declares itself (`v1Route` sets the rest). */
type V1RouteConfig = Omit<RouteConfig, 'method' | 'path' | 'tags' | 'security'>;

/** The schema of a route's path parameters. */
type RouteParams = NonNullable<NonNullable<RouteConfig['request']>['params']>;

/** The request parts of a route on one resource besides its path parameters. */
type OtherRequestParts = Omit<NonNullable<RouteConfig['request']>, 'params'>;

/**
 * Declarer of the `/v1` operations of group `tag` on ONE existing resource named by the path
 * parameters `params` (a run, an experiment, a dataset): `on(method, path, route)` is
 * `v1Route(tag, method, path, route)` whose `request.params` is `params` (`route.request` adds
 * the query, headers or body) and whose responses document 404 (a missing resource, or one of
 * another project) besides the route's own.
 */
export function v1RoutesOn<Params extends RouteParams>(tag: string, params: Params) {
  return <
    M extends RouteMethod,
    P extends string,
    R extends Omit<V1RouteConfig, 'request'> & { request?: OtherRequestParts },
  >(
    method: M,
    path: P,
    route: R,
  ) =>
    v1Route(tag, method, path, {
      ...route,
      request: { ...((route.request ?? {}) as RequestOf<R>), params },
      responses: { ...route.responses, ...problems(404) },
    });
}

/** `R['request']`, or nothing when the route declares none. */
type RequestOf<R> = R extends { request: infer Q extends object } ? Q : Record<never, never>;

/** Declarer of the `/v1/runs` operations on one run (`:id`): see `v1RoutesOn`. */
export const onRun = v1RoutesOn('runs', RunIdParams);

/** A response answering JSON `schema` (OpenAPI `responses` entry). */
export const jsonResponse = <S extends z.ZodType>(description: string, schema: S) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A required JSON request body of `schema` (a route's `request.body`). */
export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true as const,
  content: { 'application/json': { schema } },
});

/**
 * `responses` of an operation that answers 200 with JSON `schema` (`description`), or one of
 * the problems `codes` (`problems`; `v1Route` adds 401, 403 and 429).
 */
export const ok = <S extends z.ZodType, const C extends readonly ProblemStatus[]>(
  description: string,
  schema: S,
  ...codes: C
) => ({ 200: jsonResponse(description, schema), ...problems<C[number]>(...codes) });

/** Like `ok`, for an operation that answers 201 (it created `schema`). */
export const created = <S extends z.ZodType, const C extends readonly ProblemStatus[]>(
  description: string,
  schema: S,
  ...codes: C
) => ({ 201: jsonResponse(description, schema), ...problems<C[number]>(...codes) });

/** `responses` of an operation that answers 204 without a body (`description`), or a problem. */
export const noContent = <const C extends readonly ProblemStatus[]>(
  description: string,
  ...codes: C
) => ({
  204: { description },
  ...problems<C[number]>(...codes),
});
