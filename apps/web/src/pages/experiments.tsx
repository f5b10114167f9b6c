/**
 * /experiments and /experiments/:id: experiments newest first; one experiment's variants x
 * trials as the API reports them (every trial's run linked, never collapsed), with pass rate and
 * Wilson interval, pass@k, cost and latency per variant, and links to pairwise compares.
 */
import { differenceLines } from '@runledger/client';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import {
  type ExperimentListEntry,
  type ExperimentSummary,
  getExperiment,
  listExperiments,
} from '../api';
import { Command, Cost, QueryView, StatusBadge, useTitle } from '../components/common';
import { type Column, DataTable } from '../components/data-table';
import { ListPage } from '../components/list-page';
import { fmtAgo, fmtInt, fmtMs, fmtPct, fmtVersion } from '../format';

/** An experiment's dataset: `<id> <version>`, or `inline` (items given inline). */
const datasetOf = (e: ExperimentListEntry | ExperimentSummary, inline: string) =>
  e.datasetId
    ? `${e.datasetId}${e.datasetVersion ? ` ${fmtVersion(e.datasetVersion)}` : ''}`
    : inline;

const EXPERIMENT_COLUMNS: Column<ExperimentListEntry>[] = [
  {
    head: 'Name',
    cell: (e) => (
      <>
        <Link to="/experiments/$experimentId" params={{ experimentId: e.id }}>
          {e.name}
        </Link>
        <div className="muted mono small">{e.id}</div>
      </>
    ),
  },
  { head: 'Dataset', cell: (e) => datasetOf(e, 'inline') },
  { head: 'Variants', cell: (e) => e.variants.map((v) => v.name).join(', ') },
  { head: 'Trials', cell: (e) => e.trials },
  { head: 'Created', cell: (e) => fmtAgo(e.createdAt) },
];

/** The experiments list. */
export function ExperimentsPage() {
  return (
    <ListPage
      title="Experiments"
      fetchPage={listExperiments}
      field="experiments"
      columns={EXPERIMENT_COLUMNS}
    >
      <p>No experiments yet. Run one dataset against several target variants:</p>
      <Command>runledger experiment experiment.yaml --watch</Command>
      <p>
        or <Command>npm run demo:experiment</Command>
      </p>
    </ListPage>
  );
}

/** One experiment. */
export function ExperimentPage() {
  const { experimentId } = useParams({ from: '/experiments/$experimentId' });
  useTitle(`Experiment ${experimentId}`);
  const query = useQuery({
    queryKey: ['experiment', experimentId],
    queryFn: () => getExperiment(experimentId),
    refetchInterval: (q) => (q.state.data?.status === 'running' ? 2000 : false),
  });
  return (
    <QueryView query={query} what={`Experiment ${experimentId}`}>
      {(e) => <ExperimentView e={e} />}
    </QueryView>
  );
}

type Variant = ExperimentSummary['variants'][number];

/**
 * The columns of the variants table of `e`: a pass-rate column per scorer, pass@k when it has
 * several trials, and each trial's run (linked to its compare with the baseline, the first variant).
 */
function variantColumns(e: ExperimentSummary): Column<Variant>[] {
  const baseline = e.variants[0];
  return [
    {
      head: 'Variant',
      cell: (v) => (
        <>
          <strong>{v.name}</strong>
          <div className="muted small">{v.target.name}</div>
          {differenceLines(v.differences).map(([path, shown, full]) => (
            <div key={path} className="muted small mono variant-difference" title={full}>
              {path} {shown}
            </div>
          ))}
        </>
      ),
    },
    { head: 'Status', cell: (v) => <StatusBadge status={v.status} /> },
    {
      head: 'Items',
      cell: (v) => (
        <>
          {fmtInt(v.completedItems)} / {fmtInt(v.totalItems)}
        </>
      ),
    },
    ...e.scorers.map(
      (s): Column<Variant> => ({
        head: `${s}: pass rate (95% CI)`,
        cell: (v) => {
          const sc = v.scores[s];
          return sc ? (
            <>
              {fmtPct(sc.passRate)}{' '}
              <span className="muted small">
                ({fmtPct(sc.ci95?.[0])} – {fmtPct(sc.ci95?.[1])}) n={fmtInt(sc.n)}
              </span>
            </>
          ) : (
            '–'
          );
        },
      }),
    ),
    ...(e.trials > 1
      ? [
          {
            head: 'pass@k / pass^k',
            cell: (v: Variant) =>
              e.scorers
                .map((s) => `${fmtPct(v.scores[s]?.passAtK)} / ${fmtPct(v.scores[s]?.passHatK)}`)
                .join(' · '),
          },
        ]
      : []),
    {
      head: 'p50 / p99',
      cell: (v) => (
        <>
          {fmtMs(v.latencyMs.p50)} / {fmtMs(v.latencyMs.p99)}
        </>
      ),
    },
    { head: 'Cost', cell: (v) => <Cost of={v} compact /> },
    { head: 'Errors', cell: (v) => v.errors.count },
    {
      head: 'Runs (by trial)',
      cell: (v) => (
        <span className="run-list">
          {v.runIds.map((id, t) => (
            <span key={id}>
              <Link to="/runs/$runId" params={{ runId: id }} search={{}}>
                trial {t}
              </Link>
              {baseline && baseline !== v && baseline.runIds[t] && (
                <>
                  {' '}
                  (
                  <Link
                    to="/compare/$a/$b"
                    params={{ a: baseline.runIds[t] ?? '', b: id }}
                    search={{}}
                  >
                    vs {baseline.name}
                  </Link>
                  )
                </>
              )}
            </span>
          ))}
        </span>
      ),
    },
  ];
}

/** An experiment's head line and its variants x trials. */
function ExperimentView({ e }: { e: ExperimentSummary }) {
  return (
    <section>
      <div className="page-head">
        <h1>
          {e.name} <StatusBadge status={e.status} />
        </h1>
        <span className="muted mono small">{e.id}</span>
      </div>
      <p className="muted">
        {e.variants.length} variants × {e.trials} trial{e.trials === 1 ? '' : 's'} over{' '}
        {datasetOf(e, 'inline items')}
        {e.missingRunIds.length > 0
          ? ` · ${e.missingRunIds.length} runs expired or deleted (not counted)`
          : ''}
      </p>
      <div className="table-wrap">
        <DataTable
          label="variants"
          columns={variantColumns(e)}
          rows={e.variants}
          rowKey={(v) => v.name}
        />
      </div>
    </section>
  );
}
