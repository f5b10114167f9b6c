/**
 * /workers: live workers from their heartbeats (targets, concurrency, in flight, heartbeat age),
 * refreshed every 2 s; below, per target, the queue depth (items still to run, chunk jobs by
 * state) and throughput (items/s per minute over the last 15 minutes, a uPlot chart) from
 * `GET /v1/queues`, refreshed every 5 s.
 */
import { useQuery } from '@tanstack/react-query';
import { listQueues, listWorkers, type QueueStats, type WorkerInfo } from '../api';
import { Command, Empty, ErrorBox, Loading, useTitle } from '../components/common';
import { ThroughputChart } from '../components/throughput-chart';
import { fmtAgo, fmtDuration } from '../format';

/** The workers page. */
export function WorkersPage() {
  useTitle('Workers');
  const query = useQuery({ queryKey: ['workers'], queryFn: listWorkers, refetchInterval: 2000 });
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorBox error={query.error} />;
  return (
    <>
      <WorkerTable workers={query.data.workers} />
      <Queues />
    </>
  );
}

/** Queue depth and throughput per target. */
function Queues() {
  const query = useQuery({
    queryKey: ['queues'],
    queryFn: () => listQueues(15),
    refetchInterval: 5000,
  });
  if (query.isPending) return <Loading what="Loading queues" />;
  if (query.isError) return <ErrorBox error={query.error} what="queues" />;
  const { queues, at, bucketMs } = query.data;
  return (
    <section>
      <h2>Queues</h2>
      {queues.length === 0 ? (
        <Empty>
          <p>No target has a queue yet. Submit a run:</p>
          <Command>runledger submit items.jsonl --target echo</Command>
        </Empty>
      ) : (
        <>
          <table className="table" aria-label="queues">
            <thead>
              <tr>
                <th>Target</th>
                <th>Workers</th>
                <th>Items to run</th>
                <th>Active runs</th>
                <th>Chunk jobs queued / active / delayed</th>
                <th title="Items recorded in the current and previous minute, per second">
                  Items/s
                </th>
              </tr>
            </thead>
            <tbody>
              {queues.map((q) => (
                <tr key={q.target}>
                  <td>{q.target}</td>
                  <td className={q.workers === 0 && q.pending.items > 0 ? 'bad' : undefined}>
                    {q.workers}
                  </td>
                  <td data-testid={`queue-items-${q.target}`}>
                    {q.pending.items.toLocaleString('en-US')}
                  </td>
                  <td>{q.pending.runs}</td>
                  <td data-testid={`queue-jobs-${q.target}`}>
                    {q.jobs.waiting + q.jobs.prioritized} / {q.jobs.active} / {q.jobs.delayed}
                  </td>
                  <td data-testid={`queue-rate-${q.target}`}>
                    {Number(q.throughput.itemsPerSecond.toFixed(1)).toLocaleString('en-US')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <ThroughputChart queues={charted(queues)} at={at} bucketMs={bucketMs} />
        </>
      )}
    </section>
  );
}

/** The targets worth a line: with items to run or recorded in the window (else all of them). */
function charted(queues: QueueStats[]): QueueStats[] {
  const busy = queues.filter(
    (q) => q.pending.items > 0 || q.throughput.buckets.some((b) => b.items > 0),
  );
  return busy.length > 0 ? busy : queues;
}

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
          <table className="table" aria-label="workers">
            <thead>
              <tr>
                <th>Worker</th>
                <th>Host / pid</th>
                <th>Targets</th>
                <th>Scorers</th>
                <th>In flight / concurrency</th>
                <th>Up</th>
                <th>Heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <tr key={w.id}>
                  <td className="mono small">{w.id}</td>
                  <td>
                    {w.host} / {w.pid}
                  </td>
                  <td>{w.targets.map((t) => t.name).join(', ')}</td>
                  <td className="small">{w.scorers.map((s) => s.name).join(', ')}</td>
                  <td>
                    {w.inFlight} / {w.concurrency}
                  </td>
                  <td>{fmtDuration(w.startedAt, null)}</td>
                  <td>{fmtAgo(w.heartbeatAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
