/**
 * `runledger workers`: the live workers and each target's queue through the API, and a warning
 * for a target whose items wait with no live worker.
 */
import { hostname } from 'node:os';
import { createClient } from '@runledger/cli';
import { describe, expect, it } from 'vitest';
import { formatAge } from '../apps/cli/src/workers.js';
import { useCliServices } from './helpers/cli.js';

const { cli, apiUrl } = useCliServices('cli-workers', { env: { WORKER_CONCURRENCY: '7' } });

/** The rows of the table whose header starts with `first`, as cells split on 2+ spaces. */
function table(stdout: string, first: string): string[][] {
  const blocks = stdout.split('\n\n').map((b) => b.trimEnd().split('\n'));
  const block = blocks.find((lines) => lines[0]?.startsWith(first));
  if (!block) throw new Error(`no table ${first} in:\n${stdout}`);
  return block.map((line) => line.split(/ {2,}/));
}

describe('runledger workers', () => {
  it('lists the live worker and the queue of each target it serves', async () => {
    const { code, stdout, stderr } = await cli(['workers']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const workers = table(stdout, 'WORKER');
    expect(workers[0]).toEqual([
      'WORKER',
      'HOST',
      'PID',
      'TARGETS',
      'IN FLIGHT',
      'HEARTBEAT',
      'UP',
    ]);
    expect(workers).toHaveLength(2);
    const [id, host, pid, targets, inFlight, heartbeat] = workers[1]!;
    expect(id).toMatch(/\S+/);
    expect(host).toBe(hostname());
    expect(pid).toBe(String(process.pid));
    expect(targets!.split(',')).toEqual(expect.arrayContaining(['echo', 'http', 'openai']));
    expect(inFlight).toBe('0/7');
    expect(heartbeat).toMatch(/^\d+ s ago$/);
    const queues = table(stdout, 'TARGET');
    expect(queues[0]).toEqual([
      'TARGET',
      'WORKERS',
      'RUNS',
      'ITEMS TO RUN',
      'JOBS QUEUED',
      'JOBS ACTIVE',
      'ITEMS/S',
    ]);
    expect(queues.find((row) => row[0] === 'echo')).toEqual([
      'echo',
      '1',
      '0',
      '0',
      '0',
      '0',
      '0.0',
    ]);
    expect(stdout).not.toContain('no live worker');
  });

  it('warns about a target whose items wait with no live worker; --json gives both answers', async () => {
    const client = createClient({ baseUrl: apiUrl() });
    const run = await client.runs.create({
      target: { name: 'ghost' },
      dataset: { items: [{ input: 1 }, { input: 2 }, { input: 3 }] },
      execution: { waitForWorkers: true },
    });
    try {
      const { code, stdout } = await cli(['workers']);
      expect(code).toBe(0);
      // a 3-item run is 3 chunk jobs (chunkSizeFor spreads a small run over up to 64 jobs)
      expect(table(stdout, 'TARGET').find((row) => row[0] === 'ghost')).toEqual([
        'ghost',
        '0',
        '1',
        '3',
        '3',
        '0',
        '0.0',
      ]);
      expect(stdout.trimEnd().split('\n').at(-1)).toBe(
        'target ghost: 3 items of 1 run wait and no live worker serves it',
      );
      const json = JSON.parse((await cli(['workers', '--json'])).stdout) as {
        workers: { pid: number }[];
        queues: { queues: { target: string; pending: { items: number } }[] };
      };
      expect(json.workers.map((w) => w.pid)).toEqual([process.pid]);
      expect(json.queues.queues.find((q) => q.target === 'ghost')?.pending.items).toBe(3);
    } finally {
      await client.runs.cancel(run.id);
    }
  });
});

describe('formatAge', () => {
  it('says seconds, minutes, hours or days', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
    expect(formatAge(at(0), at(0))).toBe('0 s');
    expect(formatAge(at(0), at(119))).toBe('119 s');
    expect(formatAge(at(0), at(120))).toBe('2 min');
    expect(formatAge(at(0), at(7199))).toBe('120 min');
    expect(formatAge(at(0), at(7200))).toBe('2 h');
    expect(formatAge(at(0), at(3 * 86_400))).toBe('3 d');
    // a heartbeat stamped a little after the API's clock read: not negative
    expect(formatAge(at(5), at(0))).toBe('0 s');
    expect(formatAge('x', at(0))).toBe('-');
  });
});
