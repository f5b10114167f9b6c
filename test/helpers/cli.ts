/**
 * Running the `runledger` CLI in-process in tests (its output captured), and a temp dir for the
 * files it reads.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '@runledger/cli';

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
