/**
 * /workers: live workers from their heartbeats (targets, concurrency, in flight, heartbeat age),
 * refreshed every 2 s.
 */
import { useQuery } from '@tanstack/react-query';
import { listWorkers } from '../api';
import { Command, Empty, ErrorBox, Loading, useTitle } from '../components/common';
import { fmtAgo, fmtDuration } from '../format';

/** The workers page. */
export function WorkersPage() {
  useTitle('Workers');
  const query = useQuery({ queryKey: ['workers'], queryFn: listWorkers, refetchInterval: 2000 });
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorBox error={query.error} />;
  const workers = query.data.workers;
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
