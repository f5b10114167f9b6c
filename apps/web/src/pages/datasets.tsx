/**
 * /datasets and /datasets/:id: stored datasets with their versions (item counts, content
 * hashes), a paginated preview of a version's items, and the runs over the dataset.
 */
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import {
  type Dataset,
  type DatasetItem,
  type DatasetItemList,
  type DatasetListEntry,
  getDataset,
  listDatasetItems,
  listDatasets,
  listRuns,
  type Run,
  type RunPage,
} from '../api';
import {
  Command,
  LoadMore,
  type QueryLike,
  QueryView,
  StatusBadge,
  useCursorList,
  useTitle,
} from '../components/common';
import { type Column, DataTable } from '../components/data-table';
import { ListPage } from '../components/list-page';
import { fmtAgo, fmtInt, fmtPct, fmtTime, preview } from '../format';

const DATASET_COLUMNS: Column<DatasetListEntry>[] = [
  {
    head: 'Dataset',
    cell: (d) => (
      <>
        <Link to="/datasets/$datasetId" params={{ datasetId: d.id }} search={{}}>
          {d.name}
        </Link>
        <div className="muted mono small">{d.id}</div>
      </>
    ),
  },
  { head: 'Latest version', cell: (d) => `v${d.latestVersion}` },
  {
    head: 'Items (latest)',
    cell: (d) => fmtInt(d.versions.find((v) => v.version === d.latestVersion)?.itemCount),
  },
  { head: 'Updated', cell: (d) => fmtAgo(d.updatedAt) },
];

/** The datasets list. */
export function DatasetsPage() {
  return (
    <ListPage title="Datasets" fetchPage={listDatasets} field="datasets" columns={DATASET_COLUMNS}>
      <p>No stored datasets yet. Upload one (it gets versions and content hashes):</p>
      <Command>runledger datasets push qa.jsonl --id qa</Command>
    </ListPage>
  );
}

const ITEM_COLUMNS: Column<DatasetItem>[] = [
  { head: '#', cell: (it) => it.index, td: () => ({ className: 'muted' }) },
  { head: 'Id', cell: (it) => it.id, td: () => ({ className: 'mono' }) },
  { head: 'Input', cell: (it) => <span className="clip">{preview(it.input, 200)}</span> },
  {
    head: 'Expected',
    cell: (it) => <span className="clip">{preview(it.expectedOutput, 120)}</span>,
  },
];

const RUN_COLUMNS: Column<Run>[] = [
  {
    head: 'Run',
    cell: (r) => (
      <Link to="/runs/$runId" params={{ runId: r.id }} search={{}}>
        {r.name ?? r.id}
      </Link>
    ),
  },
  { head: 'Status', cell: (r) => <StatusBadge status={r.status} /> },
  { head: 'Version', cell: (r) => r.datasetVersion ?? '–' },
  { head: 'Target', cell: (r) => r.target.name },
  {
    head: 'Pass rate',
    cell: (r) =>
      Object.entries(r.scores)
        .map(([n, s]) => `${n} ${fmtPct(s.passRate)}`)
        .join(' · ') || '–',
  },
  { head: 'Created', cell: (r) => fmtAgo(r.createdAt) },
];

/** One dataset. */
export function DatasetPage() {
  const { datasetId } = useParams({ from: '/datasets/$datasetId' });
  useTitle(`Dataset ${datasetId}`);
  const search = useSearch({ from: '/datasets/$datasetId' });
  const dataset = useQuery({
    queryKey: ['dataset', datasetId],
    queryFn: () => getDataset(datasetId),
  });
  // the items (of the version asked for, else the latest once known) and the runs are read
  // beside the dataset, not after it
  const version = search.version ?? dataset.data?.latestVersion;
  const items = useCursorList(
    ['dataset-items', datasetId, version],
    (cursor: string | null) => listDatasetItems(datasetId, version ?? 1, cursor),
    'items',
    { enabled: version !== undefined },
  );
  const runs = useQuery({
    // its own key under 'runs' (run.tsx refreshes ['runs']): the runs page's paged list of
    // `/runs?datasetId=` has the key ['runs', { datasetId }] and another shape
    queryKey: ['runs', 'of-dataset', datasetId],
    queryFn: () => listRuns({ datasetId }, null, 50),
  });
  return (
    <QueryView query={dataset} what={`Dataset ${datasetId}`}>
      {(d) => (
        <DatasetView dataset={d} version={version ?? d.latestVersion} items={items} runs={runs} />
      )}
    </QueryView>
  );
}

/**
 * A dataset's versions, the items of `version` a page at a time (`items`), and the runs over it
 * (`runs`: the query of its first 50).
 */
function DatasetView({
  dataset: d,
  version,
  items,
  runs,
}: {
  dataset: Dataset;
  version: number;
  items: ReturnType<typeof useCursorList<DatasetItemList, 'items'>>;
  runs: QueryLike<RunPage>;
}) {
  const navigate = useNavigate({ from: '/datasets/$datasetId' });
  const versionColumns: Column<Dataset['versions'][number]>[] = [
    {
      head: 'Version',
      cell: (v) => (
        <button
          type="button"
          className="link"
          onClick={() => navigate({ search: { version: v.version } })}
        >
          v{v.version}
        </button>
      ),
    },
    { head: 'Items', cell: (v) => fmtInt(v.itemCount) },
    { head: 'Content hash', cell: (v) => v.contentHash, td: () => ({ className: 'mono small' }) },
    { head: 'Created', cell: (v) => fmtTime(v.createdAt) },
  ];
  return (
    <section>
      <div className="page-head">
        <h1>{d.name}</h1>
        <span className="muted mono small">{d.id}</span>
      </div>
      <h2>Versions</h2>
      <DataTable
        label="versions"
        compact
        columns={versionColumns}
        rows={d.versions}
        rowKey={(v) => v.version}
        tr={(v) => ({ className: v.version === version ? 'row-current' : '' })}
      />
      <h2>Items of v{version}</h2>
      <QueryView query={items.query}>
        {() => (
          <DataTable
            label="items"
            columns={ITEM_COLUMNS}
            rows={items.rows}
            rowKey={(it) => it.index}
          />
        )}
      </QueryView>
      <LoadMore query={items.query}>More items</LoadMore>
      <h2>Runs over this dataset</h2>
      <QueryView
        query={runs}
        isEmpty={(page) => page.runs.length === 0}
        empty={
          <>
            <p>No run over this dataset yet:</p>
            <Command>{`runledger submit --dataset ${d.id} --target my-model`}</Command>
          </>
        }
      >
        {(page) => (
          <DataTable label="dataset runs" compact columns={RUN_COLUMNS} rows={page.runs} />
        )}
      </QueryView>
    </section>
  );
}
