/**
 * /datasets and /datasets/:id: stored datasets with their versions (item counts, content
 * hashes), a paginated preview of a version's items, and the runs over the dataset.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { getDataset, listDatasetItems, listDatasets, listRuns } from '../api';
import { Command, Empty, ErrorBox, Loading, StatusBadge, useTitle } from '../components/common';
import { fmtAgo, fmtInt, fmtPct, fmtTime, preview } from '../format';

/** The datasets list. */
export function DatasetsPage() {
  useTitle('Datasets');
  const query = useInfiniteQuery({
    queryKey: ['datasets'],
    queryFn: ({ pageParam }) => listDatasets(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
  });
  const datasets = query.data?.pages.flatMap((p) => p.datasets) ?? [];
  return (
    <section>
      <h1>Datasets</h1>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorBox error={query.error} />
      ) : datasets.length === 0 ? (
        <Empty>
          <p>No stored datasets yet. Upload one (it gets versions and content hashes):</p>
          <Command>runledger datasets push qa.jsonl --id qa</Command>
        </Empty>
      ) : (
        <table className="table" aria-label="datasets">
          <thead>
            <tr>
              <th>Dataset</th>
              <th>Latest version</th>
              <th>Items (latest)</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to="/datasets/$datasetId" params={{ datasetId: d.id }} search={{}}>
                    {d.name}
                  </Link>
                  <div className="muted mono small">{d.id}</div>
                </td>
                <td>v{d.latestVersion}</td>
                <td>{fmtInt(d.versions.find((v) => v.version === d.latestVersion)?.itemCount)}</td>
                <td>{fmtAgo(d.updatedAt)}</td>
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

/** One dataset. */
export function DatasetPage() {
  const { datasetId } = useParams({ from: '/datasets/$datasetId' });
  useTitle(`Dataset ${datasetId}`);
  const search = useSearch({ from: '/datasets/$datasetId' });
  const navigate = useNavigate({ from: '/datasets/$datasetId' });
  const dataset = useQuery({
    queryKey: ['dataset', datasetId],
    queryFn: () => getDataset(datasetId),
  });
  const version = search.version ?? dataset.data?.latestVersion;
  const items = useInfiniteQuery({
    queryKey: ['dataset-items', datasetId, version],
    queryFn: ({ pageParam }) => listDatasetItems(datasetId, version ?? 1, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
    enabled: version !== undefined,
  });
  const runs = useQuery({
    queryKey: ['runs', { datasetId }],
    queryFn: () => listRuns({ datasetId }, null, 50),
  });

  if (dataset.isPending) return <Loading />;
  if (dataset.isError) return <ErrorBox error={dataset.error} what={`Dataset ${datasetId}`} />;
  const d = dataset.data;
  const rows = items.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section>
      <div className="page-head">
        <h1>{d.name}</h1>
        <span className="muted mono small">{d.id}</span>
      </div>
      <h2>Versions</h2>
      <table className="table compact" aria-label="versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Items</th>
            <th>Content hash</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {d.versions.map((v) => (
            <tr key={v.version} className={v.version === version ? 'row-current' : ''}>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() => navigate({ search: { version: v.version } })}
                >
                  v{v.version}
                </button>
              </td>
              <td>{fmtInt(v.itemCount)}</td>
              <td className="mono small">{v.contentHash}</td>
              <td>{fmtTime(v.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Items of v{version}</h2>
      {items.isPending ? (
        <Loading />
      ) : items.isError ? (
        <ErrorBox error={items.error} />
      ) : (
        <table className="table" aria-label="items">
          <thead>
            <tr>
              <th>#</th>
              <th>Id</th>
              <th>Input</th>
              <th>Expected</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((it) => (
              <tr key={it.index}>
                <td className="muted">{it.index}</td>
                <td className="mono">{it.id}</td>
                <td>
                  <span className="clip">{preview(it.input, 200)}</span>
                </td>
                <td>
                  <span className="clip">{preview(it.expectedOutput, 120)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items.hasNextPage && (
        <button type="button" onClick={() => items.fetchNextPage()}>
          More items
        </button>
      )}
      <h2>Runs over this dataset</h2>
      {runs.isPending ? (
        <Loading />
      ) : runs.isError ? (
        <ErrorBox error={runs.error} />
      ) : runs.data.runs.length === 0 ? (
        <Empty>
          <p>No run over this dataset yet:</p>
          <Command>{`runledger submit --dataset ${d.id} --target my-model`}</Command>
        </Empty>
      ) : (
        <table className="table compact" aria-label="dataset runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Status</th>
              <th>Version</th>
              <th>Target</th>
              <th>Pass rate</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to="/runs/$runId" params={{ runId: r.id }} search={{}}>
                    {r.name ?? r.id}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>{r.datasetVersion ?? '–'}</td>
                <td>{r.target.name}</td>
                <td>
                  {Object.entries(r.scores)
                    .map(([n, s]) => `${n} ${fmtPct(s.passRate)}`)
                    .join(' · ') || '–'}
                </td>
                <td>{fmtAgo(r.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
