/**
 * `/v1/runs`: submit (JSON or streamed NDJSON, idempotent), get, list, results, cancel, delete
 * and the run's Server-Sent Events stream. Every route is declared with `createRoute` from the
 * shared zod schemas, so validation and `/openapi.json` come from the same source.
 */

import { setTimeout as delay } from 'node:timers/promises';
import { createRoute, z } from '@hono/zod-openapi';
import {
  ConflictError,
  createRunSpecSchema,
  DEFAULT_PROJECT,
  EffectiveSummarySchema,
  RESULT_CURSOR_PATTERN,
  RESULT_SORT_PATTERN,
  ResultQueries,
  ResultSchema,
  type ResultSort,
  ResultStatusSchema,
  type RunEvent,
  RunNotFoundError,
  RunSchema,
  RunSpecHeaderSchema,
  RunTerminalError,
  TERMINAL_STATUSES,
  ValidationError,
} from '@runledger/shared';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { streamSSE } from 'hono/streaming';
import type { Cluster, Redis } from 'ioredis';
import { ulid } from 'ulid';
import {
  type AppDeps,
  type AppEnv,
  checkOwnRun,
  createRouter,
  limitBody,
  loadOwnRun,
  projectOf,
  shownRun,
} from '../context.js';
import {
  checkRunsInFlight,
  readCreatedRun,
  submitJsonRun,
  submitNdjsonRun,
} from '../create-run.js';
import { ProblemError, runNotFound, validationHook } from '../problem.js';
import { createAggregateRoutes, ListRunsQuery, runFilterOf } from './aggregate.js';
import {
  BEARER,
  problems,
  RUN_EVENT_STREAM_SCHEMA,
  RunIdParams,
  RunNdjsonBodySchema,
  RunProgressEventDataSchema,
  RunStatusEventDataSchema,
} from './openapi.js';

/** How long one XREAD BLOCK of an SSE stream waits before a keep-alive comment, ms. */
export const SSE_BLOCK_MS = 5000;

const NDJSON = 'application/x-ndjson';
const isNdjson = (contentType: string | undefined) =>
  contentType?.split(';')[0]?.trim().toLowerCase() === NDJSON;
const isJson = (contentType: string | undefined) =>
  /^application\/([\w.-]+\+)?json$/i.test(contentType?.split(';')[0]?.trim() ?? '');

/** How long an Idempotency-Key is held while its submission runs, seconds. */
const IDEMPOTENCY_PENDING_SECONDS = 600;
/** How long an Idempotency-Key returns its run once created, seconds (24 h). */
const IDEMPOTENCY_KEPT_SECONDS = 24 * 3600;

const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().openapi({
    description: 'Same key within 24 h: the same run is returned (200, Idempotent-Replayed: true)',
  }),
});

const ListResultsQuery = z.object({
  status: ResultStatusSchema.optional().openapi({
    description: 'only results with this status (with `effective=true`: the effective status)',
  }),
  effective: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .openapi({
      description:
        "`true`: per item, the latest result across the run and its reruns (recursively; a later rerun wins, `runId` names the run each result came from), and the answer's `effective` counters and scores",
    }),
  q: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({
      description:
        'Case-insensitive substring of the item id, or of the input, output, expected output ' +
        '(strings as they are, other values as JSON) or error message. Scans at most 2,000 ' +
        'items per request: a page may hold fewer than `limit` results with a non-null ' +
        '`nextCursor`; follow it until it is null.',
      example: 'paris',
    }),
  sort: z
    .string()
    .regex(RESULT_SORT_PATTERN, 'must be latency, -latency, score:<scorer> or -score:<scorer>')
    .optional()
    .openapi({
      description:
        '`latency` / `-latency` (ms, ascending / descending; items that ran), `score:<scorer>` / ' +
        '`-score:<scorer>` (items scored by that scorer of the run). Default: item order. Items ' +
        'without the sort key are left out; `-` is the exact reverse of the ascending order.',
      example: '-latency',
    }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .regex(RESULT_CURSOR_PATTERN, 'must be a cursor this API handed out')
    .optional()
    .openapi({
      description:
        '`nextCursor` of the previous page, with the same `sort` (a cursor of another sort is a 400)',
    }),
});

const streamId = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'must be an event id (`<ms>-<seq>`)');
const EventsQuery = z.object({ lastEventId: streamId.optional() });
const EventsHeaders = z.object({ 'last-event-id': streamId.optional() });

