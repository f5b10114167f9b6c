/**
 * Running the `runledger` CLI in-process in tests (its output captured), and a temp dir for the
 * files it reads.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { type RunningServices, runCli, startServices } from '@runledger/cli';
import { createLogger, createRedis, loadConfig, type TargetDefinition } from '@runledger/shared';
import { afterAll, beforeAll } from 'vitest';
import { deletePrefix, redisUrl, TEST_APP_ENV, uniquePrefix } from './context.js';

/** What one CLI invocation returned and wrote. */
export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `runledger <args>` in-process with `env` (no progress bars); returns its exit code and output. */
export async function runCliCaptured(
  args: string[],
  env: Record<string, string>,
): Promise<CliOutcome> {
  return startCli(args, env).done;
}

/** A CLI invocation still going: its output so far, and its outcome once it ends. */
export interface RunningCli {
  /** What it wrote so far. */
  output(): { stdout: string; stderr: string };
  done: Promise<CliOutcome>;
}

/** Starts `runledger <args>` in-process with `env` (no progress bars), without waiting for it. */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const done = runCli(args, {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env,
    progress: null,
  }).then((code) => ({ code, stdout, stderr }));
  return { output: () => ({ stdout, stderr }), done };
}

/** A temp dir: `file(name, text)` writes a file in it and returns its path; `remove()` deletes it all. */
export function createTempDir(label: string): {
  path: string;
  file(name: string, text: string): string;
  remove(): void;
} {
  const path = mkdtempSync(join(tmpdir(), `runledger-${label}-`));
  return {
    path,
    file(name, text) {
      const file = join(path, name);
      writeFileSync(file, text);
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** What `useCliServices` gives a test file: its temp dir and the CLI bound to the services' API. */
export interface CliServices {
  tmp: ReturnType<typeof createTempDir>;
  /** The API's URL (set by `beforeAll`). */
  apiUrl(): string;
  /** Runs the CLI in-process against the API (`RUNLEDGER_URL`), `env` on top. */
  cli(args: string[], env?: Record<string, string>): Promise<CliOutcome>;
  /** Writes `name` in the temp dir; returns its path. */
  file(name: string, text: string): string;
}

/**
 * For a test file: an in-process API and worker (`startServices`, one worker) on a fresh prefix
 * `rl-<label>-...` of the test Redis with `env` on top, and a temp dir; `afterAll` stops them,
 * removes every key of the prefix and the temp dir.
 */
export function useCliServices(
  label: string,
  options: { env?: Record<string, string>; targets?: TargetDefinition[] } = {},
): CliServices {
  const prefix = uniquePrefix(label);
  const tmp = createTempDir(label);
  let services: RunningServices | undefined;
  let apiUrl = '';

  beforeAll(async () => {
    const config = loadConfig({
      REDIS_URL: redisUrl(),
      RUNLEDGER_PREFIX: prefix,
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...TEST_APP_ENV,
      ...options.env,
    });
    services = await startServices({
      config,
      logger: createLogger({ level: 'silent' }),
      workers: 1,
      redisUrlGiven: true,
      ...(options.targets ? { targets: options.targets } : {}),
    });
    apiUrl = services.apiUrl ?? '';
  });

  afterAll(async () => {
    await services?.close();
    const redis = createRedis(redisUrl());
    await deletePrefix(redis, prefix);
    redis.disconnect();
    tmp.remove();
  });

  return {
    tmp,
    apiUrl: () => apiUrl,
    cli: (args, env = {}) => runCliCaptured(args, { RUNLEDGER_URL: apiUrl, ...env }),
    file: (name, text) => tmp.file(name, text),
  };
}

/** The summary's `label  value` lines as a record (labels are one or two words). */
export function summaryFields(summary: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of summary.trimEnd().split('\n')) {
    const match = /^(\S+(?: \S+)?) {2,}(.*)$/.exec(line);
    if (match?.[1]) out[match[1]] = match[2] ?? '';
  }
  return out;
}

/** The CLI arguments `submit <path> --target echo <extra...>`: a run of file `path` on the built-in echo target. */
export function submitEcho(path: string, ...extra: string[]): string[] {
  return ['submit', path, '--target', 'echo', ...extra];
}

/** `items` as JSONL text, one JSON value a line. */
export function jsonl(items: unknown[]): string {
  return `${items.map((i) => JSON.stringify(i)).join('\n')}\n`;
}

/** `runledger <args>` as a real process (its sources through tsx), `env` on top of this process's. */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@runledger/source', 'apps/cli/src/main.ts', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** A `runledger start --port 0` process and what it said so far. */
export interface StartProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Its JSON log lines (stdout) so far. */
  logLines: Record<string, unknown>[];
  /** Its stderr so far. */
  stderr(): string;
  /** Its exit code, once it exits. */
  exit: Promise<number | null>;
  /** The API's URL once it listens ('runledger API on ...'); rejects if it exits first. */
  url: Promise<string>;
}

/**
 * The env of a `runledger start` on the test Redis under key prefix `prefix`: info logs, a 1 s
 * worker shutdown deadline, RUNLEDGER_HTTP_TARGET_ALLOW unset (start then allows loopback
 * targets, and says so) and no API keys; `extra` on top.
 */
export function startEnv(
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: prefix,
    LOG_LEVEL: 'info',
    WORKER_SHUTDOWN_TIMEOUT_MS: '1000',
    RUNLEDGER_HTTP_TARGET_ALLOW: '',
    RUNLEDGER_API_KEYS: '',
    ...extra,
  };
}

/** Starts `runledger start --port 0` as a real process with `env` (see `spawnCli`). */
export function spawnStart(env: Record<string, string>): StartProcess {
  const child = spawnCli(['start', '--port', '0'], env);
  const logLines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += String(d);
  });
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = new Promise<string>((done, fail) => {
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += String(d);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logLines.push(entry);
        if (String(entry.msg).startsWith('runledger API on ') && typeof entry.url === 'string')
          done(entry.url);
      }
    });
    void exit.then((code) => fail(new Error(`start exited with ${code}: ${stderr}`)));
  });
  return { child, logLines, stderr: () => stderr, exit, url };
}
