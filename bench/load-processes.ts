/**
 * Process helpers of `bench/load.ts`: spawns the API and worker entry points as real Node
 * processes (TypeScript through tsx, workspace sources through the `@runledger/source`
 * condition), waits for them, stops them, and reads a process's memory from `/proc`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LoadFigures } from './load-autocannon.js';

/** The repository root (the parent of `bench/`). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Node flags that run a `.ts` entry point of this repository from source. */
export const TS_NODE_ARGS = ['--conditions=@runledger/source', '--import', 'tsx'];

/** One spawned process; `stderr` keeps its last 8 KiB for error messages. */
export interface Spawned {
  name: string;
  child: ChildProcess;
  pid: number;
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs` (ms); resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Options of `spawnTs`. */
export interface SpawnTsOptions {
  /** Arguments after the entry point. */
  args?: string[];
  /** Extra node flags before the entry point (e.g. `--max-old-space-size=64`). */
  nodeArgs?: string[];
  /** Run under `nice -n <nice>` (a positive value lowers the CPU priority; no root needed). */
  nice?: number;
  pipeStdout?: boolean;
  pipeStdin?: boolean;
}

/**
 * Spawns `node <TS_NODE_ARGS> <entry> ...args` from the repository root with `env` added to this
 * process's environment. stdin and stdout are ignored unless `pipeStdin` / `pipeStdout`.
 * @throws Error when the process cannot be spawned (no pid).
 */
export function spawnTs(
  name: string,
  entry: string,
  env: Record<string, string>,
  options: SpawnTsOptions = {},
): Spawned {
  const nodeArgs = [...TS_NODE_ARGS, ...(options.nodeArgs ?? []), entry, ...(options.args ?? [])];
  // `nice` execs node in place: the pid is node's
  const [command, args] = options.nice
    ? ['nice', ['-n', String(options.nice), process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: [options.pipeStdin ? 'pipe' : 'ignore', options.pipeStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name} (${entry})`);
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-8192);
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    name,
    child,
    pid: child.pid,
    stderrTail: () => tail,
    async stop(graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

/**
 * Polls `check` every `everyMs` until it returns a non-null value, which is returned.
 * @throws Error naming `what` after `timeoutMs`, or at once when `alive()` turns false.
 */
export async function pollUntil<T>(
  check: () => Promise<T | null>,
  what: string,
  timeoutMs: number,
  everyMs = 100,
  alive: () => boolean = () => true,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value !== null) return value;
    if (!alive()) throw new Error(`${what}: the process exited`);
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux). */
let clockTicks: number | undefined;

/**
 * CPU time `pid` has used so far (user + system, every thread: GC helpers included), in ms, from
 * `/proc/<pid>/stat` (fields 14 and 15, in clock ticks: 10 ms resolution at 100 Hz).
 * @throws Error when the process does not exist.
 */
export function cpuMs(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the `(comm)` one, which may hold spaces: state is field 3, utime 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

/** `VmRSS` and `VmHWM` (peak RSS since start or the last reset) of `pid`, in bytes. */
export function readMemory(pid: number): { rssBytes: number; hwmBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: field('VmRSS'), hwmBytes: field('VmHWM') };
}

/**
 * Resets `VmHWM` of `pid` to its current RSS (`echo 5 > /proc/<pid>/clear_refs`, Linux >= 4.0).
 * @returns false when the kernel or permissions do not allow it.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A load child (`bench/load-paced.ts` or `bench/load-autocannon.ts`) in its own process, spawned before its URL is known. */
export interface Cannon {
  spawned: Spawned;
  /** Sends the URL; resolves once the load is on (false when the child exited first). */
  load(url: string): Promise<boolean>;
  /** True while the child runs (the load has not reached its max duration). */
  running(): boolean;
  /** Stops the load (SIGINT) if still on, waits for the child; its figures, or null. */
  finish(): Promise<LoadFigures | null>;
}

/**
 * Spawns a load child with `connections` connections and at most `maxSeconds` of load: `rate`
 * > 0, that many requests/s over all connections, evenly paced (bench/load-paced.ts); else
 * autocannon, as fast as the connections go (bench/load-autocannon.ts).
 */
export function startCannon(connections: number, maxSeconds: number, rate = 0): Cannon {
  const spawned = spawnTs(
    rate > 0 ? 'paced load' : 'autocannon',
    rate > 0 ? 'bench/load-paced.ts' : 'bench/load-autocannon.ts',
    {},
    {
      args: [String(connections), String(maxSeconds), String(rate)],
      pipeStdout: true,
      pipeStdin: true,
    },
  );
  const { child } = spawned;
  let stdout = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    spawned,
    running,
    async load(url) {
      child.stdin?.end(`${url}\n`);
      const started = pollUntil(
        async () => (spawned.stderrTail().includes('load: started') ? true : null),
        `${spawned.name} to start`,
        30_000,
        10,
      ).catch(() => false);
      return Promise.race([started, exited.then(() => false)]);
    },
    async finish() {
      if (running()) child.kill('SIGINT');
      await exited;
      try {
        return JSON.parse(stdout.trim().split('\n').pop() ?? '') as LoadFigures;
      } catch {
        console.error(
          `${spawned.name} exited ${child.exitCode} without figures: ${spawned.stderrTail()}`,
        );
        return null;
      }
    },
  };
}

/**
 * In a load child (bench/load-autocannon.ts, bench/load-paced.ts): the URL on the first line of
 * stdin (the parent spawns the child before it knows the URL). Exits the process with 1 and a
 * message naming `child` when stdin ends without one.
 */
export async function readUrlFromStdin(child: string): Promise<string> {
  for await (const line of createInterface({ input: process.stdin })) {
    const url = line.trim();
    if (url) return url;
    break;
  }
  console.error(`${child}: no URL on stdin`);
  process.exit(1);
}
