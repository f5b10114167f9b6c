/**
 * A local Redis Sentinel group for tests: one master, `replicas` replicas and three sentinels
 * (`redis-server --sentinel`), all on free loopback ports, master group `mymaster`, quorum 2,
 * `down-after-milliseconds` 1000 (a SIGKILLed master is failed over in a few seconds).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, probeRedis, redisServerArgs, waitForRedis } from './redis-server.js';

/** Master group name of the test sentinels. */
export const SENTINEL_NAME = 'mymaster';

/** One redis-server process of the group. */
export interface SentinelNode {
  port: number;
  role: 'master' | 'replica' | 'sentinel';
  child: ChildProcess;
  alive(): boolean;
}

/** A running group. */
export interface SentinelGroup {
  /** The data nodes, the first being the initial master. */
  nodes: SentinelNode[];
  sentinels: SentinelNode[];
  /** `REDIS_SENTINELS` value: `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  sentinelList: string;
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>;
  /** SIGKILLs a node and waits for it to exit. */
  kill(node: SentinelNode): Promise<void>;
  /** Kills every process and removes the data dir. */
  close(): Promise<void>;
}

/** Starts a master, `replicas` replicas (default 2) and three sentinels; resolves once replicas are in sync. */
export async function startSentinelGroup(
  options: { replicas?: number } = {},
): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'runledger-sentinel-'));
  const procs: SentinelNode[] = [];
  const launch = (role: SentinelNode['role'], port: number, args: string[]): SentinelNode => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const node: SentinelNode = { port, role, child, alive: () => !exited };
    procs.push(node);
    return node;
  };
  const dataArgs = (port: number) => [
    ...redisServerArgs(port, dir),
    '--dbfilename',
    `dump-${port}.rdb`,
    '--appendonly',
    'no',
    // replicas announce this address to the sentinels
    '--replica-announce-ip',
    '127.0.0.1',
  ];
  const masterPort = await freePort();
  const nodes = [launch('master', masterPort, dataArgs(masterPort))];
  await waitForRedis(`redis://127.0.0.1:${masterPort}`);
  for (let i = 0; i < (options.replicas ?? 2); i++) {
    const port = await freePort();
    nodes.push(
      launch('replica', port, [...dataArgs(port), '--replicaof', '127.0.0.1', String(masterPort)]),
    );
    await waitForRedis(`redis://127.0.0.1:${port}`);
  }
  // replicas in sync before anything is written
  const master = new Redis(masterPort, '127.0.0.1', { lazyConnect: true });
  await master.connect();
  for (;;) {
    const info = await master.info('replication');
    const online = (info.match(/^slave\d+:.*state=online/gm) ?? []).length;
    if (online >= nodes.length - 1) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  master.disconnect();

  const sentinels: SentinelNode[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(launch('sentinel', port, [conf, '--sentinel']));
    await waitForRedis(`redis://127.0.0.1:${port}`);
  }

  const askSentinel = async (): Promise<number> => {
    for (const s of sentinels) {
      if (!s.alive()) continue;
      const client = probeRedis(s.port);
      try {
        await client.connect();
        const reply = (await client.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME)) as
          | [string, string]
          | null;
        if (reply) return Number(reply[1]);
      } catch {
        // try the next sentinel
      } finally {
        client.disconnect();
      }
    }
    throw new Error('no sentinel answered');
  };

  return {
    nodes,
    sentinels,
    sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
    masterPort: askSentinel,
    async kill(node) {
      if (!node.alive()) return;
      const exited = new Promise((r) => node.child.once('exit', r));
      node.child.kill('SIGKILL');
      await exited;
    },
    async close() {
      await Promise.all(
        procs.map(async (p) => {
          if (!p.alive()) return;
          const exited = new Promise((r) => p.child.once('exit', r));
          p.child.kill('SIGKILL');
          await exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
