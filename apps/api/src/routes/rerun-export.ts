/**
 * Routes derived from an existing run, mounted under `/v1/runs` beside ./runs.ts:
 * - `POST /v1/runs/:id/rerun { only: 'failed' | 'all' }` and `POST /v1/runs/:id/replay` (= rerun
 *   of every item, a regression check): a new run linked by `parentRunId` (../create-run.ts).
 * - `GET /v1/runs/:id/results.jsonl` and `/results.csv`: every result in item order, streamed
 *   page by page (a page of 500 is read only after the previous one was written).
 */
import { z } from '@hono/zod-openapi';
import { type Result, RunNotFoundError, RunSchema, ValidationError } from '@runledger/shared';
import { stringify } from 'csv-stringify/sync';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { ulid } from 'ulid';
import {
  type AppDeps,
  type AppEnv,
  checkOwnRun,
  createRouter,
  loadOwnRun,
  projectOf,
  shownRun,
} from '../context.js';
import { checkRunsInFlight, type RerunSelection, submitRerun } from '../create-run.js';
import { created, NoQuery, onRun } from './openapi.js';

/** Results read per store call while exporting. */
export const EXPORT_PAGE_SIZE = 500;

/** Columns of the CSV export, in order. Structured cells hold JSON; strings are written as is. */
export const EXPORT_CSV_COLUMNS = [
  'runId',
  'itemId',
  'itemIndex',
  'status',
  'attempts',
  'latencyMs',
  'queueMs',
  'costUsd',
  'inputTokens',
  'outputTokens',
  'error_type',
  'error_message',
  'input',
  'expectedOutput',
  'output',
  'scores',
] as const;

/** A CSV cell: '' for null/undefined, strings as is, numbers and booleans as text, the rest JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** One result as a CSV record (`EXPORT_CSV_COLUMNS` order). */
export function resultCsvRecord(r: Result): string[] {
  return [
    r.runId,
    r.itemId,
    String(r.itemIndex),
    r.status,
    String(r.attempts),
    cell(r.latencyMs),
    cell(r.queueMs),
    cell(r.costUsd),
    cell(r.usage?.inputTokens),
    cell(r.usage?.outputTokens),
    cell(r.error?.type),
    cell(r.error?.message),
    cell(r.input),
    cell(r.expectedOutput),
    cell(r.output),
    JSON.stringify(r.scores),
  ];
}

const RerunBody = z
  .strictObject({
    only: z.enum(['failed', 'all']).default('failed').openapi({
      description: '`failed`: items whose result is `failed` or `cancelled`; `all`: every item',
    }),
  })
  .openapi('Rerun');

