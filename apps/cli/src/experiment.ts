/**
 * `runledger experiment FILE.yaml [--watch]`, `experiment-status ID`, `experiments
 * list|get|delete` and `runledger compare A B [--scorer S]`: experiment files (YAML, the
 * `POST /v1/experiments` body plus `dataset: { file: path }`), a progress bar per variant, the
 * comparison table, each variant against the baseline (paired bootstrap difference with its
 * interval, improved/regressed items), per-item reports, and the compare summary.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  type Compare,
  type DatasetItem,
  differenceLines,
  differencePairs,
  type ExperimentDetails,
  type ExperimentSpecInput,
  type ExperimentSummary,
  type Result,
  type RunDetails,
  RunledgerApiError,
  type RunledgerClient,
  TERMINAL_STATUSES,
  unpricedNote,
} from './client.js';
import {
  type DatasetColumns,
  DatasetFileError,
  datasetIdFromFile,
  loadDatasetFile,
} from './dataset-file.js';
import { dashboardUrl, formatJson, formatTable, percent } from './format.js';
import {
  addGateOptions,
  checkGateScorers,
  EXIT_CODES,
  ExitError,
  evaluateGates,
  type GateOptions,
  type GateSubject,
  type Gates,
  gatesOf,
} from './gates.js';
import { DEFAULT_RECONNECT_FOR_MS, etaNote, isTransient, stopWatchOnInterrupt } from './watch.js';

/** An experiment file is unreadable or not an experiment. */
export class ExperimentFileError extends Error {
  override name = 'ExperimentFileError';
}

/**
 * Reads an experiment file: YAML (or JSON) holding the `POST /v1/experiments` body. Its
 * `dataset` may be `{ file: path.jsonl|.csv, columns?, id?, version? }` (the path relative to
 * the YAML file; `columns` as `DatasetColumns`, `input` a name or a list), read with
 * `loadDatasetFile`; `dataset.id` then defaults to `datasetIdFromFile(file)`
 * (as for `submit FILE` and `datasets push FILE`).
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
  if (dataset && dataset.columns !== undefined && typeof dataset.file !== 'string') {
    throw new ExperimentFileError(
      `${file}: dataset.columns names the columns of dataset.file (a .jsonl or .csv file); give the file, or inline items as {input, expectedOutput}`,
    );
  }
  if (dataset && typeof dataset.file === 'string') {
    const path = isAbsolute(dataset.file) ? dataset.file : resolve(dirname(file), dataset.file);
    const columns = experimentColumns(file, dataset.columns);
    const records = await loadDatasetFile(path, {
      ...(columns ? { columns } : {}),
      mappingHint: 'name the input column in dataset.columns.input',
    }).catch((err: unknown) => {
      if (
        err instanceof DatasetFileError &&
        err.reason === 'no such file' &&
        path !== dataset.file
      ) {
        throw new ExperimentFileError(
          `${file}: dataset.file ${dataset.file}: no such file (a relative path is read from the experiment file's directory: ${path})`,
        );
      }
      throw err;
    });
    const items: DatasetItem[] = records.map((r) => r.item);
    const { file: name, columns: _columns, ...rest } = dataset;
    spec.dataset = {
      id: datasetIdFromFile(String(name)),
      ...rest,
      items,
    } as ExperimentSpecInput['dataset'];
  }
  return spec;
}

/**
 * The `DatasetColumns` of an experiment file's `dataset.columns` (`{input: NAME | [NAMES],
 * expectedOutput?: NAME, id?: NAME}`), or undefined when it has none.
 * @throws ExperimentFileError when it is not such an object.
 */
function experimentColumns(file: string, value: unknown): DatasetColumns | undefined {
  if (value === undefined || value === null) return undefined;
  const bad = (why: string) =>
    new ExperimentFileError(
      `${file}: dataset.columns ${why} (e.g. {input: question, expectedOutput: answer, id: qid})`,
    );
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('must be an object');
  const columns: DatasetColumns = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'input') {
      const names = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
        throw bad('input must be a column name or a list of them');
      }
      columns.input = names as string[];
    } else if (key === 'expectedOutput' || key === 'id') {
      if (typeof v !== 'string') throw bad(`${key} must be a column name`);
      columns[key] = v;
    } else throw bad(`has an unknown key "${key}" (allowed: input, expectedOutput, id)`);
  }
  return columns;
}

