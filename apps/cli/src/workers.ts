/**
 * `runledger workers`: who executes items right now and what waits for them, through the API
 * (`GET /v1/workers` and `GET /v1/queues`, as the dashboard's Workers page): one row per live
 * worker, one row per target's queue, and a warning for a target whose items wait with no live
 * worker serving it.
 */
import type { QueueList, RunledgerClient, WorkerList } from '@runledger/client';
import type { Command } from 'commander';
import { formatJson, formatTable } from './format.js';

/** What the workers command needs from the CLI. */
export interface WorkersCommandOptions {
  client: () => RunledgerClient;
  out: (text: string) => void;
}

/** Seconds or minutes between two ISO times, for people: `4 s`, `12 min`, `3 h`, `2 d`. */
export function formatAge(fromIso: string, toIso: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (Number.isNaN(seconds)) return '-';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/**
 * The text of `runledger workers`: the live workers (id, host, pid, targets, items in flight of
 * its concurrency, last heartbeat and uptime, both measured at the API's `queues.at`), then each
 * target's queue (live workers, runs queued or running, their items without a result, chunk
 * jobs queued (waiting, prioritized or delayed) and held by a worker, items/s over the last one to
 * two minutes), then one line per target whose items wait with no live worker.
 */
export function formatWorkers(workers: WorkerList, queues: QueueList): string {
  const now = queues.at;
  const parts: string[] = [];
  if (workers.workers.length === 0) {
    parts.push(
      "no live workers: start one with `runledger worker` (on any machine whose REDIS_URL is this API's Redis)\n",
    );
  } else {
    parts.push(
      formatTable(
        ['WORKER', 'HOST', 'PID', 'TARGETS', 'IN FLIGHT', 'HEARTBEAT', 'UP'],
        workers.workers.map((w) => [
          w.id,
          w.host,
          String(w.pid),
          w.targets.map((t) => t.name).join(','),
          `${w.inFlight}/${w.concurrency}`,
          `${formatAge(w.heartbeatAt, now)} ago`,
          formatAge(w.startedAt, now),
        ]),
      ),
    );
  }
  if (queues.queues.length > 0) {
    parts.push(
      formatTable(
        ['TARGET', 'WORKERS', 'RUNS', 'ITEMS TO RUN', 'JOBS QUEUED', 'JOBS ACTIVE', 'ITEMS/S'],
        queues.queues.map((q) => [
          q.target,
          String(q.workers),
          String(q.pending.runs),
          String(q.pending.items),
          String(q.jobs.waiting + q.jobs.prioritized + q.jobs.delayed),
          String(q.jobs.active),
          q.throughput.itemsPerSecond.toFixed(1),
        ]),
      ),
    );
  }
  const unserved = queues.queues.filter((q) => q.workers === 0 && q.pending.items > 0);
  for (const q of unserved) {
    parts.push(
      `target ${q.target}: ${q.pending.items} item${q.pending.items === 1 ? '' : 's'} of ${q.pending.runs} run${q.pending.runs === 1 ? '' : 's'} wait and no live worker serves it\n`,
    );
  }
  return parts.join('\n');
}

/** Adds `runledger workers` to `program`. */
export function addWorkersCommand(program: Command, options: WorkersCommandOptions): void {
  program
    .command('workers')
    .description(
      "show the live workers (host, pid, targets, items in flight, heartbeat) and each target's queue (runs and items waiting, items/s)",
    )
    .option(
      '--json',
      'print {workers, queues} as JSON (the answers of GET /v1/workers and GET /v1/queues)',
    )
    .action(async (opts: { json?: boolean }) => {
      const api = options.client();
      const [workers, queues] = await Promise.all([api.workers.list(), api.workers.queues()]);
      options.out(
        opts.json
          ? formatJson({ workers: workers.workers, queues })
          : formatWorkers(workers, queues),
      );
    });
}
