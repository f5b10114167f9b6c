/**
 * The separate metrics listener (`RUNLEDGER_METRICS_LISTEN=host:port`): a second, tiny Hono app
 * in the API process serving only `GET /metrics` (the same registry as the API, so the same
 * figures) and `GET /healthz`, for a Prometheus scraper on its own bind address/port. It needs
 * `Authorization: Bearer <RUNLEDGER_METRICS_TOKEN>` when that token is set, nothing otherwise
 * (bind it where only the scraper reaches). Its responses carry the same security headers.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { createMetricsGuard } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import type { ApiMetrics } from './metrics.js';
import { createErrorHandler, notFoundHandler } from './problem.js';
import { SECURE_HEADERS_OPTIONS } from './web.js';

/** Builds the metrics-only app over `metrics` (see the module doc). */
export function createMetricsApp(deps: Pick<AppDeps, 'config' | 'logger'>, metrics: ApiMetrics) {
  const app = new Hono<AppEnv>();
  app.use(secureHeaders(SECURE_HEADERS_OPTIONS));
  app.onError(createErrorHandler(deps.logger));
  app.notFound(notFoundHandler);
  app.use('/metrics', createMetricsGuard(deps, null, 'separate'));
  app.get('/metrics', async (c) => {
    const text = await metrics.registry.metrics();
    return c.text(text, 200, { 'Content-Type': metrics.registry.contentType });
  });
  app.get('/healthz', (c) => c.json({ status: 'ok' as const }, 200));
  return app;
}
