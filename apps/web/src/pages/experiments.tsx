/**
 * /experiments and /experiments/:id: experiments newest first; one experiment's variants x
 * trials as the API reports them (every trial's run linked, never collapsed), with pass rate and
 * Wilson interval, pass@k, cost and latency per variant, and links to pairwise compares.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { getExperiment, listExperiments } from '../api';
import { Command, Empty, ErrorBox, Loading, StatusBadge, useTitle } from '../components/common';
import { fmtAgo, fmtInt, fmtMs, fmtPct, fmtUsd, fmtVersion } from '../format';

/** The experiments list. */
export function ExperimentsPage() {
  useTitle('Experiments');
  const query = useInfiniteQuery({
    queryKey: ['experiments'],
    queryFn: ({ pageParam }) => listExperiments(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
  });
  const experiments = query.data?.pages.flatMap((p) => p.experiments) ?? [];
  return (
    <section>
      <h1>Experiments</h1>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorBox error={query.error} />
      ) : experiments.length === 0 ? (
        <Empty>
          <p>No experiments yet. Run one dataset against several target variants:</p>
          <Command>runledger experiment experiment.yaml --watch</Command>
          <p>
            or <Command>npm run demo:experiment</Command>
          </p>
        </Empty>
      ) : (
        <table className="table" aria-label="experiments">
          <thead>
            <tr>
              <th>Name</th>
              <th>Dataset</th>
              <th>Variants</th>
              <th>Trials</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {experiments.map((e) => (
              <tr key={e.id}>
                <td>
                  <Link to="/experiments/$experimentId" params={{ experimentId: e.id }}>
                    {e.name}
                  </Link>
                  <div className="muted mono small">{e.id}</div>
                </td>
                <td>
                  {e.datasetId
                    ? `${e.datasetId}${e.datasetVersion ? ` ${fmtVersion(e.datasetVersion)}` : ''}`
                    : 'inline'}
                </td>
                <td>{e.variants.map((v) => v.name).join(', ')}</td>
                <td>{e.trials}</td>
                <td>{fmtAgo(e.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {query.hasNextPage && (
        <button type="button" onClick={() => query.fetchNextPage()}>
          Load more
        </button>
      )}
    </section>
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
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorBox error={query.error} what={`Experiment ${experimentId}`} />;
  const e = query.data;
  const baseline = e.variants[0];
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
        {e.datasetId
          ? `${e.datasetId}${e.datasetVersion ? ` ${fmtVersion(e.datasetVersion)}` : ''}`
          : 'inline items'}
        {e.missingRunIds.length > 0
          ? ` · ${e.missingRunIds.length} runs expired or deleted (not counted)`
          : ''}
      </p>
      <div className="table-wrap">
        <table className="table" aria-label="variants">
          <thead>
            <tr>
              <th>Variant</th>
              <th>Status</th>
              <th>Items</th>
              {e.scorers.map((s) => (
                <th key={s}>{s}: pass rate (95% CI)</th>
              ))}
              {e.trials > 1 && <th>pass@k / pass^k</th>}
              <th>p50 / p99</th>
              <th>Cost</th>
              <th>Errors</th>
              <th>Runs (by trial)</th>
            </tr>
          </thead>
          <tbody>
            {e.variants.map((v) => (
              <tr key={v.name}>
                <td>
                  <strong>{v.name}</strong>
                  <div className="muted small">{v.target.name}</div>
                </td>
                <td>
                  <StatusBadge status={v.status} />
                </td>
                <td>
                  {fmtInt(v.completedItems)} / {fmtInt(v.totalItems)}
                </td>
                {e.scorers.map((s) => {
                  const sc = v.scores[s];
                  return (
                    <td key={s}>
                      {sc ? (
                        <>
                          {fmtPct(sc.passRate)}{' '}
                          <span className="muted small">
                            ({fmtPct(sc.ci95?.[0])} – {fmtPct(sc.ci95?.[1])}) n={fmtInt(sc.n)}
                          </span>
                        </>
                      ) : (
                        '–'
                      )}
                    </td>
                  );
                })}
                {e.trials > 1 && (
                  <td>
                    {e.scorers
                      .map(
                        (s) => `${fmtPct(v.scores[s]?.passAtK)} / ${fmtPct(v.scores[s]?.passHatK)}`,
                      )
                      .join(' · ')}
                  </td>
                )}
                <td>
                  {fmtMs(v.latencyMs.p50)} / {fmtMs(v.latencyMs.p99)}
                </td>
                <td>{fmtUsd(v.costUsd)}</td>
                <td>{v.errors.count}</td>
                <td>
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
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
