/**
 * Run lifecycle commands under `runledger runs`: `cleanup` (`POST /v1/runs/cleanup`), `archive`
 * (snapshots written as gzip files, verified, then optionally deleted) and `restore`
 * (`POST /v1/runs/import` of archived snapshots). Snapshot format: @runledger/shared snapshot.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { parseSnapshot } from '@runledger/shared';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { givenFields, type RunledgerClient } from './client.js';
import { formatJson, formatTable } from './format.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** What the lifecycle commands need from the CLI. */
export interface LifecycleCommandsOptions {
  client: () => RunledgerClient;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Raised for a failure the user must see as one line (exit code 1). */
  fail: (message: string) => Error;
}

/** The file name of run `id`'s archived snapshot. */
export const archiveFileName = (id: string): string => `${id}.snapshot.ndjson.gz`;

function olderThan(value: string): string {
  if (!/^\d{1,9}[smhdw]$/.test(value)) {
    throw new InvalidArgumentError('a whole number and a unit: s, m, h, d or w (e.g. 30d)');
  }
  return value;
}

/** The snapshot text of an archive file (gzip, or plain NDJSON). */
export async function readSnapshotFile(path: string): Promise<string> {
  const bytes = await readFile(path);
  const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzipAsync(bytes) : bytes;
  return plain.toString('utf8');
}

/** Adds `cleanup`, `archive` and `restore` to the `runs` command. */
export function addRunLifecycleCommands(runs: Command, options: LifecycleCommandsOptions): void {
  const { out, err, fail } = options;

  runs
    .command('cleanup')
    .description(
      "delete the project's finished runs that finished longer ago than --older-than (queued and running runs are never touched); needs a key with role admin",
    )
    .requiredOption('--older-than <duration>', 'e.g. 30d, 12h, 2w (s, m, h, d, w)', olderThan)
    .addOption(
      new Option('--status <status>', 'only runs that ended so').choices([
        'completed',
        'failed',
        'cancelled',
      ]),
    )
    .option('--target <name>', 'only runs of this target')
    .option('--dataset <id>', 'only runs of this dataset')
    .option('--dry-run', 'list the runs that would be deleted, delete nothing')
    .option('--json', 'print the answer as JSON')
    .action(
      async (opts: {
        olderThan: string;
        status?: 'completed' | 'failed' | 'cancelled';
        target?: string;
        dataset?: string;
        dryRun?: boolean;
        json?: boolean;
      }) => {
        const answer = await options.client().runs.cleanup({
          olderThan: opts.olderThan,
          dryRun: opts.dryRun ?? false,
          ...givenFields({ status: opts.status, target: opts.target, datasetId: opts.dataset }),
        });
        if (opts.json) {
          out(formatJson(answer));
          return;
        }
        if (answer.runs.length > 0) {
          out(
            formatTable(
              ['ID', 'STATUS', 'TARGET', 'DATASET', 'COMPLETED'],
              answer.runs.map((r) => [r.id, r.status, r.target, r.datasetId ?? '-', r.completedAt]),
            ),
          );
        }
        err(
          answer.dryRun
            ? `${answer.count} runs would be deleted (finished before ${answer.before}; dry run)\n`
            : `${answer.count} runs deleted (finished before ${answer.before})\n`,
        );
      },
    );

  runs
    .command('archive')
    .description(
      "write each run's snapshot to <dir>/<id>.snapshot.ndjson.gz (gzip), read it back and check its digest; with --delete, then delete the run",
    )
    .argument('<ids...>', 'finished run ids')
    .requiredOption('--dir <dir>', 'the directory to write to (created if missing)')
    .option('--delete', 'delete each run once its snapshot is on disk and verified')
    .action(async (ids: string[], opts: { dir: string; delete?: boolean }) => {
      const api = options.client();
      await mkdir(opts.dir, { recursive: true });
      for (const id of ids) {
        const text = await api.runs.snapshot(id);
        const path = join(opts.dir, archiveFileName(id));
        const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
        try {
          await writeFile(temp, await gzipAsync(Buffer.from(text, 'utf8')));
          await rename(temp, path);
        } catch (error) {
          await rm(temp, { force: true });
          throw error;
        }
        // verified from the disk: the bytes read back are the snapshot, and its digest holds
        const back = await readSnapshotFile(path);
        if (back !== text)
          throw fail(`archive of run ${id} at ${path} does not read back the same`);
        let lines: number;
        try {
          lines = parseSnapshot(back).digest.lines;
        } catch (error) {
          throw fail(`archive of run ${id} at ${path} is not valid: ${(error as Error).message}`);
        }
        out(`archived ${id} -> ${path} (${lines + 1} lines)\n`);
        if (opts.delete) {
          await api.runs.delete(id);
          out(`deleted ${id}\n`);
        }
      }
    });

  runs
    .command('restore')
    .description(
      'import archived snapshots (gzip or plain NDJSON) as runs under their ids; needs a key with role admin',
    )
    .argument('<files...>', 'snapshot files, e.g. archive/<id>.snapshot.ndjson.gz')
    .action(async (files: string[]) => {
      const api = options.client();
      for (const file of files) {
        const run = await api.runs.import(await readSnapshotFile(file));
        out(`restored ${run.id} (${run.status}, ${run.totalItems} items) from ${file}\n`);
      }
    });
}
