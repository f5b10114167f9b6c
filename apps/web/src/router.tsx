/**
 * The dashboard's routes (TanStack Router, code-based): every page is a deep link that can be
 * shared and reloaded. Search params (filters) are validated here.
 */
import type { QueryClient } from '@tanstack/react-query';
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  redirect,
} from '@tanstack/react-router';
import type { ResultSort, ResultStatus, RunStatus } from './api';
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

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const day = (v: unknown): string | undefined =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
const oneOf = <T extends string>(v: unknown, allowed: readonly T[]): T | undefined =>
  allowed.includes(v as T) ? (v as T) : undefined;

/** Search params of /runs. */
export interface RunsSearch {
  status?: RunStatus | undefined;
  target?: string | undefined;
  datasetId?: string | undefined;
  tag?: string | undefined;
  /** Text in the run's name or id. */
  q?: string | undefined;
  /** Created on or after this day (YYYY-MM-DD, local time). */
  since?: string | undefined;
  /** Created on or before this day (YYYY-MM-DD, local time). */
  until?: string | undefined;
}

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

const runsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/runs',
  validateSearch: (s: Record<string, unknown>): RunsSearch => ({
    status: oneOf(s.status, RUN_STATUSES),
    target: str(s.target),
    datasetId: str(s.datasetId),
    tag: str(s.tag),
    q: str(s.q),
    since: day(s.since),
    until: day(s.until),
  }),
  component: RunsPage,
});

const runRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/runs/$runId',
  validateSearch: (s: Record<string, unknown>): RunSearch => ({
    status: oneOf(s.status, RESULT_STATUSES),
    q: str(s.q),
    sort: typeof s.sort === 'string' && SORT.test(s.sort) ? (s.sort as ResultSort) : undefined,
    notPassed:
      typeof s.notPassed === 'string' && SCORER.test(s.notPassed) ? s.notPassed : undefined,
    item: str(s.item),
    i: index(s.i),
  }),
  component: RunPage,
});

const itemRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/runs/$runId/items/$itemId',
  validateSearch: (s: Record<string, unknown>): { i?: number | undefined } => ({ i: index(s.i) }),
  component: ItemPage,
});

const compareRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/compare/$a/$b',
  validateSearch: (s: Record<string, unknown>): CompareSearch => ({
    scorer: str(s.scorer),
    show: oneOf(s.show, ['regressed', 'improved', 'changed', 'all'] as const),
  }),
  component: ComparePage,
});

const experimentsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/experiments',
  component: ExperimentsPage,
});

const experimentRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/experiments/$experimentId',
  component: ExperimentPage,
});

const datasetsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/datasets',
  component: DatasetsPage,
});

const datasetRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/datasets/$datasetId',
  validateSearch: (s: Record<string, unknown>): { version?: number | undefined } => {
    const v = Number(s.version);
    return { version: Number.isInteger(v) && v > 0 ? v : undefined };
  },
  component: DatasetPage,
});

const workersRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/workers',
  component: WorkersPage,
});

const routeTree = rootRoute.addChildren([
  indexRoute,
  runsRoute,
  runRoute,
  itemRoute,
  compareRoute,
  experimentsRoute,
  experimentRoute,
  datasetsRoute,
  datasetRoute,
  workersRoute,
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
