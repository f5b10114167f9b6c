/**
 * /workers: live workers from their heartbeats (targets, concurrency, in flight, heartbeat age),
 * refreshed every 2 s; below, per target, the queue depth (items still to run, chunk jobs by
 * state) and throughput (items/s per minute over the last 15 minutes, a uPlot chart) from
 * `GET /v1/queues`, refreshed every 5 s.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { listQueues, listWorkers, type QueueStats, type WorkerInfo } from '../api';
import { Command, Empty, QueryView, useTitle } from '../components/common';
import { type Column, DataTable } from '../components/data-table';
import { ThroughputChart } from '../components/throughput-chart';
import { fmtAgo, fmtDuration } from '../format';

/** The workers page. */
export function WorkersPage() {
  useTitle('Workers');
  const query = useQuery({ queryKey: ['workers'], queryFn: listWorkers, refetchInterval: 2000 });
  return (
    <QueryView query={query}>
      {(data) => (
        <>
          <WorkerTable workers={data.workers} />
          <Queues />
        </>
      )}
    </QueryView>
  );
}

const QUEUE_COLUMNS: Column<QueueStats>[] = [
  { head: 'Target', cell: (q) => q.target },
  {
    head: 'Workers',
    cell: (q) => q.workers,
    td: (q) => ({ className: q.workers === 0 && q.pending.items > 0 ? 'bad' : undefined }),
  },
  {
    head: 'Items to run',
    cell: (q) => q.pending.items.toLocaleString('en-US'),
    td: (q) => ({ 'data-testid': `queue-items-${q.target}` }),
  },
  { head: 'Active runs', cell: (q) => q.pending.runs },
  {
    head: 'Chunk jobs queued / active / delayed',
    cell: (q) => `${q.jobs.waiting + q.jobs.prioritized} / ${q.jobs.active} / ${q.jobs.delayed}`,
    td: (q) => ({ 'data-testid': `queue-jobs-${q.target}` }),
  },
  {
    head: 'Items/s (2 min)',
    title: 'Items recorded in the current and previous minute, per second',
    cell: (q) => Number(q.throughput.itemsPerSecond.toFixed(1)).toLocaleString('en-US'),
    td: (q) => ({ 'data-testid': `queue-rate-${q.target}` }),
  },
];

/** Queue depth and throughput per target. */
function Queues() {
  const query = useQuery({
    queryKey: ['queues'],
    queryFn: () => listQueues(15),
    refetchInterval: 5000,
  });
  // one array per answer, not per render: the chart rebuilds its series only when this changes
  const lines = useMemo(() => charted(query.data?.queues ?? []), [query.data]);
  return (
    <QueryView query={query} loading="Loading queues" what="queues">
      {({ queues, at, bucketMs }) => (
        <section>
          <h2>Queues</h2>
          {queues.length === 0 ? (
            <Empty>
              <p>No target has a queue yet. Submit a run:</p>
              <Command>runledger submit items.jsonl --target echo</Command>
            </Empty>
          ) : (
            <>
              <DataTable
                label="queues"
                columns={QUEUE_COLUMNS}
                rows={queues}
                rowKey={(q) => q.target}
              />
              <ThroughputChart queues={lines} at={at} bucketMs={bucketMs} />
            </>
          )}
        </section>
      )}
    </QueryView>
  );
}

/** The targets worth a line: with items to run or recorded in the window (else all of them). */
function charted(queues: QueueStats[]): QueueStats[] {
  const busy = queues.filter(
    (q) => q.pending.items > 0 || q.throughput.buckets.some((b) => b.items > 0),
  );
  return busy.length > 0 ? busy : queues;
}

const WORKER_COLUMNS: Column<WorkerInfo>[] = [
  { head: 'Worker', cell: (w) => w.id, td: () => ({ className: 'mono small' }) },
  {
    head: 'Host / pid',
    cell: (w) => (
      <>
        {w.host} / {w.pid}
      </>
    ),
  },
  { head: 'Targets', cell: (w) => w.targets.map((t) => t.name).join(', ') },
  {
    head: 'Scorers',
    cell: (w) => w.scorers.map((s) => s.name).join(', '),
    td: () => ({ className: 'small' }),
  },
  {
    head: 'In flight / concurrency',
    cell: (w) => (
      <>
        {w.inFlight} / {w.concurrency}
      </>
    ),
  },
  { head: 'Up', cell: (w) => fmtDuration(w.startedAt, null) },
  { head: 'Heartbeat', cell: (w) => fmtAgo(w.heartbeatAt) },
];

/** Live workers, or how to start one. */
function WorkerTable({ workers }: { workers: WorkerInfo[] }) {
  const inFlight = workers.reduce((s, w) => s + w.inFlight, 0);
  const capacity = workers.reduce((s, w) => s + w.concurrency, 0);
  return (
    <section>
      <h1>Workers</h1>
      {workers.length === 0 ? (
        <Empty>
          <p>No live worker. Start one (it executes the queued items of its targets):</p>
          <Command>runledger worker</Command>
        </Empty>
      ) : (
        <>
          <p className="muted">
            {workers.length} live worker{workers.length === 1 ? '' : 's'} · {inFlight} / {capacity}{' '}
            slots in use
          </p>
          <DataTable label="workers" columns={WORKER_COLUMNS} rows={workers} />
        </>
      )}
    </section>
  );
}