/** The `/v1/runs/:id/{rerun,replay,results.jsonl,results.csv}` router (mount at `/v1/runs`). */
export function createRerunExportRoutes(deps: AppDeps) {
  const { store } = deps;

  const rerun = async (c: Context<AppEnv>, id: string, only: RerunSelection) => {
    const original = await loadOwnRun(store, c, id);
    const project = projectOf(c);
    await checkRunsInFlight(deps, project);
    const runId = ulid();
    const { run } = await submitRerun(deps, runId, original, only, project);
    c.get('logger').info(
      { runId, parentRunId: id, only, totalItems: run.totalItems },
      'rerun created',
    );
    return c.json(shownRun(run), 201);
  };

  /** Streams every result of run `id` in item order, `format(page, first)` per page. */
  const exportResults = async (
    c: Context<AppEnv>,
    id: string,
    contentType: string,
    extension: string,
    format: (page: Result[], first: boolean) => string,
    // a streamed non-JSON body has no typed response in zod-openapi: the handler returns it as is
  ): Promise<never> => {
    await checkOwnRun(store, c, id);
    const logger = c.get('logger');
    // the first page is read before the response starts, so a failure to read it (a result
    // that cannot be decrypted: 500 decryption_failed) is answered as a problem, not as an
    // empty 200
    let firstPage: { results: Result[]; nextCursor: string | null } | null =
      await store.results.listResults(id, { limit: EXPORT_PAGE_SIZE });
    c.header('Content-Type', contentType);
    c.header('Content-Disposition', `attachment; filename="run-${id}-results.${extension}"`);
    c.header('Cache-Control', 'no-store');
    const response = stream(
      c,
      async (s) => {
        let cursor: string | undefined;
        let first = true;
        for (;;) {
          if (s.aborted) return;
          let page: { results: Result[]; nextCursor: string | null };
          try {
            page =
              firstPage ??
              (await store.results.listResults(id, { limit: EXPORT_PAGE_SIZE, cursor }));
            firstPage = null;
          } catch (err) {
            if (err instanceof RunNotFoundError) return; // deleted or expired mid-export
            throw err;
          }
          const text = format(page.results, first);
          if (text.length > 0) await s.write(text);
          first = false;
          if (!page.nextCursor) return;
          cursor = page.nextCursor;
        }
      },
      async (err) => {
        logger.warn({ err, runId: id }, 'results export ended by an error');
      },
    );
    return response as never;
  };

  const rerunRoute = onRun('post', '/{id}/rerun', {
    operationId: 'rerunRun',
    summary: 'Rerun the failed (or all) items of a finished run as a new run',
    description:
      'A new run with the same target (real config), scorers, execution, retention, tags and ' +
      'metadata over the chosen items of the original (item ids kept, indexes from 0), named ' +
      '`<name> (rerun)`, with `parentRunId` = the original and its `datasetId`, ' +
      '`datasetVersion` and `datasetHash`. `failed` takes results `failed` or `cancelled`. ' +
      '409 while the original is queued or running; 400 when `failed` selects no item.',
    request: {
      body: { required: false, content: { 'application/json': { schema: RerunBody } } },
    },
    responses: created('The new run', RunSchema, 400, 409),
  });

  const replayRoute = onRun('post', '/{id}/replay', {
    operationId: 'replayRun',
    summary: 'Replay every item of a finished run (regression check): rerun with only=all',
    responses: created('The new run', RunSchema, 409),
  });

  const exportJsonlRoute = onRun('get', '/{id}/results.jsonl', {
    operationId: 'exportRunResultsJsonl',
    request: { query: NoQuery },
    summary: "Export a run's results as JSON Lines (streamed)",
    description: 'One `Result` a line, in item order; results not landed yet are absent.',
    responses: {
      200: {
        description: 'application/x-ndjson, Content-Disposition: attachment',
        content: { 'application/x-ndjson': { schema: { type: 'string' } } },
      },
    },
  });

  const exportCsvRoute = onRun('get', '/{id}/results.csv', {
    operationId: 'exportRunResultsCsv',
    request: { query: NoQuery },
    summary: "Export a run's results as CSV (streamed)",
    description:
      `Header row, then one row a result in item order. Columns: ${EXPORT_CSV_COLUMNS.join(', ')}. ` +
      'Strings are written as is, structured values as JSON, missing values empty (RFC 4180 quoting).',
    responses: {
      200: {
        description: 'text/csv, Content-Disposition: attachment',
        content: { 'text/csv': { schema: { type: 'string' } } },
      },
    },
  });

  return createRouter()
    .openapi(rerunRoute, async (c) => {
      const { id } = c.req.valid('param');
      const raw = c.req.header('content-type') ? await c.req.json().catch(() => null) : {};
      const body = RerunBody.safeParse(raw ?? {});
      if (!body.success) {
        throw new ValidationError('invalid request body: only: must be "failed" or "all"', [
          { path: 'only', message: 'must be "failed" or "all"' },
        ]);
      }
      return rerun(c, id, body.data.only);
    })
    .openapi(replayRoute, async (c) => rerun(c, c.req.valid('param').id, 'all'))
    .openapi(exportJsonlRoute, async (c) => {
      const { id } = c.req.valid('param');
      return exportResults(c, id, 'application/x-ndjson; charset=utf-8', 'jsonl', (page) =>
        page.map((r) => `${JSON.stringify(r)}\n`).join(''),
      );
    })
    .openapi(exportCsvRoute, async (c) => {
      const { id } = c.req.valid('param');
      return exportResults(c, id, 'text/csv; charset=utf-8', 'csv', (page, first) =>
        stringify(page.map(resultCsvRecord), {
          header: first,
          columns: [...EXPORT_CSV_COLUMNS],
        }),
      );
    });
}