/** Options of `watchExperiment`. */
export interface WatchExperimentOptions {
  /** Where to draw one progress bar per variant; null: none. */
  progress?: NodeJS.WritableStream | null;
  /** Poll interval of `GET /v1/runs/:id`, ms. @defaultValue 500 */
  intervalMs?: number;
  /**
   * How long to keep polling while the API does not answer, ms (then `WatchGaveUpError`-like
   * `ExitError` with exit code 2). @defaultValue DEFAULT_RECONNECT_FOR_MS (60 000)
   */
  reconnectForMs?: number | undefined;
  /** Stops watching (the promise then rejects with the abort reason). */
  signal?: AbortSignal;
}

/**
 * Follows an experiment to its end with one bar per variant (items done over all its trials).
 * Progress comes from its runs (`GET /v1/runs/:id`, cheap counters), polled every `intervalMs`;
 * the summary, which reads every result, is fetched once at the start and once at the end. A
 * run deleted meanwhile counts as ended (the summary then says `incomplete`); while the API does
 * not answer (a restart) polling goes on for up to `reconnectForMs`.
 * @returns the final summary.
 * @throws ApiError; ExitError (exit code 2) when the API stayed away for `reconnectForMs`.
 */
export async function watchExperiment(
  client: RunledgerClient,
  experimentId: string,
  options: WatchExperimentOptions = {},
): Promise<ExperimentDetails> {
  const start = await client.experiments.get(experimentId);
  if (start.status !== 'running') return start;
  const multi = options.progress
    ? new MultiBar(
        {
          stream: options.progress,
          format: '{variant} {bar} {percentage}% | {value}/{total} items | {status}{timeLeft}',
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
      timeLeft: '',
    }),
  );
  /** Where each variant's watch began, for its time left (`etaNote`). */
  const began = start.variants.map((v) => ({ atMs: Date.now(), done: v.completedItems }));
  const reconnectForMs = options.reconnectForMs ?? DEFAULT_RECONNECT_FOR_MS;
  let lostSince: number | null = null;
  /** The run, or null when it no longer exists (404). */
  const fetchRun = async (id: string) => {
    try {
      return await client.runs.get(id);
    } catch (err) {
      if (err instanceof RunledgerApiError && err.status === 404) return null;
      throw err;
    }
  };
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      let running = false;
      try {
        for (const [i, variant] of start.variants.entries()) {
          const runs = (await Promise.all(variant.runIds.map(fetchRun))).filter(
            (r): r is RunDetails => r !== null,
          );
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
            timeLeft: open ? etaNote(began[i]!, done, total, Date.now()) : '',
          });
        }
        lostSince = null;
      } catch (err) {
        options.signal?.throwIfAborted();
        if (!isTransient(err)) throw err;
        lostSince ??= Date.now();
        running = true;
        if (Date.now() - lostSince >= reconnectForMs) {
          throw new ExitError(
            EXIT_CODES.notCompleted,
            `gave up watching experiment ${experimentId}: no answer from the API for ${Math.round(reconnectForMs / 1000)} s; ` +
              `its runs go on: follow it with "runledger experiment-status ${experimentId}"`,
          );
        }
      }
      if (!running) break;
      await sleep(options.intervalMs ?? 500, undefined, { signal: options.signal });
    }
  } finally {
    multi?.stop();
  }
  return client.experiments.get(experimentId);
}

const fixed = (value: number | null, digits: number) =>
  value === null ? '-' : value.toFixed(digits);
const ms = (value: number | null) => (value === null ? '-' : String(Math.round(value * 10) / 10));

/**
 * The comparison table: one row per variant: pass rate [95% CI] per scorer (and pass@k / pass^k
 * with trials), latency p50/p90/p99 (ms), tokens, cost (USD), errors, and when the variants'
 * targets differ, what sets each apart (`DIFFERS IN`: `params.temperature=0.8`, `differenceLines`);
 * under it a line per variant whose cost leaves out results with tokens and no price
 * (`unpricedNote`).
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
  // what sets each variant apart (its target fields that differ), last: it may be wide
  const differences = summary.variants.map((v) =>
    differenceLines(v.differences)
      .map(([path, value]) => `${path}=${value}`)
      .join(' '),
  );
  const withDifferences = differences.some((d) => d !== '');
  if (withDifferences) headers.push('DIFFERS IN');
  const rows = summary.variants.map((v, i) => [
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
    ...(withDifferences ? [differences[i] || '-'] : []),
  ]);
  // what COST USD leaves out, under the table
  const unpriced = summary.variants.flatMap((v) => {
    const note = unpricedNote(v);
    return note ? [`variant ${v.name}: ${note}\n`] : [];
  });
  return (
    `experiment ${summary.id} "${summary.name}": ${summary.status}, dataset ` +
    `${summary.datasetId ?? '-'}@${summary.datasetVersion ?? '-'}, ${summary.trials} trial(s)\n` +
    formatTable(headers, rows) +
    unpriced.join('')
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
    ...differsLine(c.differences),
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

/**
 * The `differs in` line of a comparison (none when the targets are the same): each target field
 * that differs, a's value then b's (`params.temperature 0 -> 0.8`), the target name first when
 * it differs (`target http -> openai`).
 */
