/**
 * `runledger datasets push|list|get|delete`, `runledger export RUN` (streamed to stdout or a
 * file) and `runledger rerun RUN --failed|--all [--watch]`.
 */
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import {
  type Dataset,
  type DatasetChange,
  RunledgerApiError,
  type RunledgerClient,
  withFileLines,
} from './client.js';
import {
  addColumnOptions,
  type ColumnOptions,
  datasetIdFromFile,
  readOptionsOf,
} from './dataset-file.js';
import { dashboardUrl, formatEffective, formatJson, formatTable } from './format.js';
import { addGateOptions, type GateOptions, gatesOf } from './gates.js';
import { sendDatasetFile } from './send-bar.js';
import { followRun } from './watch.js';

/** What the dataset, export and rerun commands need from the program. */
export interface DatasetCommandsOptions {
  client: () => RunledgerClient;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where `export` writes the exported bytes without `--out` (stdout). */
  stdout: NodeJS.WritableStream;
  /** Where `rerun --watch` draws its bar; null: none. */
  progress: NodeJS.WritableStream | null;
  /** Raised for a failure the user must see as one line (exit code 1). */
  fail: (message: string) => Error;
  /** How long `rerun --watch` reconnects to a lost API, ms (default 60 s). */
  reconnectForMs?: () => number | undefined;
}

/** One line per version: `VERSION ITEMS CONTENT HASH CREATED`. */
export function formatDataset(d: Dataset): string {
  const head = `dataset ${d.id} (${d.name}), project ${d.project}, latest version ${d.latestVersion}\n`;
  return (
    head +
    formatTable(
      ['VERSION', 'ITEMS', 'CONTENT HASH', 'CREATED'],
      d.versions.map((v) => [String(v.version), String(v.itemCount), v.contentHash, v.createdAt]),
    )
  );
}

/** Writes a web byte stream to a Node stream chunk by chunk, honouring backpressure, without ending it. */
async function copyTo(
  body: ReadableStream<Uint8Array>,
  target: NodeJS.WritableStream,
): Promise<number> {
  let bytes = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
    if (!target.write(value)) await new Promise((resolve) => target.once('drain', resolve));
  }
}

