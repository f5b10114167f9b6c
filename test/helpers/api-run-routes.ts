/**
 * The API routes addressed by one run id, for tests that call each of them with an id (a
 * missing run, another project's run, a fuzzed id) and compare the answers.
 */

/** `[method, path of the run id]`: GET run, GET results, GET events (SSE), POST cancel, DELETE. */
export const RUN_ROUTES: readonly (readonly [method: string, path: (id: string) => string])[] = [
  ['GET', (id) => `/v1/runs/${id}`],
  ['GET', (id) => `/v1/runs/${id}/results`],
  ['GET', (id) => `/v1/runs/${id}/events`],
  ['POST', (id) => `/v1/runs/${id}/cancel`],
  ['DELETE', (id) => `/v1/runs/${id}`],
];
