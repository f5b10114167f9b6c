/**
 * The Hono app: request id, one child logger and one log line per request, HTTP metrics, the
 * route groups (`/v1/runs`, operational routes), `/openapi.json` (OpenAPI 3.1 from the zod
 * schemas), `/docs` (Swagger UI, its assets served from swagger-ui-dist: works offline), the dashboard
 * at `/` (./web.ts), and one error handler that answers problem+json.
 */
import { AuditLog, lazyChildLogger, RedisMemoryGuard, tracingEnabled } from '@runledger/shared';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import { createAuthenticator, createAuthMiddleware, createMetricsGuard } from './auth.js';
import { type AppDeps, type AppEnv, createRouter } from './context.js';
import { createDocsRoutes } from './docs.js';
import { createMetrics } from './metrics.js';
import {
  createErrorHandler,
  notFoundHandler,
  PROBLEM_CONTENT_TYPE,
  ProblemSchema,
} from './problem.js';
import { admissionControl, documentRedisUnavailable } from './redis-guard.js';
import { createAuditMiddleware, createRoleMiddleware } from './routes/access.js';
import { createAuditRoutes } from './routes/audit.js';
import { createCompareRoutes } from './routes/compare.js';
import { createDatasetRoutes } from './routes/datasets.js';
import { createExperimentRoutes } from './routes/experiments.js';
import { createItemRequestRoutes } from './routes/item-request.js';
import { createKeyRoutes } from './routes/keys.js';
import { createLatencyRoutes } from './routes/latency.js';
import { createLifecycleRoutes } from './routes/lifecycle.js';
import { createQueueRoutes } from './routes/queues.js';
import { createRerunExportRoutes } from './routes/rerun-export.js';
import { createRunRoutes } from './routes/runs.js';
import { createSystemRoutes } from './routes/system.js';
import { createWebRoutes, SECURE_HEADERS_OPTIONS } from './web.js';

/** Version reported in the OpenAPI document (`info.version`): the package version. */
export const API_VERSION = '0.1.0';

/**
 * Document-level fields of `/openapi.json` (paths and components come from the routes).
 * `servers` is the relative `/`: the document describes the API at the origin it is served
 * from, so generated clients and Swagger UI call that origin (pass another base URL to a
 * client to call a different one). Operations declare their own `security` (bearer on `/v1`,
 * none on `/healthz`, `/readyz`, `/metrics`).
 */
export const OPENAPI_DOCUMENT_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'runledger API',
    version: API_VERSION,
    description:
      'Queue-driven, distributed run tracker for evaluation runs: submit a run (a target over ' +
      'a dataset), follow it (Server-Sent Events), page or export its results, compare runs, ' +
      'run experiments over stored datasets. `/v1` routes take `Authorization: Bearer <key>` ' +
      'once API keys are configured. Errors are RFC 9457 problem details ' +
      '(`application/problem+json`) whose `errors[]` names each offending field by path. ' +
      'With encryption at rest (`RUNLEDGER_ENCRYPTION_KEYS`), reading a stored value whose key ' +
      'is not configured (or that was altered) answers 500 `urn:runledger:problem:decryption_failed` ' +
      'with `detail` `decryption failed (key <kid>)`, never the value.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: '/', description: 'The origin serving this document' }],
  tags: [
    { name: 'runs', description: 'Submit, follow, page, export, rerun, compare and cancel runs' },
    { name: 'datasets', description: 'Stored datasets with immutable versions' },
    { name: 'experiments', description: 'One dataset x several target variants, compared' },
    { name: 'workers', description: 'Live workers and the targets they serve' },
    { name: 'audit', description: 'The project\u2019s audit log of changes (role admin)' },
    {
      name: 'keys',
      description: 'The project\u2019s stored API keys and their roles (role admin)',
    },
    {
      name: 'system',
      description:
        'Liveness and readiness (no API key); Prometheus metrics (an API key or RUNLEDGER_METRICS_TOKEN once keys exist)',
    },
  ],
};

/**
 * Builds the API app from its dependencies (no I/O until a request arrives); tests call
 * `app.request()`. Returns the OpenAPIHono app with every route chained (see `AppType`).
 */