export function differsLine(differences: Compare['differences']): string[] {
  const parts = differencePairs(differences).map(
    ([path, a, b]) => `${path} ${a.shown} -> ${b.shown}`,
  );
  return parts.length === 0 ? [] : [`differs in    ${parts.join('; ')}`];
}

/** One variant against the baseline: the compare of their trial-0 runs, or why there is none. */
export interface VariantComparison {
  baseline: string;
  variant: string;
  compare: Compare | null;
  /** Why `compare` is null (a run is missing, no scorer, ...). */
  skipped?: string;
}

/** Options of `compareVariants`. */
export interface CompareVariantsOptions {
  /** The baseline variant's name. @defaultValue the first variant */
  baseline?: string | undefined;
  /** The scorer to compare by. @defaultValue the experiment's first scorer */
  scorer?: string | undefined;
  /** Bootstrap seed (the API's default otherwise). */
  seed?: number | undefined;
}

/**
 * Compares every variant of `summary` against the baseline (`GET /v1/runs/:a/compare/:b` over
 * their trial-0 runs): the paired bootstrap difference of pass rates with its 95% interval and
 * the improved/regressed item ids. Variants whose trial-0 run is missing (see
 * `summary.missingRunIds`) are skipped with a reason; an experiment without scorers gives [].
 * @throws ExitError (exit code 1) when `options.baseline` or `options.scorer` is not in the
 *   experiment; ApiError.
 */
