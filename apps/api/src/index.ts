/**
 * @runledger/api: the HTTP API of runledger.
 * - `createApp(deps)`: the Hono app (tests call `app.request()`), `AppType` for `hc<AppType>()`.
 * - `startApi({ config, logger })`: connections + app + @hono/node-server (+ the separate metrics
 *   listener with `RUNLEDGER_METRICS_LISTEN`).
 * - `ROUTE_ACCESS`: the role each `/v1` route needs and the audit action it records.
 */
export { API_VERSION, type AppDeps, type AppEnv, type AppType, createApp } from './app.js';
export { type ApiMetrics, createMetrics, ITEM_LATENCY_BUCKETS_MS } from './metrics.js';
export {
  type FieldError,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  ProblemError,
  problemType,
} from './problem.js';
export { forbidden, ROUTE_ACCESS, type RouteAccess } from './routes/access.js';
export {
  EXPORT_CSV_COLUMNS,
  EXPORT_PAGE_SIZE,
  resultCsvRecord,
} from './routes/rerun-export.js';
export { type ApiServer, type StartApiOptions, startApi } from './server.js';