export function createApp(deps: AppDeps) {
  const metrics = deps.metrics ?? createMetrics(deps.store, deps.queues);
  const audit = new AuditLog(deps.store.redis, deps.store.keys, {
    maxLen: deps.config.RUNLEDGER_AUDIT_MAXLEN,
    maxAgeSeconds: deps.config.RUNLEDGER_AUDIT_MAX_AGE_SECONDS,
  });
  const app = createRouter();

  // tracing on (see @runledger/shared tracing.ts): one server span per request (@hono/otel, loaded
  // only then), the root of a run's trace for `POST /v1/runs`; not installed at all when off
  if (tracingEnabled()) {
    const otel = import('@hono/otel').then(({ httpInstrumentationMiddleware }) =>
      httpInstrumentationMiddleware({
        spanNameFactory: (c) => `${c.req.method} ${routePath(c, -1)}`,
        captureActiveRequests: false,
      }),
    );
    app.use(async (c, next) => (await otel)(c, next));
  }
  app.use(requestId());
  // standard security headers on every response (see SECURE_HEADERS_OPTIONS in ./web.ts)
  app.use(secureHeaders(SECURE_HEADERS_OPTIONS));
  app.use(async (c, next) => {
    const started = performance.now();
    // made into a pino child only when the request logs at an enabled level
    const logger = lazyChildLogger(deps.logger, { reqId: c.get('requestId') });
    c.set('logger', logger);
    const ownRoute = routePath(c);
    await next();
    const ms = performance.now() - started;
    const status = c.res.status;
    const matched = routePath(c, -1);
    metrics.httpDuration.observe(
      {
        method: c.req.method,
        route: matched === ownRoute ? 'unmatched' : matched,
        status: String(status),
      },
      ms / 1000,
    );
    logger.info(
      { method: c.req.method, path: c.req.path, status, ms: Math.round(ms * 10) / 10 },
      'request',
    );
  });
  app.onError(
    createErrorHandler(deps.logger, {
      onRedisError: (kind) => metrics.redisErrors.inc({ kind }),
    }),
  );
  // the dashboard (apps/web/dist) at `/`; a GET no route matched outside the API is its 404 page
  const web = createWebRoutes(deps.webDir === undefined ? {} : { dir: deps.webDir });
  app.notFound((c) => web.notFound(c) ?? notFoundHandler(c));
  // every /v1 route: API key (401), rate limit (429), the request's project and role; then the
  // audit of changes (outer, so refusals are recorded) and the role check (403), both from the
  // one table in ./routes/access.ts
  const authenticator = createAuthenticator(deps);
  app.use('/v1/*', createAuthMiddleware(deps, authenticator));
  app.use('/v1/*', createAuditMiddleware(audit));
  app.use('/v1/*', createRoleMiddleware());
  // /metrics: a key or RUNLEDGER_METRICS_TOKEN once keys exist; 404 with RUNLEDGER_METRICS_LISTEN
  app.use('/metrics', createMetricsGuard(deps, authenticator, 'api'));
  // new runs and dataset versions: 503 above Redis's memory high-water mark, before any write
  const memory = new RedisMemoryGuard(deps.store.redis, {
    highWater: deps.config.RUNLEDGER_REDIS_MEMORY_HIGH_WATER,
  });
  app.use(
    '/v1/*',
    admissionControl(memory, () => metrics.admissionRefusals.inc()),
  );

  const routes = app
    .route('/v1/runs', createLifecycleRoutes(deps))
    .route('/v1/runs', createRunRoutes(deps))
    .route('/v1/runs', createCompareRoutes(deps))
    .route('/v1/runs', createRerunExportRoutes(deps))
    .route('/v1/runs', createLatencyRoutes(deps))
    .route('/v1/runs', createItemRequestRoutes(deps))
    .route('/v1/datasets', createDatasetRoutes(deps))
    .route('/v1/experiments', createExperimentRoutes(deps))
    .route('/v1/audit', createAuditRoutes(deps, audit))
    .route('/v1/keys', createKeyRoutes(deps))
    .route('/', createSystemRoutes(deps, metrics, memory))
    .route('/', createQueueRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key (RUNLEDGER_API_KEYS or `runledger keys create`); required once any key is configured.',
  });
  // every /v1 write documents its 503 (Redis out of memory, read-only, unreachable)
  documentRedisUnavailable(app.openAPIRegistry, ProblemSchema, PROBLEM_CONTENT_TYPE);
  app.doc31('/openapi.json', OPENAPI_DOCUMENT_CONFIG);
  app.route('/', createDocsRoutes({ specUrl: '/openapi.json', title: 'runledger API' }));
  // last: the dashboard's pages and assets
  app.route('/', web.router);
  return routes;
}

/** The app's route types, for the typed client: `hc<AppType>(url)`. */
export type AppType = ReturnType<typeof createApp>;

export type { AppDeps, AppEnv };