const RunList = z
  .object({ runs: z.array(RunSchema), nextCursor: z.string().nullable() })
  .openapi('RunList');
const ResultList = z
  .object({
    results: z.array(ResultSchema),
    nextCursor: z.string().nullable(),
    /** Only with `effective=true`. */
    effective: EffectiveSummarySchema.optional(),
  })
  .openapi('ResultList');

/**
 * Removes run `id` everywhere: its queued jobs, every key and index entry (`RunStore.deleteRun`),
 * then tells workers (cancel channel) to abort its items in flight. Returns false when the run
 * did not exist. The caller waits `RUNLEDGER_CLAIM_LEASE_MS` before answering (see
 * `deleteRunRoute`), so no attempt of the run starts after the answer.
 */
export async function removeRun(
  deps: Pick<AppDeps, 'store' | 'queues'>,
  id: string,
): Promise<boolean> {
  const { store, queues } = deps;
  const layout = await store.getRunLayout(id);
  if (!layout) return false;
  await queues.removeRunJobs(id, layout.target, layout.totalItems, layout.chunkSize);
  await store.deleteRun(id);
  await store.publishCancel(id);
  return true;
}

/** The `/v1/runs` router. */
export function createRunRoutes(deps: AppDeps) {
  const { config, store, queues } = deps;
  const resultQueries = new ResultQueries(store.redis, store.keys);
  const runSpecSchema = createRunSpecSchema(config.RUNLEDGER_MAX_ITEMS);

  /**
   * Runs `create(runId, project)` under an optional Idempotency-Key (scoped to the request's
   * project) once the project is under `RUNLEDGER_MAX_RUNS_IN_FLIGHT`. Returns the run and
   * whether it was a replay (then `Idempotent-Replayed: true` is set on `c`); 409 when the key's first request is still in flight, 429 when the
   * project has too many runs in flight.
   */
  const createIdempotent = async (
    c: Context<AppEnv>,
    idempotencyKey: string | undefined,
    create: (runId: string, project: string) => Promise<unknown>,
  ) => {
    const runId = ulid();
    const project = projectOf(c);
    // header values cannot hold a newline, so a scoped key never equals another project's key
    const key =
      idempotencyKey === undefined || project === DEFAULT_PROJECT
        ? idempotencyKey
        : `${project}\n${idempotencyKey}`;
    if (key !== undefined) {
      // held briefly while the submission runs (an API killed mid-submission frees it soon),
      // then for 24 h once the run exists
      const existing = await store.reserveIdempotencyKey(key, runId, IDEMPOTENCY_PENDING_SECONDS);
      if (existing !== null) {
        const run = await store.getRun(existing);
        if (!run || run.project !== project) {
          throw new ConflictError(
            `a request with this Idempotency-Key (run ${existing}) is still in progress or its run is gone`,
          );
        }
        c.header('Idempotent-Replayed', 'true');
        return { run, replayed: true };
      }
    }
    try {
      await checkRunsInFlight(deps, project);
      await create(runId, project);
    } catch (err) {
      if (key !== undefined) await store.releaseIdempotencyKey(key).catch(() => {});
      throw err;
    }
    if (key !== undefined) await store.keepIdempotencyKey(key, IDEMPOTENCY_KEPT_SECONDS);
    const run = await readCreatedRun(store, runId);
    c.get('logger').info(
      { runId, target: run.target.name, totalItems: run.totalItems },
      'run created',
    );
    return { run, replayed: false };
  };

  /** NDJSON bodies are streamed here, before the JSON validator would try to parse them. */
  const ndjsonBranch = createMiddleware<AppEnv>(async (c, next) => {
    if (!isNdjson(c.req.header('content-type'))) return next();
    const headers = IdempotencyHeaders.safeParse({
      'idempotency-key': c.req.header('idempotency-key'),
    });
    if (!headers.success)
      validationHook({ success: false, error: headers.error, target: 'header' });
    const key = headers.data?.['idempotency-key'];
    const { run, replayed } = await createIdempotent(c, key, (runId, project) =>
      submitNdjsonRun(deps, runId, c.req.raw.body, project),
    );
    return c.json(shownRun(run), replayed ? 200 : 201);
  });

  /** JSON bodies are limited to `RUNLEDGER_MAX_BODY_BYTES` (NDJSON is limited per item). */
  const limitJson = limitBody(
    config.RUNLEDGER_MAX_BODY_BYTES,
    '; send large datasets as application/x-ndjson',
  );
  const jsonBodyLimit = createMiddleware<AppEnv>(async (c, next) => {
    if (isJson(c.req.header('content-type'))) return limitJson(c, next);
    return next();
  });

  const createRunRoute = createRoute({
    method: 'post',
    path: '/',
    operationId: 'createRun',
    tags: ['runs'],
    security: BEARER,
    summary: 'Submit a run',
    description:
      'JSON: the whole run spec. NDJSON (`application/x-ndjson`, streamed): line 1 the run spec ' +
      'without `dataset.items` (`RunSpecHeader`), then one `Item` per line. Item ids default to ' +
      'the item index; `datasetVersion` defaults to a sha256 of the items. Checked at submit ' +
      '(400 with field paths): a live worker serves the target (unless ' +
      '`execution.waitForWorkers`), `target.config` fits the target config schema, an ' +
      '`http`/`openai` URL is allowed by `RUNLEDGER_HTTP_TARGET_ALLOW`, every scorer is known.',
    middleware: [ndjsonBranch, jsonBodyLimit] as const,
    request: {
      headers: IdempotencyHeaders,
      body: {
        required: true,
        content: {
          'application/json': { schema: runSpecSchema },
          [NDJSON]: { schema: RunNdjsonBodySchema },
        },
      },
    },
    responses: {
      201: { description: 'Run created', content: { 'application/json': { schema: RunSchema } } },
      200: {
        description: 'Idempotent replay: the run created earlier with this Idempotency-Key',
        headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } } },
        content: { 'application/json': { schema: RunSchema } },
      },
      ...problems(400, 409, 413, 415, 401, 429),
    },
  });

  const listRunsRoute = createRoute({
    method: 'get',
    path: '/',
    operationId: 'listRuns',
    tags: ['runs'],
    security: BEARER,
    summary: 'List runs, newest first',
    description:
      'Filters combine (AND). One request inspects at most 2,000 runs of the index, so with ' +
      'filters (e.g. `q`) a page may hold fewer than `limit` runs, even none, with a non-null ' +
      '`nextCursor`: follow it until it is null.',
    request: { query: ListRunsQuery },
    responses: {
      200: { description: 'A page of runs', content: { 'application/json': { schema: RunList } } },
      ...problems(400, 401, 429),
    },
  });

  const getRunRoute = createRoute({
    method: 'get',
    path: '/{id}',
    operationId: 'getRun',
    tags: ['runs'],
    security: BEARER,
    summary: 'Get a run',
    request: { params: RunIdParams },
    responses: {
      200: { description: 'The run', content: { 'application/json': { schema: RunSchema } } },
      ...problems(404, 401, 429),
    },
  });

  const listResultsRoute = createRoute({
    method: 'get',
    path: '/{id}/results',
    operationId: 'listRunResults',
    tags: ['runs'],
    security: BEARER,
    summary: "List a run's results in item order, search or sort them",
    description:
      'Pages in item order: without `status` a page covers item indexes `[cursor, cursor+limit)` ' +
      '(results not landed yet are absent); with `status` the next `limit` matching results. ' +
      '`q` searches (a bounded scan: short pages with a `nextCursor` are normal), `sort` orders ' +
      "by latency or by a scorer's score (an index built in Redis on demand, kept 300 s); the " +
      'cursor of a sorted page is an opaque token. `q` and `sort` combine with `status`, not ' +
      'with `effective=true` (400). ' +
      'With `effective=true` each item shows its latest result across the run and its reruns ' +
      '(`POST /v1/runs/:id/rerun`, `/replay`, recursively; a later rerun wins; `runId` says which ' +
      'run, `itemIndex` is the index in this run), `status` filters the effective status, and ' +
      '`effective` gives `{ runIds, totalItems, succeeded, failed, cancelled, pending, scores }` ' +
      'over every item: what the run scores once its reruns repaired failures.',
    request: { params: RunIdParams, query: ListResultsQuery },
    responses: {
      200: {
        description: 'A page of results',
        content: { 'application/json': { schema: ResultList } },
      },
      ...problems(400, 404, 401, 429),
    },
  });

  /**
   * Cancel: answers only after `RUNLEDGER_CLAIM_LEASE_MS` has passed since `finishRun` ended the
   * run (invariant 3: after cancel returns, no new attempt starts anywhere; the rule:
   * docs/architecture.md#cancel-delete-and-the-claim-lease). Workers start an attempt only
   * within that lease after sending a `claimItems` that saw the run going on (the worker's
   * claim lease). finishRun's script ran at Redis time t_c; a claim that
   * ran before it (t_r < t_c) was sent at t0 <= t_r, so its attempts start before
   * t0 + lease <= t_r + lease < t_c + lease <= this answer; any later claim sees the run
   * terminal. The wait overlaps the publish, the job removal and the read of the run, and is
   * kept on errors too (the run has ended either way). The API and the workers must use the
   * same lease.
   */
  const cancelRunRoute = createRoute({
    method: 'post',
    path: '/{id}/cancel',
    operationId: 'cancelRun',
    tags: ['runs'],
    security: BEARER,
    summary: 'Cancel a run',
    description:
      'Items without a result are recorded `cancelled`; items in flight are aborted by their ' +
      'workers. Answers only once no new attempt of the run can start anywhere (it waits the ' +
      'claim lease, `RUNLEDGER_CLAIM_LEASE_MS`, after the run ended).',
    request: { params: RunIdParams },
    responses: {
      200: {
        description: 'The cancelled run',
        content: { 'application/json': { schema: RunSchema } },
      },
      ...problems(404, 409, 401, 429),
    },
  });

  /**
   * Delete: like cancel, answers only after `RUNLEDGER_CLAIM_LEASE_MS` has passed since
   * `deleteRun` removed the run: claims that ran before it allow attempts only within their
   * lease, later ones find the run missing.
   */
  const deleteRunRoute = createRoute({
    method: 'delete',
    path: '/{id}',
    operationId: 'deleteRun',
    tags: ['runs'],
    security: BEARER,
    summary: 'Delete a run and all its results',
    description:
      'Answers only once no new attempt of the run can start anywhere (it waits the claim ' +
      'lease, `RUNLEDGER_CLAIM_LEASE_MS`, after the run was deleted).',
    request: { params: RunIdParams },
    responses: { 204: { description: 'Deleted' }, ...problems(404, 401, 429) },
  });

  const eventsRoute = createRoute({
    method: 'get',
    path: '/{id}/events',
    operationId: 'streamRunEvents',
    tags: ['runs'],
    security: BEARER,
    summary: "Stream a run's events (Server-Sent Events)",
    description:
      'Replays events after `Last-Event-ID` (header) or `lastEventId` (query), from the start ' +
      'without either, then streams live ones: `event: status|progress`, `id: <event id>`, ' +
      '`data: JSON`. Ends after a terminal status event.',
    request: { params: RunIdParams, query: EventsQuery, headers: EventsHeaders },
    responses: {
      200: {
        description:
          'Server-Sent Events: `status` (data `RunStatusEventData`) and `progress` (data ' +
          '`RunProgressEventData`), each with its `id`',
        content: { 'text/event-stream': { schema: RUN_EVENT_STREAM_SCHEMA } },
      },
      ...problems(400, 404, 401, 429),
    },
  });

  const router = createRouter();
  // schemas referenced only from raw schema objects (the NDJSON body, the SSE events' data)
  router.openAPIRegistry.register('RunSpecHeader', RunSpecHeaderSchema);
  router.openAPIRegistry.register('RunStatusEventData', RunStatusEventDataSchema);
  router.openAPIRegistry.register('RunProgressEventData', RunProgressEventDataSchema);
  // `/aggregate` is mounted before `/{id}`, which would take `aggregate` for a run id
  return router
    .openapi(createRunRoute, async (c) => {
      const spec = c.req.valid('json');
      // NDJSON never gets here (ndjsonBranch answers it); the string type only documents it
      if (typeof spec === 'string') throw new ProblemError(415, 'unexpected body type');
      const key = c.req.valid('header')['idempotency-key'];
      const { run, replayed } = await createIdempotent(c, key, (runId, project) =>
        submitJsonRun(deps, runId, spec, project),
      );
      return c.json(shownRun(run), replayed ? 200 : 201);
    })
    .openapi(listRunsRoute, async (c) => {
      const q = c.req.valid('query');
      const page = await store.listRuns({
        ...runFilterOf(q),
        limit: q.limit,
        cursor: q.cursor,
        project: projectOf(c),
      });
      return c.json({ runs: page.runs.map(shownRun), nextCursor: page.nextCursor }, 200);
    })
    .route('/', createAggregateRoutes(deps))
    .openapi(getRunRoute, async (c) => {
      const run = await loadOwnRun(store, c, c.req.valid('param').id);
      return c.json(shownRun(run), 200);
    })
    .openapi(listResultsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      await checkOwnRun(store, c, id);
      const options = { status: q.status, limit: q.limit, cursor: q.cursor };
      if (q.q !== undefined || q.sort !== undefined) {
        if (q.effective) {
          throw new ValidationError('q and sort do not combine with effective=true', [
            { path: 'effective', message: 'not with q or sort' },
          ]);
        }
        const page = await resultQueries.list(id, {
          ...options,
          q: q.q,
          sort: q.sort as ResultSort | undefined,
        });
        return c.json(page, 200);
      }
      if (q.cursor !== undefined && !/^\d{1,10}$/.test(q.cursor)) {
        throw new ValidationError('invalid cursor', [
          { path: 'cursor', message: "a sorted page's cursor needs the same sort" },
        ]);
      }
      // a run deleted meanwhile throws RunNotFoundError: 404
      const page = q.effective
        ? await store.listEffectiveResults(id, options)
        : await store.listResults(id, options);
      return c.json(page, 200);
    })
    .openapi(cancelRunRoute, async (c) => {
      const { id } = c.req.valid('param');
      await checkOwnRun(store, c, id);
      const outcome = await store.finishRun(id, 'cancelled', 'cancelled by request');
      if (outcome.state === 'missing') throw new RunNotFoundError(id);
      if (outcome.state === 'terminal') throw new RunTerminalError(id, outcome.status);
      const leaseOver = delay(config.RUNLEDGER_CLAIM_LEASE_MS);
      try {
        await store.publishCancel(id);
        const layout = await store.getRunLayout(id);
        if (layout)
          await queues.removeRunJobs(id, layout.target, layout.totalItems, layout.chunkSize);
        const run = await store.getRun(id);
        if (!run) throw runNotFound(id);
        c.get('logger').info(
          { runId: id, cancelledItems: outcome.cancelledItems },
          'run cancelled',
        );
        return c.json(shownRun(run), 200);
      } finally {
        await leaseOver; // see cancelRunRoute: no attempt starts after this answer
      }
    })
    .openapi(deleteRunRoute, async (c) => {
      const { id } = c.req.valid('param');
      await checkOwnRun(store, c, id);
      if (!(await removeRun(deps, id))) throw runNotFound(id);
      await delay(config.RUNLEDGER_CLAIM_LEASE_MS);
      c.get('logger').info({ runId: id }, 'run deleted');
      return c.body(null, 204);
    })
    .openapi(eventsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const after =
        c.req.valid('header')['last-event-id'] ?? c.req.valid('query').lastEventId ?? '0';
      await checkOwnRun(store, c, id);
      const logger = c.get('logger');
      return streamSSE(c, async (stream) => {
        let connection: Redis | Cluster | null = null;
        const close = () => {
          connection?.disconnect();
          connection = null;
        };
        stream.onAbort(close);
        /** Sends events; true once a terminal status event went out. */
        const send = async (events: RunEvent[]): Promise<boolean> => {
          for (const event of events) {
            await stream.writeSSE({
              event: event.type,
              id: event.id,
              data: JSON.stringify(event.data),
            });
            const status = event.data.status;
            if (
              event.type === 'status' &&
              TERMINAL_STATUSES.includes(status as (typeof TERMINAL_STATUSES)[number])
            ) {
              return true;
            }
          }
          return false;
        };
        try {
          let last = after;
          // replay what is stored, in pages
          for (;;) {
            const events = await store.readEvents(id, last, 1000);
            if (await send(events)) return;
            if (events.length > 0) last = events[events.length - 1]!.id;
            if (events.length < 1000) break;
          }
          // then live, on a dedicated connection (XREAD BLOCK holds it)
          if (stream.aborted) return;
          connection = deps.openBlockingRedis();
          while (!stream.aborted && connection) {
            const events = await store.waitForEvents(connection, id, last, SSE_BLOCK_MS);
            if (events.length === 0) {
              if ((await store.getRunStatus(id)) === null) return; // deleted or expired
              await stream.write(': keep-alive\n\n');
              continue;
            }
            if (await send(events)) return;
            last = events[events.length - 1]!.id;
          }
        } catch (err) {
          // a connection disconnected on purpose (client gone, server closing) is no error
          const closedOnPurpose = stream.aborted || !connection || connection.status === 'end';
          if (closedOnPurpose) logger.debug({ err, runId: id }, 'event stream closed');
          else logger.warn({ err, runId: id }, 'event stream ended by an error');
        } finally {
          close();
        }
      });
    });
}
