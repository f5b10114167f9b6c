/**
 * `/v1/runs`: submit (JSON or streamed NDJSON, idempotent), get, list, results, cancel, delete
 * and the run's Server-Sent Events stream. Every route is declared with `v1Route` or `onRun`
 * (./openapi.ts, `createRoute`) from the shared zod schemas, so validation and `/openapi.json`
 * come from the same source.
 */
import { z } from '@hono/zod-openapi';
import {
  createRunSpecSchema,
  EffectiveSummarySchema,
  RESULT_CURSOR_PATTERN,
  RESULT_SORT_PATTERN,
  ResultQueries,
  ResultSchema,
  type ResultSort,
  ResultStatusSchema,
  RunSchema,
  RunSpecHeaderSchema,
  ValidationError,
} from '@runledger/shared';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { streamSSE } from 'hono/streaming';
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
import { type Submitted, submitJsonRun, submitNdjsonRun } from '../create-run.js';
import { isNdjson } from '../ndjson.js';
import { ProblemError, validationHook } from '../problem.js';
import { tailRunEvents } from '../services/event-stream.js';
import { submitIdempotent } from '../services/idempotent-submit.js';
import { cancelRun, deleteRunAfterLease } from '../services/run-control.js';
import { createAggregateRoutes, ListRunsQuery, runFilterOf } from './aggregate.js';
import {
  jsonOrNdjsonBody,
  jsonResponse,
  noContent,
  ok,
  onRun,
  problems,
  RUN_EVENT_STREAM_SCHEMA,
  RunProgressEventDataSchema,
  RunStatusEventDataSchema,
  v1Route,
} from './openapi.js';

const isJson = (contentType: string | undefined) =>
  /^application\/([\w.-]+\+)?json$/i.test(contentType?.split(';')[0]?.trim() ?? '');

const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().openapi({
    description: 'Same key within 24 h: the same run is returned (200, Idempotent-Replayed: true)',
  }),
});

