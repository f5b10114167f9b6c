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
import type { ResultStatus, RunStatus } from './api';
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
  /** Created on or after this day (YYYY-MM-DD, local time). */
  since?: string | undefined;
  /** Created on or before this day (YYYY-MM-DD, local time). */
  until?: string | undefined;
}

/** Search params of /runs/:id. */
export interface RunSearch {
  status?: ResultStatus | undefined;
}

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
  }),
  component: RunPage,
});

const itemRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/runs/$runId/items/$itemId',
  validateSearch: (s: Record<string, unknown>): { i?: number | undefined } => {
    const i = Number(s.i);
    return { i: Number.isInteger(i) && i >= 0 ? i : undefined };
  },
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
