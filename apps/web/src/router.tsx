/**
 * The dashboard's routes (TanStack Router, code-based): every page is a deep link that can be
 * shared and reloaded. Search params (filters) are validated here.
 */
import type { QueryClient } from '@tanstack/react-query';
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  type RouteComponent,
  redirect,
} from '@tanstack/react-router';
import type { ResultSort, ResultStatus, RunFilter, RunStatus } from './api';
import { Layout, NotFoundPage } from './layout';
import { ComparePage } from './pages/compare';
import { DatasetPage, DatasetsPage } from './pages/datasets';
import { ExperimentPage, ExperimentsPage } from './pages/experiments';
import { ItemPage } from './pages/item';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { WorkersPage } from './pages/workers';

const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
];
const RESULT_STATUSES: readonly ResultStatus[] = ['succeeded', 'failed', 'cancelled'];

/** The raw search params of a URL, as the router parses them. */
type RawSearch = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const day = (v: unknown): string | undefined =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
const oneOf = <T extends string>(v: unknown, allowed: readonly T[]): T | undefined =>
  allowed.includes(v as T) ? (v as T) : undefined;

/**
 * Search params of /runs: the filters of `GET /v1/runs` (`RunFilter`), except that `since` and
 * `until` are days (YYYY-MM-DD, local time; both inclusive).
 */
export type RunsSearch = Omit<RunFilter, 'since' | 'until'> & {
  since?: string | undefined;
  until?: string | undefined;
};

/** Search params of /runs/:id. */
export interface RunSearch {
  status?: ResultStatus | undefined;
  /** Text in the results' item id, input, output, expected output or error. */
  q?: string | undefined;
  /** Order of the results (default: item order). */
  sort?: ResultSort | undefined;
  /** A scorer of the run: only the results that did not pass it (`scorer=&passed=false`). */
  notPassed?: string | undefined;
  /** The item open in the side panel, and its index (one request to find it). */
  item?: string | undefined;
  i?: number | undefined;
}

const SORT = /^-?(latency|score:[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/;
const SCORER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const index = (v: unknown): number | undefined => {
  const i = Number(v);
  return v !== undefined && v !== '' && Number.isInteger(i) && i >= 0 ? i : undefined;
};

/** Search params of /compare/:a/:b. */
export interface CompareSearch {
  scorer?: string | undefined;
  show?: 'regressed' | 'improved' | 'changed' | 'all' | undefined;
}

const rootRoute = createRootRouteWithContext<{ queryClient: QueryClient }>()({
  component: Layout,
  notFoundComponent: NotFoundPage,
});

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/runs' });
  },
});

/**
 * A page under the root layout: `path` (TanStack syntax, `$param`), the page's component and,
 * for a page with search params, `validateSearch` (raw params -> the page's typed search; a
 * param it does not accept becomes undefined, never an error).
 */
function pageRoute<const TPath extends string, TSearch extends object = Record<never, never>>(
  path: TPath,
  component: RouteComponent,
  validateSearch: (s: RawSearch) => TSearch = () => ({}) as TSearch,
) {
  return createRoute({ getParentRoute: () => rootRoute, path, component, validateSearch });
}

/** `?version=`: a positive whole number, else undefined (the latest version). */
const versionSearch = (s: RawSearch): { version?: number | undefined } => {
  const v = Number(s.version);
  return { version: Number.isInteger(v) && v > 0 ? v : undefined };
};

const runsSearch = (s: RawSearch): RunsSearch => ({
  status: oneOf(s.status, RUN_STATUSES),
  target: str(s.target),
  model: str(s.model),
  datasetId: str(s.datasetId),
  tag: str(s.tag),
  q: str(s.q),
  since: day(s.since),
  until: day(s.until),
});

const runSearch = (s: RawSearch): RunSearch => ({
  status: oneOf(s.status, RESULT_STATUSES),
  q: str(s.q),
  sort: typeof s.sort === 'string' && SORT.test(s.sort) ? (s.sort as ResultSort) : undefined,
  notPassed: typeof s.notPassed === 'string' && SCORER.test(s.notPassed) ? s.notPassed : undefined,
  item: str(s.item),
  i: index(s.i),
});

const itemSearch = (s: RawSearch): { i?: number | undefined } => ({ i: index(s.i) });

const compareSearch = (s: RawSearch): CompareSearch => ({
  scorer: str(s.scorer),
  show: oneOf(s.show, ['regressed', 'improved', 'changed', 'all'] as const),
});

const routeTree = rootRoute.addChildren([
  indexRoute,
  pageRoute('/runs', RunsPage, runsSearch),
  pageRoute('/runs/$runId', RunPage, runSearch),
  pageRoute('/runs/$runId/items/$itemId', ItemPage, itemSearch),
  pageRoute('/compare/$a/$b', ComparePage, compareSearch),
  pageRoute('/experiments', ExperimentsPage),
  pageRoute('/experiments/$experimentId', ExperimentPage),
  pageRoute('/datasets', DatasetsPage),
  pageRoute('/datasets/$datasetId', DatasetPage, versionSearch),
  pageRoute('/workers', WorkersPage),
]);

/** The router of the app (browser history). */
export const router = createRouter({
  routeTree,
  context: { queryClient: undefined as unknown as QueryClient },
  defaultNotFoundComponent: NotFoundPage,
  scrollRestoration: true,
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
