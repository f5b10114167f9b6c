/**
 * `/v1/experiments`: one dataset, several variants (targets/configs), `trials` runs per variant;
 * every run is submitted through the same path as `POST /v1/runs` (create-run.ts) and carries
 * `experimentId`, `variant` and `trialIndex`. `GET /:id` answers the side-by-side summary computed
 * from the runs' results; `GET /:id/report` adds one row per item.
 */
import { z } from '@hono/zod-openapi';
import {
  createRunSpecSchema,
  type ExperimentRecord,
  ExperimentReportSchema,
  ExperimentSpecSchema,
  ExperimentStore,
  ExperimentSummarySchema,
  loadExperimentData,
  type NewRun,
  type RunSpec,
  reportExperiment,
  summarizeExperiment,
  TERMINAL_STATUSES,
  VariantSummarySchema,
} from '@runledger/shared';
import type { Context } from 'hono';
import { ulid } from 'ulid';
import { ZodError } from 'zod';
import {
  type AppDeps,
  type AppEnv,
  createRouter,
  limitBody,
  projectOf,
  RUN_ID_PATTERN,
  shownVariants,
} from '../context.js';
import {
  checkExperimentSubmission,
  checkRunsInFlight,
  discardRun,
  submitJsonRun,
} from '../create-run.js';
import { notFound, validationHook } from '../problem.js';
import { deleteRunsAfterLease } from '../services/run-control.js';
import {
  created,
  jsonBody,
  noContent,
  ok,
  pageQuery,
  RunIdParams,
  v1Route,
  v1RoutesOn,
} from './openapi.js';

const ListQuery = pageQuery(200, 50, /^\d{1,16}\.[0-9A-Za-z]{1,64}$/);

