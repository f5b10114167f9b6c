/**
 * Run lifecycle routes (mount at `/v1/runs`): `POST /cleanup` (delete finished runs older than a
 * duration), `GET /{id}/snapshot` (a finished run as one streamed NDJSON document with a digest)
 * and `POST /import` (restore a run from its snapshot). Roles and audit actions: ./access.ts
 * (`run.cleanup`, `run.import`: admin; snapshot: read). Format: @runledger/shared snapshot.ts.
 */
import { z } from '@hono/zod-openapi';
import { PayloadTooLargeError, parseSnapshot, RunSchema, ValidationError } from '@runledger/shared';
import { stream } from 'hono/streaming';
import { type AppDeps, checkOwnRun, createRouter, projectOf, shownRun } from '../context.js';
import { ProblemError } from '../problem.js';
import { cleanupRuns, durationMs, OLDER_THAN_PATTERN } from '../services/cleanup.js';
import { created, jsonBody, ok, onRun, problems, v1Route } from './openapi.js';

const NDJSON = 'application/x-ndjson';

const CleanupBody = z
  .strictObject({
    olderThan: z
      .string()
      .regex(OLDER_THAN_PATTERN, 'must be a whole number and a unit: s, m, h, d or w (e.g. 30d)')
      .openapi({
        description: 'Runs that finished (`completedAt`) longer ago than this: `<n><s|m|h|d|w>`',
        example: '30d',
      }),
    status: z.enum(['completed', 'failed', 'cancelled']).optional().openapi({
      description: 'Only runs that ended with this status',
    }),
    target: z.string().min(1).max(200).optional().openapi({ description: 'Only this target' }),
    datasetId: z.string().min(1).max(200).optional().openapi({ description: 'Only this dataset' }),
    dryRun: z.boolean().default(false).openapi({
      description: '`true`: answer the runs that would be deleted, delete nothing',
    }),
  })
  .openapi('CleanupRuns');

const CleanedRunSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
    target: z.string(),
    datasetId: z.string().nullable(),
    completedAt: z.string().openapi({ description: 'ISO-8601 UTC' }),
  })
  .openapi('CleanedRun');

const CleanupAnswer = z
  .object({
    dryRun: z.boolean(),
    /** The cutoff: runs that finished before it. */
    before: z.string().openapi({ description: 'ISO-8601 UTC: runs that finished before this' }),
    count: z.number().int(),
    runs: z.array(CleanedRunSchema).openapi({
      description: 'The runs deleted (or, with `dryRun`, that would be), newest first',
    }),
  })
  .openapi('CleanupResult', {
    example: {
      dryRun: true,
      before: '2026-11-01T12:00:00.000Z',
      count: 1,
      runs: [
        {
          id: '01JZ8X6T2M3N4P5Q6R7S8T9V0W',
          name: 'nightly',
          status: 'failed',
          target: 'echo',
          datasetId: 'qa',
          completedAt: '2026-10-02T08:00:00.000Z',
        },
      ],
    },
  });

const SNAPSHOT_DESCRIPTION =
  'NDJSON, one JSON value a line: (1) `{"type":"run","format":1,"run":<Run>,"hash":{...},' +
  '"errtypes":{...},"reruns":[[id,ms],...]}` the run as shown and its stored fields (sorted, ' +
  'without `expiresAt`); (2) one `{"type":"result","index":i,"item":...,"result":...,' +
  '"latencyMs"?:n}` per item in item order; (3) one `{"type":"event","id":"<ms>-<seq>",' +
  '"fields":[...]}` per event of the run, with its stream id; (4) last ' +
  '`{"type":"digest","sha256":"<hex>","lines":N}`: SHA-256 of the N lines before it (each ' +
  'with its `\\n`). Secret target/scorer config fields read `[redacted]`. Two snapshots of one ' +
  'run are byte-identical.';