export async function compareVariants(
  client: RunledgerClient,
  summary: ExperimentSummary,
  options: CompareVariantsOptions = {},
): Promise<VariantComparison[]> {
  const names = summary.variants.map((v) => v.name);
  const baselineName = options.baseline ?? names[0];
  const base = summary.variants.find((v) => v.name === baselineName);
  if (!base) {
    throw new ExitError(
      EXIT_CODES.error,
      `--baseline "${options.baseline}" is not a variant of experiment ${summary.id} (variants: ${names.join(', ')})`,
    );
  }
  const scorer = options.scorer ?? summary.scorers[0];
  if (scorer === undefined) return [];
  if (!summary.scorers.includes(scorer)) {
    throw new ExitError(
      EXIT_CODES.error,
      `--scorer "${scorer}" is not a scorer of experiment ${summary.id} (scorers: ${summary.scorers.join(', ') || 'none'})`,
    );
  }
  const missing = new Set(summary.missingRunIds);
  const baseRun = base.runIds[0];
  const comparisons: VariantComparison[] = [];
  for (const variant of summary.variants) {
    if (variant.name === base.name) continue;
    const entry = { baseline: base.name, variant: variant.name };
    const run = variant.runIds[0];
    if (!baseRun || missing.has(baseRun) || !run || missing.has(run)) {
      comparisons.push({ ...entry, compare: null, skipped: 'a trial-0 run no longer exists' });
      continue;
    }
    const compare = await client.runs.compare(baseRun, run, {
      scorer,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    comparisons.push({ ...entry, compare });
  }
  return comparisons;
}

/** Each variant against the baseline, as `formatCompare` blocks under a `VARIANT vs BASELINE` line. */
export function formatVariantComparisons(comparisons: VariantComparison[]): string {
  return comparisons
    .map(
      (c) =>
        `\n${c.variant} vs ${c.baseline}` +
        (c.compare ? `: ${formatCompare(c.compare)}` : `: not compared (${c.skipped})\n`),
    )
    .join('');
}

/**
 * The warning of an experiment some of whose runs no longer exist, or null: its numbers then
 * cover the remaining runs only.
 */
export function incompleteWarning(summary: ExperimentDetails): string | null {
  if (!summary.incomplete && summary.missingRunIds.length === 0) return null;
  return (
    `warning: experiment ${summary.id} is incomplete: run(s) ${summary.missingRunIds.join(', ')} ` +
    'no longer exist (expired or deleted); its numbers cover the remaining runs only'
  );
}

/** One variant trial of a report row: its result (or none yet), output, error and pass per scorer. */
export interface ReportTrialRow {
  trialIndex: number;
  status: 'succeeded' | 'failed' | 'cancelled' | 'pending';
  output: unknown;
  error: { type: string; message: string } | null;
  /** Per scorer: passed, or null when unscored. */
  passed: Record<string, boolean | null>;
}

/** One item of `experiment-status --report`: the item and every variant's trials. */
export interface ReportRow {
  itemId: string;
  itemIndex: number;
  input: unknown;
  expectedOutput: unknown;
  /** Per variant name, one entry per trial (in trial order). */
  variants: Record<string, ReportTrialRow[]>;
}

/**
 * The rows of an experiment report: per item its input, expected output and, per variant and
 * trial, the output, error and pass per scorer. Read from every run's results (runs that no
 * longer exist are left out; see `incompleteWarning`).
 * @throws ApiError.
 */
export async function experimentReportRows(
  client: RunledgerClient,
  summary: ExperimentSummary,
): Promise<ReportRow[]> {
  const missing = new Set(summary.missingRunIds);
  const rows = new Map<string, ReportRow>();
  for (const variant of summary.variants) {
    for (const [trialIndex, runId] of variant.runIds.entries()) {
      if (missing.has(runId)) continue;
      for await (const page of client.runs.resultPages(runId, { limit: 500 })) {
        for (const r of page.results) {
          let row = rows.get(r.itemId);
          if (!row) {
            row = {
              itemId: r.itemId,
              itemIndex: r.itemIndex,
              input: r.input,
              expectedOutput: r.expectedOutput ?? null,
              variants: {},
            };
            rows.set(r.itemId, row);
          }
          const trials = row.variants[variant.name] ?? [];
          row.variants[variant.name] = trials;
          trials.push(trialRow(r, trialIndex, summary.scorers));
        }
      }
    }
  }
  return [...rows.values()].sort((a, b) => a.itemIndex - b.itemIndex);
}

function trialRow(r: Result, trialIndex: number, scorers: string[]): ReportTrialRow {
  const passed: Record<string, boolean | null> = {};
  for (const name of scorers) passed[name] = r.scores[name]?.passed ?? null;
  return {
    trialIndex,
    status: r.status,
    output: r.output ?? null,
    error: r.error ? { type: r.error.type, message: r.error.message } : null,
    passed,
  };
}

/**
 * True when the variants disagree on the item: some variant's outputs (over its trials, in
 * order) or pass/fail per scorer differ from another's (a missing variant counts as differing).
 */
export function variantsDisagree(row: ReportRow, variantNames: string[]): boolean {
  const keys = variantNames.map((name) => {
    const trials = row.variants[name];
    if (!trials) return '(none)';
    return JSON.stringify(
      trials.map((t) => [t.status === 'succeeded' ? t.output : `error:${t.error?.type}`, t.passed]),
    );
  });
  return new Set(keys).size > 1;
}

/** The gate subjects of an experiment: one per variant, over all its trials. */
export function variantSubjects(summary: ExperimentDetails): GateSubject[] {
  return summary.variants.map((v) => {
    const passRates: Record<string, number | null> = {};
    for (const name of summary.scorers) passRates[name] = v.scores[name]?.passRate ?? null;
    return {
      label: `variant ${v.name}`,
      status: v.status,
      failedItems: v.errors.count,
      passRates,
    };
  });
}

/** Everything `experiment --watch` and `experiment-status` print as text for a summary. */
export async function formatExperimentReadout(
  client: RunledgerClient,
  summary: ExperimentDetails,
  options: CompareVariantsOptions = {},
): Promise<string> {
  const comparisons = await compareVariants(client, summary, options);
  return formatExperimentTable(summary) + formatVariantComparisons(comparisons);
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
  /** How long `experiment --watch` keeps polling a lost API, ms (default 60 s). */
  reconnectForMs?: () => number | undefined;
}

interface ReadoutOptions {
  json?: boolean;
  baseline?: string;
  scorer?: string;
  seed?: number;
}

/** Registers `experiment`, `experiment-status`, `experiments list|get|delete` and `compare` on `program`. */
export function addExperimentCommands(program: Command, options: ExperimentCommandsOptions): void {
  const { out, err, fail } = options;
  const seedOption = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw fail(`--seed: not a non-negative integer: ${v}`);
    return n;
  };
  const readoutOptions = (command: Command) =>
    command
      .option('--baseline <variant>', 'compare every variant against this one (default: the first)')
      .option('--scorer <name>', "compare by this scorer (default: the experiment's first)")
      .option('--seed <n>', 'bootstrap seed of the comparisons', seedOption);

  /**
   * `<name> <id>` under `parent`: reads out experiment `id` (`readoutOptions`, and `--json` for
   * the summary as JSON); the command, for more options and its action.
   */
  const summaryCommand = (parent: Command, name: string, description: string) =>
    readoutOptions(
      parent.command(name).description(description).argument('<id>', 'the experiment id'),
    ).option('--json', 'print the summary as JSON');

  /** Prints a summary (JSON, or table and comparisons) and warns when it is incomplete. */
  const printSummary = async (
    api: RunledgerClient,
    summary: ExperimentDetails,
    opts: ReadoutOptions,
  ) => {
    const warning = incompleteWarning(summary);
    if (warning) err(`${warning}\n`);
    if (opts.json) {
      out(formatJson(summary));
      return;
    }
    out(
      await formatExperimentReadout(api, summary, {
        baseline: opts.baseline,
        scorer: opts.scorer,
        seed: opts.seed,
      }),
    );
  };

  /**
   * Watches experiment `id` to its end (a bar per variant; Ctrl-C stops the watching, exit 130),
   * prints its summary and checks `gates` per variant: `experiment --watch` and
   * `experiment-status --watch`.
   * @throws ExitError: 2 when it is incomplete (a run deleted) or a run did not complete, 3 or 4
   *   for a failed gate, 130 when interrupted.
   */
  const followExperiment = async (
    api: RunledgerClient,
    id: string,
    opts: ReadoutOptions,
    gates: Gates,
  ) => {
    const summary = await stopWatchOnInterrupt(
      (signal) =>
        watchExperiment(api, id, {
          progress: options.progress,
          reconnectForMs: options.reconnectForMs?.(),
          signal,
        }),
      `stopped watching experiment ${id}; its runs go on: follow it with "runledger experiment-status ${id} --watch"`,
    );
    await printSummary(api, summary, opts);
    const outcome = evaluateGates(variantSubjects(summary), gates);
    const failures = [...outcome.failures];
    let code = outcome.code;
    if (summary.incomplete || summary.missingRunIds.length > 0) {
      failures.unshift(`experiment ${summary.id} is incomplete`);
      code = EXIT_CODES.notCompleted;
    }
    if (code !== EXIT_CODES.ok) throw new ExitError(code, failures.join('\n'));
  };

  const experiment = program
    .command('experiment')
    .description(
      'create an experiment from a YAML file (name, dataset {file|items}, variants, scorers, trials)',
    )
    .argument('<file>', 'the experiment file (.yaml, .yml or .json)')
    .option(
      '--watch',
      'a progress bar per variant, then the comparison table and each variant against the baseline; exit 0 only if every run completed with no failed item and every gate held (per variant)',
    );
  readoutOptions(addGateOptions(experiment))
    .option('--json', 'print the summary (with --watch: the final one) as JSON')
    .action(async (file: string, opts: ReadoutOptions & GateOptions & { watch?: boolean }) => {
      const api = options.client();
      const gates: Gates = gatesOf(opts);
      if (!opts.watch && (opts.maxFailed !== undefined || opts.minPassRate.length > 0)) {
        throw fail('--max-failed and --min-pass-rate need --watch');
      }
      const spec = await loadExperimentFile(file);
      const gateProblem = checkGateScorers(
        gates,
        (spec.scorers ?? []).map((s) => s.name),
      );
      if (gateProblem) throw fail(gateProblem);
      const created = await api.experiments.create(spec);
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
      err(
        `created experiment ${created.id} (${created.variants.length} variants, ${runs} runs), live at ${dashboardUrl(api.baseUrl, `experiments/${created.id}`)}\n`,
      );
      await followExperiment(api, created.id, opts, gates);
    });

  const status = summaryCommand(
    program,
    'experiment-status',
    "an experiment's comparison table and each variant against the baseline (--report: per-item rows)",
  ).option(
    '--watch',
    'a progress bar per variant until every run ended, then the table; exit codes and gates as experiment --watch',
  );
  addGateOptions(status)
    .option(
      '--report',
      "print one JSON line per item: input, expected output, and each variant's output, error and pass per trial",
    )
    .option(
      '--disagreements',
      "with --report: only items where the variants' outputs or pass differ",
    )
    .action(
      async (
        id: string,
        opts: ReadoutOptions &
          GateOptions & { report?: boolean; disagreements?: boolean; watch?: boolean },
      ) => {
        const api = options.client();
        const gates: Gates = gatesOf(opts);
        if (!opts.watch && (opts.maxFailed !== undefined || opts.minPassRate.length > 0)) {
          throw fail('--max-failed and --min-pass-rate need --watch');
        }
        if (opts.disagreements && !opts.report) throw fail('--disagreements needs --report');
        if (opts.watch) {
          if (opts.report) throw fail('--watch and --report exclude each other');
          const gateProblem = checkGateScorers(gates, (await api.experiments.get(id)).scorers);
          if (gateProblem) throw fail(gateProblem);
          await followExperiment(api, id, opts, gates);
          return;
        }
        const summary = await api.experiments.get(id);
        if (opts.report) {
          const warning = incompleteWarning(summary);
          if (warning) err(`${warning}\n`);
          const names = summary.variants.map((v) => v.name);
          let rows = await experimentReportRows(api, summary);
          if (opts.disagreements) rows = rows.filter((row) => variantsDisagree(row, names));
          for (const row of rows) out(`${JSON.stringify(row)}\n`);
          err(`${rows.length} items${opts.disagreements ? ' where the variants disagree' : ''}\n`);
          return;
        }
        await printSummary(api, summary, opts);
      },
    );

  const experiments = program
    .command('experiments')
    .description('list, show and delete experiments');

  experiments
    .command('list')
    .description("the project's experiments, newest first")
    .option('--limit <n>', 'max experiments', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw fail(`--limit: not a positive integer: ${v}`);
      return n;
    })
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print {experiments, nextCursor} as JSON')
    .action(async (opts: { limit?: number; cursor?: string; json?: boolean }) => {
      const page = await options.client().experiments.list({
        limit: opts.limit ?? 20,
        ...(opts.cursor ? { cursor: opts.cursor } : {}),
      });
      if (opts.json) {
        out(formatJson(page));
        return;
      }
      out(
        page.experiments.length === 0
          ? 'no experiments\n'
          : formatTable(
              ['ID', 'CREATED', 'DATASET', 'TRIALS', 'VARIANTS', 'NAME'],
              page.experiments.map((e) => [
                e.id,
                e.createdAt,
                e.datasetId ? `${e.datasetId}@${e.datasetVersion ?? '-'}` : '-',
                String(e.trials),
                e.variants.map((v) => v.name).join(', '),
                e.name,
              ]),
            ),
      );
      if (page.nextCursor) err(`more: runledger experiments list --cursor ${page.nextCursor}\n`);
    });

  summaryCommand(
    experiments,
    'get',
    'the comparison table and each variant against the baseline (as experiment-status)',
  ).action(async (id: string, opts: ReadoutOptions) => {
    const api = options.client();
    await printSummary(api, await api.experiments.get(id), opts);
  });

  experiments
    .command('delete')
    .description('delete an experiment and every run of it')
    .argument('<id>', 'the experiment id')
    .action(async (id: string) => {
      await options.client().experiments.delete(id);
      out(`deleted experiment ${id} and its runs\n`);
    });

  program
    .command('compare')
    .description('compare run B against run A item by item (same dataset version)')
    .argument('<a>', 'the baseline run id')
    .argument('<b>', 'the candidate run id')
    .option('--scorer <name>', "the scorer to compare by (default: A's first scorer)")
    .option('--seed <n>', 'bootstrap seed', seedOption)
    .option('--json', 'print the comparison as JSON')
    .action(
      async (a: string, b: string, opts: { scorer?: string; seed?: number; json?: boolean }) => {
        const result = await options.client().runs.compare(a, b, {
          ...(opts.scorer ? { scorer: opts.scorer } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        });
        out(opts.json ? formatJson(result) : formatCompare(result));
      },
    );
}