const ExperimentListSchema = z
  .object({
    experiments: z.array(
      ExperimentSummarySchema.pick({
        id: true,
        name: true,
        createdAt: true,
        datasetId: true,
        datasetVersion: true,
        trials: true,
      }).extend({
        variants: z.array(VariantSummarySchema.pick({ name: true, target: true, runIds: true })),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('ExperimentList');

/** Declarer of the routes on one experiment (`:id`, a ULID like a run's). */
const onExperiment = v1RoutesOn('experiments', RunIdParams);

/** 404 problem of a missing (or other project's) experiment. */
const experimentNotFound = (id: string) => notFound(`experiment ${id} not found`);

/** The `/v1/experiments` router. */
export function createExperimentRoutes(deps: AppDeps) {
  const { config, store } = deps;
  const runSpecSchema = createRunSpecSchema(config.RUNLEDGER_MAX_ITEMS);
  const experiments = new ExperimentStore(store.redis, {
    prefix: store.keys.prefix,
    safetyTtlSeconds: store.safetyTtlSeconds,
  });

  /** The experiment of the request's project, else a 404 (ids of other projects do not leak). */
  const load = async (c: Context<AppEnv>, id: string): Promise<ExperimentRecord> => {
    if (!RUN_ID_PATTERN.test(id)) throw experimentNotFound(id);
    const record = await experiments.get(id);
    if (!record || record.project !== projectOf(c)) throw experimentNotFound(id);
    return record;
  };

  /**
   * The create route's validation hook: when the experiment's own fields are refused, the
   * problems of its `dataset` (checked as a run spec's dataset, strictly, items included) are
   * listed with them, so a variant typo and a dataset typo come back in one answer, not two.
   */
  const datasetSchema = runSpecSchema.shape.dataset;
  const withDatasetErrors = (
    result: { success: true } | { success: false; error: ZodError; target: string; data?: unknown },
  ): undefined => {
    if (result.success) return undefined;
    const body = result.data as { dataset?: unknown } | undefined;
    const dataset =
      body && typeof body === 'object' && 'dataset' in body
        ? datasetSchema.safeParse(body.dataset)
        : null;
    if (!dataset || dataset.success) return validationHook(result);
    const issues = dataset.error.issues.map((issue) => ({
      ...issue,
      path: ['dataset', ...issue.path],
    }));
    return validationHook({ ...result, error: new ZodError([...result.error.issues, ...issues]) });
  };

  const limitJson = limitBody(
    config.RUNLEDGER_MAX_BODY_BYTES,
    ' (RUNLEDGER_MAX_BODY_BYTES); store a large dataset first (runledger datasets push FILE, or POST /v1/datasets as application/x-ndjson) and name it: dataset: { id }',
  );

  const createExperimentRoute = v1Route('experiments', 'post', '/', {
    operationId: 'createExperiment',
    summary: 'Create an experiment: one run per variant and trial over one dataset',
    description:
      "`dataset` is validated exactly like a run spec's (`POST /v1/runs`); every run pins the " +
      'same dataset version. Variant names are unique; 1-20 variants, 1-20 trials.',
    middleware: [limitJson] as const,
    request: { body: jsonBody(ExperimentSpecSchema) },
    responses: created('Experiment created (its summary)', ExperimentSummarySchema, 400, 413),
  });

  const listRoute = v1Route('experiments', 'get', '/', {
    operationId: 'listExperiments',
    summary: "List the project's experiments, newest first",
    request: { query: ListQuery },
    responses: ok('A page of experiments', ExperimentListSchema, 400),
  });

  const getRoute = onExperiment('get', '/{id}', {
    operationId: 'getExperiment',
    summary: 'Side-by-side summary of an experiment',
    description:
      'Per variant: per scorer the run `ScoreSummary` figures (`passRate = passed / items`, ' +
      '`passRateOfScored`, `errors`) with a Wilson 95% interval, pass@k and pass^k ' +
      '(trials > 1), latency p50/p90/p99, tokens, cost, errors by type. Computed from every ' +
      'result. When a run was deleted or expired, `incomplete` is true, `missingRunIds` lists ' +
      'it and the figures cover the remaining runs only.',
    responses: ok('The summary', ExperimentSummarySchema),
  });

  const reportRoute = onExperiment('get', '/{id}/report', {
    operationId: 'getExperimentReport',
    summary: 'The summary plus one row per item (per variant and trial: status, passed per scorer)',
    responses: ok('The report', ExperimentReportSchema),
  });

  const deleteRoute = onExperiment('delete', '/{id}', {
    operationId: 'deleteExperiment',
    summary: 'Delete an experiment and every one of its runs',
    description:
      'Each run of the experiment is deleted as `DELETE /v1/runs/:id` does (queued jobs, every ' +
      'key, index entries; workers abort its items in flight), then the experiment. Answers once ' +
      'no new attempt of its runs can start (it waits `RUNLEDGER_CLAIM_LEASE_MS`). 404 for an ' +
      "unknown experiment or another project's.",
    responses: noContent('Deleted'),
  });

  /** Loads the experiment's data; settles its TTL once every run is terminal. */
  const loadData = async (record: ExperimentRecord) => {
    const data = await loadExperimentData(store, record);
    const runs = data.flat().map((t) => t.run);
    const present = runs.filter((r) => r !== null);
    const allTerminal = present.every((r) => TERMINAL_STATUSES.includes(r.status));
    if (present.length > 0 && allTerminal) {
      await experiments.settle(record.id, Math.max(...present.map((r) => r.retention.ttlSeconds)));
    }
    return data;
  };

  return createRouter()
    .openapi(
      createExperimentRoute,
      async (c) => {
        const spec = c.req.valid('json');
        const project = projectOf(c);
        const first = spec.variants[0]!;
        // the dataset and scorers, validated exactly as POST /v1/runs does
        const parsed = runSpecSchema.safeParse({
          name: spec.name,
          target: first.target,
          dataset: spec.dataset,
          scorers: spec.scorers,
          ...(spec.execution ? { execution: spec.execution } : {}),
          ...(spec.retention ? { retention: spec.retention } : {}),
          ...(spec.privacy ? { privacy: spec.privacy } : {}),
          tags: spec.tags,
        });
        if (!parsed.success) {
          validationHook({ success: false, error: parsed.error, target: 'json' });
          throw new Error('unreachable');
        }
        await checkExperimentSubmission(deps, spec.variants, parsed.data);
        await checkRunsInFlight(deps, project);
        const id = ulid();
        const createdAt = Date.now();
        const created: NewRun[] = [];
        const variants: ExperimentRecord['variants'] = [];
        let dataset: RunSpec['dataset'] = parsed.data.dataset;
        let datasetId: string | null = null;
        let datasetVersion: string | null = null;
        try {
          for (const variant of spec.variants) {
            const runIds: string[] = [];
            for (let trialIndex = 0; trialIndex < spec.trials; trialIndex++) {
              const runId = ulid();
              const runSpec: RunSpec = {
                ...parsed.data,
                name: `${spec.name} / ${variant.name}${spec.trials > 1 ? ` #${trialIndex}` : ''}`,
                target: variant.target,
                execution: variant.execution ?? parsed.data.execution,
                privacy: variant.privacy ?? parsed.data.privacy,
                dataset,
                metadata: { experimentId: id, variant: variant.name, trialIndex },
              };
              const { committed: run } = await submitJsonRun(
                deps,
                runId,
                runSpec,
                project,
                {
                  experimentId: id,
                  variant: variant.name,
                  trialIndex,
                },
                { checked: true },
              );
              created.push(run);
              runIds.push(runId);
              if (datasetVersion === null) {
                // every later run pins the version the first one got
                datasetId = run.datasetId ?? null;
                datasetVersion = run.datasetVersion;
                dataset = { ...dataset, version: datasetVersion };
              }
            }
            variants.push({ name: variant.name, target: variant.target, runIds });
          }
          const record: ExperimentRecord = {
            id,
            name: spec.name,
            project,
            createdAt,
            datasetId,
            datasetVersion,
            trials: spec.trials,
            scorers: parsed.data.scorers,
            tags: spec.tags,
            variants,
          };
          await experiments.create(record);
          c.get('logger').info(
            { experimentId: id, runs: created.length, variants: variants.length },
            'experiment created',
          );
          const summary = summarizeExperiment(record, await loadExperimentData(store, record));
          return c.json({ ...summary, variants: shownVariants(summary.variants) }, 201);
        } catch (err) {
          // removes the runs of an experiment whose creation failed part way (best effort)
          for (const run of created) await discardRun(deps, run.id, run);
          throw err;
        }
      },
      withDatasetErrors,
    )
    .openapi(listRoute, async (c) => {
      const q = c.req.valid('query');
      const page = await experiments.list(projectOf(c), {
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json(
        {
          experiments: page.experiments.map((e) => ({
            id: e.id,
            name: e.name,
            createdAt: new Date(e.createdAt).toISOString(),
            datasetId: e.datasetId,
            datasetVersion: e.datasetVersion,
            trials: e.trials,
            variants: shownVariants(e.variants),
          })),
          nextCursor: page.nextCursor,
        },
        200,
      );
    })
    .openapi(getRoute, async (c) => {
      const record = await load(c, c.req.valid('param').id);
      const summary = summarizeExperiment(record, await loadData(record));
      return c.json({ ...summary, variants: shownVariants(summary.variants) }, 200);
    })
    .openapi(reportRoute, async (c) => {
      const record = await load(c, c.req.valid('param').id);
      const report = reportExperiment(record, await loadData(record));
      return c.json({ ...report, variants: shownVariants(report.variants) }, 200);
    })
    .openapi(deleteRoute, async (c) => {
      const record = await load(c, c.req.valid('param').id);
      const own: string[] = [];
      for (const variant of record.variants) {
        for (const runId of variant.runIds) {
          // a run of another project cannot be in this project's experiment; skip it anyway
          const project = await store.runs.getRunProject(runId);
          if (project === null || project === record.project) own.push(runId);
        }
      }
      const deletedRuns = await deleteRunsAfterLease(deps, own, () =>
        experiments.delete(record.id),
      );
      c.get('logger').info({ experimentId: record.id, deletedRuns }, 'experiment deleted');
      return c.body(null, 204);
    });
}