const ListResultsQuery = z.strictObject({
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
        'without the sort key are left out; `-` is the exact reverse of the ascending order. ' +
        'The score order of a run still queued or running is refreshed at most every 5 s: its ' +
        'sorted pages may lag the newest results by up to 5 s (a finished run is exact).',
      example: '-latency',
    }),
  scorer: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a scorer name')
    .optional()
    .openapi({
      description:
        'With `passed`: filter by this scorer of the run (a name the run does not score with ' +
        'is a 400 naming `scorer`).',
      example: 'exact_match',
    }),
  passed: z
    .enum(['true', 'false'])
    .optional()
    .openapi({
      description:
        'With `scorer`: `true` keeps results that passed the scorer; `false` keeps every other ' +
        'result, also those without its score (the item failed or was cancelled, or the scorer ' +
        "errored), as the run's `passRate = passed / totalItems` counts them. Items without a " +
        'result are not listed. The same bounded scan as `q`: short pages with a `nextCursor` ' +
        'are normal.',
      example: 'false',
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
const EventsQuery = z.strictObject({ lastEventId: streamId.optional() });
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

/** The `/v1/runs` router. */
export function createRunRoutes(deps: AppDeps) {
  const { config, store } = deps;
  const resultQueries = new ResultQueries(store.redis, store.keys, {
    codec: store.codec,
    scripts: store.scripts,
  });
  const runSpecSchema = createRunSpecSchema(config.RUNLEDGER_MAX_ITEMS);

  /** Submits under the request's Idempotency-Key (./services/idempotent-submit.ts) and answers the run. */
  const answerSubmission = async (
    c: Context<AppEnv>,
    idempotencyKey: string | undefined,
    create: (runId: string, project: string) => Promise<Submitted>,
  ) => {
    const { run, replayed } = await submitIdempotent(deps, projectOf(c), idempotencyKey, create);
    if (replayed) c.header('Idempotent-Replayed', 'true');
    else {
      c.get('logger').info(
        { runId: run.id, target: run.target.name, totalItems: run.totalItems },
        'run created',
      );
    }
    return c.json(shownRun(run), replayed ? 200 : 201);
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
    return answerSubmission(c, key, (runId, project) =>
      submitNdjsonRun(deps, runId, c.req.raw.body, project),
    );
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

  const createRunRoute = v1Route('runs', 'post', '/', {
    operationId: 'createRun',
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
      body: jsonOrNdjsonBody(
        runSpecSchema,
        'RunSpecHeader',
        '{"target":{"name":"echo"},"scorers":[{"name":"exact_match"}]}',
      ),
    },
    responses: {
      201: jsonResponse('Run created', RunSchema),
      200: {
        description: 'Idempotent replay: the run created earlier with this Idempotency-Key',
        headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } } },
        content: { 'application/json': { schema: RunSchema } },
      },
      ...problems(400, 409, 413, 415),
    },
  });

  const listRunsRoute = v1Route('runs', 'get', '/', {
    operationId: 'listRuns',
    summary: 'List runs, newest first',
    description:
      'Filters combine (AND). One request inspects at most 2,000 runs of the index, so with ' +
      'filters (e.g. `q`) a page may hold fewer than `limit` runs, even none, with a non-null ' +
      '`nextCursor`: follow it until it is null.',
    request: { query: ListRunsQuery },
    responses: ok('A page of runs', RunList, 400),
  });

  const getRunRoute = onRun('get', '/{id}', {
    operationId: 'getRun',
    summary: 'Get a run',
    responses: ok('The run', RunSchema),
  });

  const listResultsRoute = onRun('get', '/{id}/results', {
    operationId: 'listRunResults',
    summary: "List a run's results in item order, search or sort them",
    description:
      'Pages in item order: without `status` a page covers item indexes `[cursor, cursor+limit)` ' +
      '(results not landed yet are absent); with `status` the next `limit` matching results. ' +
      '`q` searches (a bounded scan: short pages with a `nextCursor` are normal), `sort` orders ' +
      "by latency or by a scorer's score (an index built in Redis on demand, kept 300 s; for a " +
      'run in flight rebuilt at most every 5 s, so its pages may lag the newest results by up ' +
      'to 5 s); the ' +
      'cursor of a sorted page is an opaque token. `scorer` with `passed` lists the results ' +
      'that passed (`true`) or did not pass (`false`) that scorer. `q`, `sort` and ' +
      '`scorer`/`passed` combine with each other and with `status`, not with `effective=true` (400). ' +
      'With `effective=true` each item shows its latest result across the run and its reruns ' +
      '(`POST /v1/runs/:id/rerun`, `/replay`, recursively; a later rerun wins; `runId` says which ' +
      'run, `itemIndex` is the index in this run), `status` filters the effective status, and ' +
      '`effective` gives `{ runIds, totalItems, succeeded, failed, cancelled, pending, scores }` ' +
      'over every item: what the run scores once its reruns repaired failures.',
    request: { query: ListResultsQuery },
    responses: ok('A page of results', ResultList, 400),
  });

  /** Cancel and delete wait the claim lease (./services/run-control.ts, invariant 3). */
  const cancelRunRoute = onRun('post', '/{id}/cancel', {
    operationId: 'cancelRun',
    summary: 'Cancel a run',
    description:
      'Items without a result are recorded `cancelled`; items in flight are aborted by their ' +
      'workers. Answers only once no new attempt of the run can start anywhere (it waits the ' +
      'claim lease, `RUNLEDGER_CLAIM_LEASE_MS`, after the run ended).',
    responses: ok('The cancelled run', RunSchema, 409),
  });

  const deleteRunRoute = onRun('delete', '/{id}', {
    operationId: 'deleteRun',
    summary: 'Delete a run and all its results',
    description:
      'Answers only once no new attempt of the run can start anywhere (it waits the claim ' +
      'lease, `RUNLEDGER_CLAIM_LEASE_MS`, after the run was deleted).',
    responses: noContent('Deleted'),
  });

  const eventsRoute = onRun('get', '/{id}/events', {
    operationId: 'streamRunEvents',
    summary: "Stream a run's events (Server-Sent Events)",
    description:
      'Replays events after `Last-Event-ID` (header) or `lastEventId` (query), from the start ' +
      'without either, then streams live ones: `event: status|progress`, `id: <event id>`, ' +
      '`data: JSON`. Ends after a terminal status event.',
    request: { query: EventsQuery, headers: EventsHeaders },
    responses: {
      200: {
        description:
          'Server-Sent Events: `status` (data `RunStatusEventData`) and `progress` (data ' +
          '`RunProgressEventData`), each with its `id`',
        content: { 'text/event-stream': { schema: RUN_EVENT_STREAM_SCHEMA } },
      },
      ...problems(400),
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
      return answerSubmission(c, key, (runId, project) =>
        submitJsonRun(deps, runId, spec, project),
      );
    })
    .openapi(listRunsRoute, async (c) => {
      const q = c.req.valid('query');
      const page = await store.runs.listRuns({
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
      if ((q.scorer === undefined) !== (q.passed === undefined)) {
        const missing = q.scorer === undefined ? 'scorer' : 'passed';
        throw new ValidationError('scorer and passed go together', [
          { path: missing, message: `required with ${missing === 'scorer' ? 'passed' : 'scorer'}` },
        ]);
      }
      if (q.q !== undefined || q.sort !== undefined || q.scorer !== undefined) {
        if (q.effective) {
          throw new ValidationError('q, sort and scorer do not combine with effective=true', [
            { path: 'effective', message: 'not with q, sort or scorer' },
          ]);
        }
        const page = await resultQueries.list(id, {
          ...options,
          q: q.q,
          sort: q.sort as ResultSort | undefined,
          scorer:
            q.scorer === undefined ? undefined : { name: q.scorer, passed: q.passed === 'true' },
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
        ? await store.results.listEffectiveResults(id, options)
        : await store.results.listResults(id, options);
      return c.json(page, 200);
    })
    .openapi(cancelRunRoute, async (c) => {
      const { id } = c.req.valid('param');
      await checkOwnRun(store, c, id);
      const { run, cancelledItems } = await cancelRun(deps, id);
      c.get('logger').info({ runId: id, cancelledItems }, 'run cancelled');
      return c.json(shownRun(run), 200);
    })
    .openapi(deleteRunRoute, async (c) => {
      const { id } = c.req.valid('param');
      await checkOwnRun(store, c, id);
      await deleteRunAfterLease(deps, id);
      c.get('logger').info({ runId: id }, 'run deleted');
      return c.body(null, 204);
    })
    .openapi(eventsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const after =
        c.req.valid('header')['last-event-id'] ?? c.req.valid('query').lastEventId ?? '0';
      await checkOwnRun(store, c, id);
      const logger = c.get('logger');
      return streamSSE(c, (stream) => tailRunEvents(deps, stream, id, after, logger));
    });
}