/** Registers `datasets`, `export` and `rerun` on `program`. */
export function addDatasetCommands(program: Command, options: DatasetCommandsOptions): void {
  const { out, err, fail } = options;
  const datasets = program
    .command('datasets')
    .description('named datasets with immutable versions, stored by the API');

  const push = datasets
    .command('push')
    .description(
      'push a dataset file (.jsonl, .ndjson or .csv): creates the dataset (version 1) or adds a version',
    )
    .argument('<file>', 'the dataset file, read like `submit` reads it')
    .option('--id <id>', 'the dataset id (default: the file name without extension)')
    .option('--name <name>', 'the dataset name (default: the id; renames an existing dataset)')
    .option('--replace', 'the new version holds the file only (the default)')
    .option('--append', "the new version holds the latest version's items, then the file's")
    .option('--json', 'print the dataset as JSON');
  addColumnOptions(push).action(
    async (
      file: string,
      opts: ColumnOptions & {
        id?: string;
        name?: string;
        replace?: boolean;
        append?: boolean;
        json?: boolean;
      },
    ) => {
      if (opts.replace && opts.append) throw fail('--replace and --append exclude each other');
      const api = options.client();
      const id = opts.id ?? datasetIdFromFile(file);
      let existing = true;
      try {
        await api.datasets.get(id);
      } catch (e) {
        if (!(e instanceof RunledgerApiError) || e.status !== 404) throw e;
        existing = false;
      }
      // the file is streamed as NDJSON (any size, never held in memory); an API error about
      // item N names its line in the file
      const size = (await stat(file).catch(() => null))?.size ?? 0;
      const lines: number[] = [];
      let dataset: DatasetChange;
      try {
        dataset = await sendDatasetFile(
          options.progress,
          file,
          size,
          readOptionsOf(opts),
          lines,
          (items) =>
            existing
              ? api.datasets.addItemsStream(
                  id,
                  {
                    mode: opts.append ? 'append' : 'replace',
                    ...(opts.name ? { name: opts.name } : {}),
                  },
                  items,
                )
              : api.datasets.createStream({ id, name: opts.name ?? id }, items),
        );
      } catch (e) {
        throw e instanceof RunledgerApiError ? withFileLines(e, basename(file), lines) : e;
      }
      if (opts.json) {
        out(formatJson(dataset));
        return;
      }
      const latest = dataset.versions[dataset.versions.length - 1];
      out(
        `dataset ${dataset.id} version ${dataset.latestVersion}: ${latest?.itemCount ?? 0} items, ${latest?.contentHash ?? '-'}${existing ? '' : ' (created)'}\n`,
      );
      out(
        `run it: runledger submit --dataset ${dataset.id}@${dataset.latestVersion} --target <name>\n`,
      );
    },
  );

  datasets
    .command('list')
    .description("list the project's datasets")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const api = options.client();
      const all: Dataset[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await api.datasets.list({ limit: 500, ...(cursor ? { cursor } : {}) });
        all.push(...page.datasets);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      if (opts.json) {
        out(formatJson(all));
        return;
      }
      out(
        formatTable(
          ['ID', 'VERSION', 'ITEMS', 'UPDATED', 'NAME'],
          all.map((d) => [
            d.id,
            String(d.latestVersion),
            String(d.versions[d.versions.length - 1]?.itemCount ?? 0),
            d.updatedAt,
            d.name,
          ]),
        ),
      );
      err(`${all.length} datasets\n`);
    });

  datasets
    .command('get')
    .description('show a dataset and its versions')
    .argument('<id>', 'the dataset id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const dataset = await options.client().datasets.get(id);
      out(opts.json ? formatJson(dataset) : formatDataset(dataset));
    });

  datasets
    .command('delete')
    .description('delete a dataset and every version (runs keep their copy of the items)')
    .argument('<id>', 'the dataset id')
    .action(async (id: string) => {
      await options.client().datasets.delete(id);
      out(`deleted dataset ${id}\n`);
    });

  program
    .command('export')
    .description("stream a run's results as CSV or JSON Lines, in item order")
    .argument('<run>', 'the run id')
    .option('--format <format>', 'csv or jsonl (default: from --out, else jsonl)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (runId: string, opts: { format?: string; out?: string }) => {
      const fromOut = opts.out ? extname(opts.out).slice(1).toLowerCase() : '';
      const format = opts.format ?? (fromOut === 'csv' ? 'csv' : 'jsonl');
      if (format !== 'csv' && format !== 'jsonl') {
        throw fail(`--format must be csv or jsonl, not "${format}"`);
      }
      const body = await options.client().runs.export(runId, format);
      if (opts.out) {
        await pipeline(
          Readable.fromWeb(body as WebReadableStream<Uint8Array>),
          createWriteStream(opts.out),
        );
        err(`wrote ${opts.out}\n`);
        return;
      }
      await copyTo(body, options.stdout);
    });

  const rerun = program
    .command('rerun')
    .description(
      'rerun the failed (failed or cancelled) or all items of a finished run as a new run',
    )
    .argument('<run>', 'the run id')
    .option('--failed', 'only the items whose result is failed or cancelled (the default)')
    .option('--all', 'every item (a replay, e.g. for a regression check)')
    .option(
      '--watch',
      'follow the new run, print its summary, and exit 0 only if it completed with no failed item and every gate held',
    );
  addGateOptions(rerun)
    .option('--json', 'print the new (with --watch: finished) run as JSON')
    .action(
      async (
        runId: string,
        opts: GateOptions & { failed?: boolean; all?: boolean; watch?: boolean; json?: boolean },
      ) => {
        if (opts.failed && opts.all) throw fail('--failed and --all exclude each other');
        const api = options.client();
        const created = await api.runs.rerun(runId, { only: opts.all ? 'all' : 'failed' });
        if (!opts.watch) {
          if (opts.json) out(formatJson(created));
          else {
            out(
              `created run ${created.id} (rerun of ${runId}): ${created.totalItems} items, target ${created.target.name}\n`,
            );
          }
          return;
        }
        err(
          `created run ${created.id} (rerun of ${runId}, ${created.totalItems} items), live at ${dashboardUrl(api.baseUrl, `runs/${created.id}`)}\n`,
        );
        await followRun(api, created.id, {
          progress: options.progress,
          json: opts.json,
          out,
          err,
          gates: gatesOf(opts),
          reconnectForMs: options.reconnectForMs?.(),
          // the run with its failures retried: per item, the latest result across it and its reruns
          ...(opts.all || opts.json
            ? {}
            : {
                afterSummary: async () => {
                  const { effective } = await api.runs.resultsPage(runId, {
                    effective: true,
                    limit: 1,
                  });
                  if (effective) out(formatEffective(effective));
                },
              }),
        });
      },
    );
}
