/**
 * Spawns a private 3-master Redis Cluster on free loopback ports, for tests: three
 * `redis-server --cluster-enabled yes` joined by `redis-cli --cluster create` (no replicas).
 * Data (and each node's `nodes-<port>.conf`) lives in a temp dir removed by `destroy()`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, waitForRedis } from './redis-server.js';

const run = promisify(execFile);

/** A running private Redis Cluster. */
export interface RedisCluster {
  /** `redis://127.0.0.1:<port>` of each node (all masters), in port order of creation. */
  urls: string[];
  ports: number[];
  dir: string;
  /** Kills every node (SIGTERM, then SIGKILL after 5 s) and removes the data dir. */
  destroy(): Promise<void>;
}

/**
 * Starts `nodes` cluster-enabled `redis-server`s, creates the cluster with `redis-cli` and waits
 * until every node reports `cluster_state:ok`.
 * @throws Error when a node does not answer, the cluster cannot be created or is not ok within
 *   `timeoutMs` (the started servers are killed first).
 */
export async function startRedisCluster(nodes = 3, timeoutMs = 20_000): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'runledger-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const destroy = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(hard);
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < nodes; i++) {
      let port = await freePort();
      // the cluster bus listens on port + 10000: it must be free too, and below 65536
      while (port + 10_000 > 65_535 || ports.includes(port)) port = await freePort();
      ports.push(port);
      // biome-ignore format: one flag per line reads better as pairs
      const args = [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no',
        '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'warning',
      ];
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    const urls = ports.map((p) => `redis://127.0.0.1:${p}`);
    await Promise.all(urls.map((url) => waitForRedis(url)));
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: timeoutMs },
    );
    await waitForClusterOk(urls, timeoutMs);
    return { urls, ports, dir, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** Polls `CLUSTER INFO` on every node until all say `cluster_state:ok` and know every node. */
async function waitForClusterOk(urls: string[], timeoutMs: number): Promise<void> {
  const clients = urls.map((url) => new Redis(url, { maxRetriesPerRequest: 1 }));
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const infos = await Promise.all(clients.map((c) => c.cluster('INFO') as Promise<string>));
      const ok = infos.every(
        (info) =>
          info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${urls.length}`),
      );
      if (ok) return;
      if (Date.now() > deadline) {
        throw new Error(`cluster not ok within ${timeoutMs} ms:\n${infos.join('\n---\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}
