/**
 * `runledger experiment FILE.yaml [--watch]` and `runledger compare A B [--scorer S]`:
 * experiment files (YAML, the `POST /v1/experiments` body plus `dataset: { file: path }`), a
 * progress bar per variant, the comparison table, and the compare summary.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type Compare, type ExperimentSummary, TERMINAL_STATUSES } from '@runledger/shared';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { DatasetItem, ExperimentSpecInput, RunledgerClient } from './client.js';
import { loadDatasetFile } from './dataset-file.js';
import { formatJson, formatTable, percent } from './format.js';

/** An experiment file is unreadable or not an experiment. */
export class ExperimentFileError extends Error {
  override name = 'ExperimentFileError';
}

/**
 * Reads an experiment file: YAML (or JSON) holding the `POST /v1/experiments` body. Its
 * `dataset` may be `{ file: path.jsonl|.csv, id?, version? }` (the path relative to the YAML
 * file), read with `loadDatasetFile`; `dataset.id` then defaults to the file name.
 * @throws ExperimentFileError, DatasetFileError.
 */
export async function loadExperimentFile(file: string): Promise<ExperimentSpecInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ExperimentFileError(`${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ExperimentFileError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ExperimentFileError(`${file}: must hold an object (name, dataset, variants, ...)`);
  }
  const spec = doc as ExperimentSpecInput & { dataset?: { file?: unknown } };
  const dataset = spec.dataset as Record<string, unknown> | undefined;
  if (dataset && typeof dataset.file === 'string') {
    const path = isAbsolute(dataset.file) ? dataset.file : resolve(dirname(file), dataset.file);
    const items: DatasetItem[] = (await loadDatasetFile(path)).map((r) => r.item);
    const { file: name, ...rest } = dataset;
    spec.dataset = { id: String(name), ...rest, items } as ExperimentSpecInput['dataset'];
  }
  return spec;
}

/** Options of `watchExperiment`. */
export interface WatchExperimentOptions {
  /** Where to draw one progress bar per variant; null: none. */
  progress?: NodeJS.WritableStream | null;
  /** Poll interval of `GET /v1/experiments/:id`, ms. @defaultValue 500 */
  intervalMs?: number;
}

/**
 * Follows an experiment to its end with one bar per variant (items done over all its trials).
 * Progress comes from its runs (`GET /v1/runs/:id`, cheap counters), polled every `intervalMs`;
 * the summary, which reads every result, is fetched once at the start and once at the end.
 * Returns the final summary. @throws ApiError.
 */
export async function watchExperiment(
  client: RunledgerClient,
  experimentId: string,
  options: WatchExperimentOptions = {},
): Promise<ExperimentSummary> {
  const start = await client.getExperiment(experimentId);
  if (start.status !== 'running') return start;
  const multi = options.progress
    ? new MultiBar(
        {
          stream: options.progress,
          format: '{variant} {bar} {percentage}% | {value}/{total} items | {status}',
          hideCursor: true,
          noTTYOutput: true,
          notTTYSchedule: 2000,
        },
        Presets.shades_classic,
      )
    : null;
  const width = Math.max(...start.variants.map((v) => v.name.length));
  const bars = start.variants.map((v) =>
    multi?.create(v.totalItems, v.completedItems, {
      variant: v.name.padEnd(width),
      status: v.status,
    }),
  );
  try {
    for (;;) {
      let running = false;
      for (const [i, variant] of start.variants.entries()) {
        const runs = await Promise.all(variant.runIds.map((id) => client.getRun(id)));
        const total = runs.reduce((n, r) => n + r.totalItems, 0);
        const done = runs.reduce(
          (n, r) => n + r.succeededCount + r.failedCount + r.cancelledCount,
          0,
        );
        const open = runs.some((r) => !TERMINAL_STATUSES.includes(r.status));
        running ||= open;
        bars[i]?.setTotal(total);
        bars[i]?.update(done, {
          variant: variant.name.padEnd(width),
          status: open
            ? 'running'
            : (runs.find((r) => r.status !== 'completed')?.status ?? 'completed'),
        });
      }
      if (!running) break;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
    }
  } finally {
    multi?.stop();
  }
  return client.getExperiment(experimentId);
}

const fixed = (value: number | null, digits: number) =>
  value === null ? '-' : value.toFixed(digits);
const ms = (value: number | null) => (value === null ? '-' : String(Math.round(value * 10) / 10));

/**
 * The comparison table: one row per variant: pass rate [95% CI] per scorer (and pass@k / pass^k
 * with trials), latency p50/p90/p99 (ms), tokens, cost (USD), errors.
 */
export function formatExperimentTable(summary: ExperimentSummary): string {
  const withK = summary.trials > 1;
  const headers = [
    'VARIANT',
    ...summary.scorers.flatMap((s) =>
      withK
        ? [`${s} [95% CI]`, `pass@${summary.trials}`, `pass^${summary.trials}`]
        : [`${s} [95% CI]`],
    ),
    'P50/P90/P99 MS',
    'TOKENS IN/OUT',
    'COST USD',
    'ERRORS',
  ];
  const rows = summary.variants.map((v) => [
    v.name,
    ...summary.scorers.flatMap((name) => {
      const s = v.scores[name];
      const rate = s
        ? `${percent(s.passRate)} [${s.ci95 ? `${percent(s.ci95[0])}, ${percent(s.ci95[1])}` : '-'}] (${s.passed}/${s.n})`
        : '-';
      return withK ? [rate, fixed(s?.passAtK ?? null, 3), fixed(s?.passHatK ?? null, 3)] : [rate];
    }),
    `${ms(v.latencyMs.p50)}/${ms(v.latencyMs.p90)}/${ms(v.latencyMs.p99)}`,
    `${v.usage.inputTokens}/${v.usage.outputTokens}`,
    v.costUsd.toFixed(4),
    v.errors.count === 0
      ? '0'
      : `${v.errors.count} (${Object.entries(v.errors.byType)
          .map(([type, n]) => `${type} ${n}`)
          .join(', ')})`,
  ]);
  return (
    `experiment ${summary.id} "${summary.name}": ${summary.status}, dataset ` +
    `${summary.datasetId ?? '-'}@${summary.datasetVersion ?? '-'}, ${summary.trials} trial(s)\n` +
    formatTable(headers, rows)
  );
}

/** The compare summary: pass rates, the difference with its interval, counts and item ids. */
export function formatCompare(c: Compare): string {
  const ids = (list: string[]) =>
    list.length === 0
      ? '-'
      : list.length <= 20
        ? list.join(', ')
        : `${list.slice(0, 20).join(', ')}, ... (${list.length})`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;
  return [
    `compare ${c.b} against ${c.a} by ${c.scorer} (dataset ${c.datasetVersion ?? '-'}, ${c.items} items${c.unmatched ? `, ${c.unmatched} unmatched` : ''})`,
    `pass rate   a ${percent(c.passRateA)}   b ${percent(c.passRateB)}   b - a ${c.diff === null ? '-' : signed(c.diff)}` +
      (c.ci95
        ? ` [95% CI ${signed(c.ci95[0])}, ${signed(c.ci95[1])}; paired bootstrap, ${c.bootstrap.resamples} resamples, seed ${c.bootstrap.seed}]`
        : ''),
    `by pass/fail  improved ${c.byPass.improved}, regressed ${c.byPass.regressed}, unchanged ${c.byPass.unchanged}`,
    `by score      improved ${c.byScore.improved}, regressed ${c.byScore.regressed}, unchanged ${c.byScore.unchanged}`,
    `improved:  ${ids(c.byPass.improvedItems)}`,
    `regressed: ${ids(c.byPass.regressedItems)}`,
    '',
  ].join('\n');
}

/** What the experiment commands need from the CLI. */
export interface ExperimentCommandsOptions {
  client: () => RunledgerClient;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where `--watch` draws its bars; null: none. */
  progress: NodeJS.WritableStream | null;
  /** Raised for a failure the user must see as one line (exit code 1). */
  fail: (message: string) => Error;
}

/** Registers `experiment` and `compare` on `program`. */
export function addExperimentCommands(program: Command, options: ExperimentCommandsOptions): void {
  const { out, err, fail } = options;
  program
    .command('experiment')
    .description(
      'create an experiment from a YAML file (name, dataset {file|items}, variants, scorers, trials)',
    )
    .argument('<file>', 'the experiment file (.yaml, .yml or .json)')
    .option(
      '--watch',
      'a progress bar per variant, then the comparison table (exit 1 unless completed)',
    )
    .option('--json', 'print the summary (with --watch: the final one) as JSON')
    .action(async (file: string, opts: { watch?: boolean; json?: boolean }) => {
      const api = options.client();
      const spec = await loadExperimentFile(file);
      const created = await api.createExperiment(spec);
      const runs = created.variants.reduce((n, v) => n + v.runIds.length, 0);
      if (!opts.watch) {
        if (opts.json) out(formatJson(created));
        else {
          out(
            `created experiment ${created.id}: ${created.variants.length} variants, ${runs} runs\n`,
          );
          out(`follow it: runledger experiment-status ${created.id}\n`);
        }
        return;
      }
      err(`created experiment ${created.id} (${created.variants.length} variants, ${runs} runs)\n`);
      const summary = await watchExperiment(api, created.id, { progress: options.progress });
      out(opts.json ? formatJson(summary) : formatExperimentTable(summary));
      if (summary.status !== 'completed') {
        throw fail(`experiment ${summary.id} ended ${summary.status}`);
      }
    });

  program
    .command('experiment-status')
    .description("an experiment's comparison table (or --report: per-item rows as JSON)")
    .argument('<id>', 'the experiment id')
    .option('--json', 'print the summary as JSON')
    .option('--report', 'print the report (summary plus one row per item) as JSON')
    .action(async (id: string, opts: { json?: boolean; report?: boolean }) => {
      const api = options.client();
      if (opts.report) {
        out(formatJson(await api.getExperimentReport(id)));
        return;
      }
      const summary = await api.getExperiment(id);
      out(opts.json ? formatJson(summary) : formatExperimentTable(summary));
    });

  program
    .command('compare')
    .description('compare run B against run A item by item (same dataset version)')
    .argument('<a>', 'the baseline run id')
    .argument('<b>', 'the candidate run id')
    .option('--scorer <name>', "the scorer to compare by (default: A's first scorer)")
    .option('--seed <n>', 'bootstrap seed', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw fail(`--seed: not a non-negative integer: ${v}`);
      return n;
    })
    .option('--json', 'print the comparison as JSON')
    .action(
      async (a: string, b: string, opts: { scorer?: string; seed?: number; json?: boolean }) => {
        const result = await options.client().compareRuns(a, b, {
          ...(opts.scorer ? { scorer: opts.scorer } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        });
        out(opts.json ? formatJson(result) : formatCompare(result));
      },
    );
}