/** The `/v1/runs` lifecycle router: cleanup, snapshot, import. */
export function createLifecycleRoutes(deps: AppDeps) {
  const { store, config } = deps;

  const cleanupRoute = v1Route('runs', 'post', '/cleanup', {
    operationId: 'cleanupRuns',
    summary: 'Delete the finished runs older than a duration (or list them: dryRun)',
    description:
      "Finished runs (completed, failed, cancelled) of the key's project whose `completedAt` is " +
      'older than `olderThan`, optionally only of one `status`, `target` or `datasetId`, are ' +
      'deleted like `DELETE /v1/runs/:id` (every key and queued job); queued and running runs ' +
      'are never touched. With `dryRun: true` nothing is deleted. Needs an `admin` key; audited ' +
      'as `run.cleanup`.',
    request: { body: jsonBody(CleanupBody) },
    responses: ok('The runs deleted, or that would be', CleanupAnswer, 400, 415),
  });

  const snapshotRoute = onRun('get', '/{id}/snapshot', {
    operationId: 'snapshotRun',
    summary: 'A finished run as one NDJSON document (streamed), to archive or import',
    description: `${SNAPSHOT_DESCRIPTION} 409 while the run is queued or running.`,
    responses: {
      200: {
        description: 'The snapshot (application/x-ndjson, Content-Disposition: attachment)',
        content: {
          [NDJSON]: {
            schema: { type: 'string' },
            example:
              '{"type":"run","format":1,"run":{"id":"01JZ8X6T2M3N4P5Q6R7S8T9V0W"},"hash":{},"errtypes":{},"reruns":[]}\n' +
              '{"type":"result","index":0,"item":{"id":"0","input":"hi"},"result":{"status":"succeeded","attempts":1,"output":"hi"},"latencyMs":3}\n' +
              '{"type":"event","id":"1764600000000-0","fields":["type","status","data","{\\"status\\":\\"queued\\"}"]}\n' +
              '{"type":"digest","sha256":"9f2c...","lines":3}\n',
          },
        },
      },
      ...problems(409),
    },
  });

  const importRoute = v1Route('runs', 'post', '/import', {
    operationId: 'importRun',
    summary: 'Restore a run from its snapshot',
    description:
      'The body is a snapshot (`GET /v1/runs/:id/snapshot`, `application/x-ndjson`). The run is ' +
      'restored under its id with the same counters, results, items, scores, latency figures, ' +
      'error types and events (same event ids); its retention TTL starts again and it is ' +
      'listed by `GET /v1/runs` (it joins no keep-last group). Checked before anything is ' +
      'written: a truncated snapshot (no digest line, fewer lines) or a tampered one (digest ' +
      'mismatch) or a malformed one is a 400, a snapshot of another project a 400, a run that ' +
      'exists a 409; nothing is written then. At most `RUNLEDGER_MAX_IMPORT_BYTES` (413). Needs ' +
      'an `admin` key; audited as `run.import`.',
    request: {
      body: {
        required: true,
        content: {
          [NDJSON]: { schema: z.string().openapi({ description: SNAPSHOT_DESCRIPTION }) },
        },
      },
    },
    responses: created('The restored run', RunSchema, 400, 409, 413, 415),
  });

  const router = createRouter();
  return router
    .openapi(cleanupRoute, async (c) => {
      const body = c.req.valid('json');
      const before = Date.now() - durationMs(body.olderThan);
      const runs = await cleanupRuns(deps, {
        project: projectOf(c),
        before,
        status: body.status,
        target: body.target,
        datasetId: body.datasetId,
        dryRun: body.dryRun,
      });
      c.get('logger').info(
        { count: runs.length, dryRun: body.dryRun, olderThan: body.olderThan },
        body.dryRun ? 'cleanup dry run' : 'runs cleaned up',
      );
      return c.json(
        { dryRun: body.dryRun, before: new Date(before).toISOString(), count: runs.length, runs },
        200,
      );
    })
    .openapi(snapshotRoute, async (c) => {
      const { id } = c.req.valid('param');
      await checkOwnRun(store, c, id);
      // 404/409 are thrown here, before the stream starts
      const lines = await store.snapshots.open(id);
      const logger = c.get('logger');
      c.header('Content-Type', `${NDJSON}; charset=utf-8`);
      c.header('Content-Disposition', `attachment; filename="run-${id}.snapshot.ndjson"`);
      c.header('Cache-Control', 'no-store');
      // a streamed non-JSON body has no typed response in zod-openapi: returned as is
      return stream(
        c,
        async (s) => {
          for await (const chunk of lines) {
            if (s.aborted) return;
            await s.write(chunk);
          }
        },
        async (err) => {
          logger.warn({ err, runId: id }, 'snapshot stream ended by an error');
        },
      ) as never;
    })
    .openapi(importRoute, async (c) => {
      const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
      if (type !== NDJSON) throw new ProblemError(415, `send the snapshot as ${NDJSON}`);
      const text = await readLimited(c.req.raw, config.RUNLEDGER_MAX_IMPORT_BYTES);
      const snapshot = parseSnapshot(text);
      const project = projectOf(c);
      const owner = snapshot.run.hash.project ?? 'default';
      if (owner !== project) {
        throw new ValidationError(
          `invalid snapshot: a run of project "${owner}"; this key acts for "${project}"`,
          [{ path: 'line 1.hash.project', message: `must be "${project}"` }],
        );
      }
      const run = await store.snapshots.importRun(snapshot);
      c.get('logger').info({ runId: run.id, totalItems: run.totalItems }, 'run imported');
      return c.json(shownRun(run), 201);
    });
}

/** The request body as text, refusing (413) past `maxBytes`. */
async function readLimited(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return '';
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      throw new PayloadTooLargeError(
        `snapshot exceeds RUNLEDGER_MAX_IMPORT_BYTES (${maxBytes} bytes)`,
      );
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
