/**
 * The `runledger` CLI: start the API and/or a worker, submit a dataset file (JSONL/CSV) with a
 * progress bar, and list, get, cancel, delete and export runs.
 *
 * Nothing runs on import: `bin/runledger.js` calls `main()`, and so does this file when it is the
 * entry point (`tsx apps/cli/src/main.ts ...`). Tests call `createProgram(io)` or `runCli(argv, io)`.
 */
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type Config,
  createLogger,
  loadConfig,
  parseScrubKinds,
  RESULT_STATUSES,
  RUN_STATUSES,
} from '@runledger/shared';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { addAuditCommand } from './audit.js';
import {
  createClient,
  type DatasetItem,
  type EffectiveSummary,
  givenFields,
  type NamedRef,
  type Run,
  RunledgerApiError,
  type RunledgerClient,
  type RunSpecHeaderInput,
  withFileLines,
} from './client.js';
import {
  addColumnOptions,
  type ColumnOptions,
  datasetIdFromFile,
  hasMapping,
  readDatasetFile,
  readOptionsOf,
} from './dataset-file.js';
import { addDatasetCommands } from './datasets.js';
import { addExperimentCommands } from './experiment.js';
import {
  dashboardUrl,
  formatEffective,
  formatJson,
  formatResultsTable,
  formatRunSummary,
  formatRunsTable,
  resultColumnWidths,
} from './format.js';
import {
  addGateOptions,
  checkGateScorers,
  EXIT_CODES,
  ExitError,
  type GateOptions,
  gatesOf,
  reconnectForMs,
} from './gates.js';
import { addKeysCommands } from './keys.js';
import { addRunLifecycleCommands } from './lifecycle.js';
import { sendDatasetFile } from './send-bar.js';
import { closeOnSignals, startServices } from './start.js';
import { followRun } from './watch.js';
import { addWorkersCommand } from './workers.js';

/** Where the CLI reads its environment and writes its output (tests pass their own). */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Environment variables (config). @defaultValue process.env */
  env: Record<string, string | undefined>;
  /** Where `submit --watch` draws its progress bar; null: none. @defaultValue stderr */
  progress: NodeJS.WritableStream | null;
}

/** Datasets bigger than this (bytes) are streamed as NDJSON instead of one JSON body. */
export const STREAM_THRESHOLD_BYTES = 4 * 1024 * 1024;

/** A usage error found by the CLI itself (exit code 1, one line). */
export class CliError extends Error {
  override name = 'CliError';
}

/**
 * Builds the commander program. Actions throw on error (ApiError, DatasetFileError, CliError,
 * ...); `runCli` turns those into one line on stderr and exit code 1. Commander's own usage
 * errors throw a `CommanderError` (exitOverride).
 */
export function createProgram(ioOptions: Partial<CliIo> = {}): Command {
  const io: CliIo = {
    stdout: ioOptions.stdout ?? process.stdout,
    stderr: ioOptions.stderr ?? process.stderr,
    env: ioOptions.env ?? process.env,
    progress:
      ioOptions.progress === undefined ? (ioOptions.stderr ?? process.stderr) : ioOptions.progress,
  };
  const out = (text: string) => io.stdout.write(text);
  const err = (text: string) => io.stderr.write(text);
  const fail = (message: string) => new CliError(message);
  const program = new Command('runledger');
  program
    .description('runledger: a queue-driven, distributed run tracker for evaluation runs')
    .option(
      '--url <url>',
      'the API address (default: RUNLEDGER_URL, else http://127.0.0.1:$PORT, else http://127.0.0.1:3000)',
    )
    .exitOverride()
    .configureOutput({
      writeOut: out,
      writeErr: err,
    })
    .showHelpAfterError('(run with --help for usage)');

  const config = (overrides: Record<string, string | undefined> = {}): Config => {
    const env = { ...io.env };
    for (const [key, value] of Object.entries(overrides)) if (value !== undefined) env[key] = value;
    const url = program.opts<{ url?: string }>().url;
    if (url) env.RUNLEDGER_URL = url;
    else if (!env.RUNLEDGER_URL && env.PORT && /^[1-9]\d*$/.test(env.PORT.trim())) {
      env.RUNLEDGER_URL = `http://127.0.0.1:${env.PORT.trim()}`;
    }
    return loadConfig(env);
  };
  const client = (): RunledgerClient => {
    const { RUNLEDGER_URL, RUNLEDGER_API_KEY } = config();
    return createClient({
      baseUrl: RUNLEDGER_URL,
      ...(RUNLEDGER_API_KEY ? { apiKey: RUNLEDGER_API_KEY } : {}),
    });
  };

  // ------------------------------------------------------------------ processes

  program
    .command('start')
    .description(
      'start the API and a worker in this process (launches a private redis-server when REDIS_URL is unset and nothing answers on 127.0.0.1:6379)',
    )
    .option('--port <port>', 'API port (default: PORT or 3000; 0 picks a free one)')
    .option('--host <host>', 'API host (default: HOST or 127.0.0.1)')
    .option(
      '--targets <modules>',
      'comma-separated modules registering targets/scorers (RUNLEDGER_TARGETS)',
    )
    .option('--workers <n>', 'number of in-process workers', positiveInt, 1)
    .option('--redis-dir <dir>', 'data dir of a private redis-server', '.runledger/redis')
    .action(
      async (opts: {
        port?: string;
        host?: string;
        targets?: string;
        workers: number;
        redisDir: string;
      }) => {
        await serve(io, 'runledger', {
          config: config({ PORT: opts.port, HOST: opts.host, RUNLEDGER_TARGETS: opts.targets }),
          api: true,
          workers: opts.workers,
          launchRedis: true,
          redisDir: opts.redisDir,
          allowLoopbackTargets: true,
        });
      },
    );

  program
    .command('api')
    .description('start the HTTP API only')
    .option('--port <port>', 'port (default: PORT or 3000; 0 picks a free one)')
    .option('--host <host>', 'host (default: HOST or 127.0.0.1)')
    .action(async (opts: { port?: string; host?: string }) => {
      await serve(io, 'api', {
        config: config({ PORT: opts.port, HOST: opts.host }),
        api: true,
        workers: 0,
        launchRedis: false,
      });
    });

  program
    .command('worker')
    .description('start a worker only (scale out by starting more, on any machine)')
    .option(
      '--targets <modules>',
      'comma-separated modules registering targets/scorers (RUNLEDGER_TARGETS)',
    )
    .option('--concurrency <n>', 'max items in flight in this process (WORKER_CONCURRENCY)')
    .action(async (opts: { targets?: string; concurrency?: string }) => {
      await serve(io, 'worker', {
        config: config({ RUNLEDGER_TARGETS: opts.targets, WORKER_CONCURRENCY: opts.concurrency }),
        api: false,
        workers: 1,
        launchRedis: false,
      });
    });

  // ------------------------------------------------------------------ submit

  const submit = program
    .command('submit')
    .description(
      'submit a dataset file (.jsonl, .ndjson or .csv), or a stored dataset (--dataset), as a run',
    )
    .argument(
      '[file]',
      'the dataset: JSONL {id?, input, expectedOutput?, metadata?} a line, or CSV with a header row',
    )
    .requiredOption(
      '--target <name>',
      'the target that executes each item (e.g. http, or a registered name)',
    )
    .option('--config <json>', "the target's config, a JSON object", jsonObject)
    .option(
      '--scorer <name[=json]>',
      'a scorer, with an optional JSON config (repeatable)',
      collectScorer,
      [],
    )
    .option('--name <name>', 'a name for the run')
    .option('--tag <tag>', 'a tag (repeatable)', collect, [])
    .option(
      '--dataset <id[@version]>',
      'run over a stored dataset version (default: the latest) instead of a file',
    )
    .option('--dataset-id <id>', 'the dataset id (default: the file name)')
    .option('--dataset-version <version>', 'the dataset version')
    .option('--max-attempts <n>', 'attempts per item', positiveInt)
    .option('--timeout-ms <n>', 'timeout of one attempt, ms', positiveInt)
    .option(
      '--concurrency <n>',
      'max items of this run in flight across all workers (fleet-wide)',
      positiveInt,
    )
    .option(
      '--backoff <type:ms>',
      'delay between attempts: fixed:MS or exponential:MS (first delay, doubling), e.g. exponential:1000',
      parseBackoff,
    )
    .option('--max-failures <n>', 'end the run failed once this many items failed', positiveInt)
    .option(
      '--max-cost-usd <usd>',
      'end the run failed once its cost reaches this, USD',
      positiveNumber,
    )
    .option(
      '--wait-for-workers',
      'accept a target no live worker serves yet (the run waits for workers that start later)',
    )
    .option(
      '--retention-seconds <n>',
      "how long the finished run's data is kept, seconds",
      positiveInt,
    )
    .option('--idempotency-key <key>', 'submitting again with the same key returns the same run')
    .option(
      '--scrub <kinds>',
      "mask PII before it is stored: all, none, or kinds among secret,email,card,ip,phone (default: the server's RUNLEDGER_SCRUB)",
      parseScrubOption,
    )
    .option(
      '--scrub-pattern <name=regex>',
      'also mask matches of a regex as [name] (repeatable)',
      collectScrubPattern,
      [],
    )
    .option(
      '--stream',
      `send the items as an NDJSON stream (automatic above ${STREAM_THRESHOLD_BYTES / 1024 / 1024} MiB)`,
    )
    .option(
      '--watch',
      'follow the run with a progress bar, print its summary, and exit 0 only if it completed with no failed item and every gate held (exit codes: see README)',
    );
  addGateOptions(addColumnOptions(submit))
    .option('--json', 'print the created (or, with --watch, finished) run as JSON')
    .action(async (fileArg: string | undefined, opts: SubmitOptions) => {
      const api = client();
      const gates = gatesOf(opts);
      const gateProblem = checkGateScorers(
        gates,
        opts.scorer.map((s) => s.name),
      );
      if (gateProblem) throw new CliError(gateProblem);
      if (!opts.watch && (opts.maxFailed !== undefined || opts.minPassRate.length > 0)) {
        throw new CliError('--max-failed and --min-pass-rate need --watch');
      }
      if (opts.dataset !== undefined && fileArg !== undefined) {
        throw new CliError('give a file or --dataset, not both');
      }
      if (opts.dataset === undefined && fileArg === undefined) {
        throw new CliError('give a dataset file, or --dataset ID[@VERSION] for a stored dataset');
      }
      const readOptions = readOptionsOf(opts);
      if (opts.dataset !== undefined && hasMapping(readOptions.columns)) {
        throw new CliError(
          '--input-column, --expected-column and --id-column read a file: a stored dataset has its items already',
        );
      }
      const stored = opts.dataset === undefined ? null : parseDatasetRef(opts.dataset);
      const file = fileArg ?? '';
      const header: RunSpecHeaderInput = {
        target: { name: opts.target, ...(opts.config ? { config: opts.config } : {}) },
        dataset: stored ?? {
          id: opts.datasetId ?? datasetIdFromFile(file),
          ...(opts.datasetVersion ? { version: opts.datasetVersion } : {}),
        },
        scorers: opts.scorer,
        tags: opts.tag,
      };
      if (opts.name) header.name = opts.name;
      const execution: NonNullable<RunSpecHeaderInput['execution']> = {};
      if (opts.maxAttempts !== undefined) execution.maxAttempts = opts.maxAttempts;
      if (opts.timeoutMs !== undefined) execution.timeoutMs = opts.timeoutMs;
      if (opts.concurrency !== undefined) execution.concurrency = opts.concurrency;
      if (opts.backoff !== undefined) execution.backoff = opts.backoff;
      if (opts.maxFailures !== undefined) execution.maxFailures = opts.maxFailures;
      if (opts.maxCostUsd !== undefined) execution.maxCostUsd = opts.maxCostUsd;
      if (opts.waitForWorkers) execution.waitForWorkers = true;
      if (Object.keys(execution).length > 0) header.execution = execution;
      if (opts.retentionSeconds !== undefined)
        header.retention = { ttlSeconds: opts.retentionSeconds };
      if (opts.scrub !== undefined || opts.scrubPattern.length > 0) {
        header.privacy = {
          ...(opts.scrub !== undefined ? { scrub: opts.scrub } : {}),
          ...(opts.scrubPattern.length > 0 ? { patterns: opts.scrubPattern } : {}),
        };
      }
      const requestOptions = opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {};

      const lines: number[] = [];
      let created: Run;
      try {
        const size = stored ? 0 : ((await stat(file).catch(() => null))?.size ?? 0);
        if (stored) {
          created = await api.runs.create({ ...header, dataset: stored }, requestOptions);
        } else if (opts.stream || size > STREAM_THRESHOLD_BYTES) {
          created = await sendDatasetFile(io.progress, file, size, readOptions, lines, (items) =>
            api.runs.createStream(header, items, requestOptions),
          );
        } else {
          const items: DatasetItem[] = [];
          for await (const record of readDatasetFile(file, readOptions)) {
            lines.push(record.line);
            items.push(record.item);
          }
          created = await api.runs.create(
            { ...header, dataset: { ...header.dataset, items } },
            requestOptions,
          );
        }
      } catch (err) {
        throw err instanceof RunledgerApiError ? withFileLines(err, basename(file), lines) : err;
      }
      if (!opts.watch) {
        if (opts.json) out(formatJson(created));
        else {
          out(
            `created run ${created.id}: ${created.totalItems} items, target ${created.target.name}, status ${created.status}\n`,
          );
          out(`follow it: runledger runs get ${created.id}\n`);
        }
        return;
      }
      err(
        `created run ${created.id} (${created.totalItems} items, target ${created.target.name}), live at ${dashboardUrl(api.baseUrl, `runs/${created.id}`)}\n`,
      );
      await followRun(api, created.id, {
        progress: io.progress,
        json: opts.json,
        out,
        err,
        gates,
        reconnectForMs: reconnectForMs(io.env),
      });
    });

  // ------------------------------------------------------------------ runs

  const runs = program
    .command('runs')
    .description('list, inspect, cancel, delete, export, clean up, archive and restore runs');

  runs
    .command('list')
    .description('list runs, newest first')
    .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES))
    .option('--target <name>', 'only runs of this target')
    .option('--model <model>', 'only runs whose target.config.model is this (e.g. gpt-4o-mini)')
    .option('--tag <tag>', 'only runs with this tag')
    .option('--limit <n>', 'max runs', positiveInt, 20)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print {runs, nextCursor} as JSON')
    .action(
      async (opts: {
        status?: Run['status'];
        target?: string;
        model?: string;
        tag?: string;
        limit: number;
        cursor?: string;
        json?: boolean;
      }) => {
        const page = await client().runs.list({
          limit: opts.limit,
          ...givenFields({
            status: opts.status,
            target: opts.target,
            model: opts.model,
            tag: opts.tag,
            cursor: opts.cursor,
          }),
        });
        if (opts.json) {
          out(formatJson(page));
          return;
        }
        out(page.runs.length === 0 ? 'no runs\n' : formatRunsTable(page.runs));
        if (page.nextCursor) err(`more: runledger runs list --cursor ${page.nextCursor}\n`);
      },
    );

  const runsGet = runs
    .command('get')
    .description("show a run's summary (--watch: follow it to its end first)")
    .argument('<id>', 'the run id')
    .option(
      '--watch',
      'follow the run to its end, print its summary, and exit 0 only if it completed with no failed item and every gate held',
    );
  addGateOptions(runsGet)
    .option('--json', 'print the run as JSON')
    .action(async (id: string, opts: GateOptions & { json?: boolean; watch?: boolean }) => {
      const api = client();
      if (!opts.watch) {
        if (opts.maxFailed !== undefined || opts.minPassRate.length > 0) {
          throw new CliError('--max-failed and --min-pass-rate need --watch');
        }
        const run = await api.runs.get(id);
        out(opts.json ? formatJson(run) : formatRunSummary(run, api.baseUrl));
        return;
      }
      await followRun(api, id, {
        progress: io.progress,
        json: opts.json,
        out,
        err,
        gates: gatesOf(opts),
        reconnectForMs: reconnectForMs(io.env),
      });
    });

  runs
    .command('cancel')
    .description('cancel a run: no new item of it starts anywhere; items in flight are aborted')
    .argument('<id>', 'the run id')
    .action(async (id: string) => {
      const run = await client().runs.cancel(id);
      if (run.status !== 'cancelled') {
        out(`run ${run.id} is ${run.status}\n`);
        return;
      }
      const n = (x: number) => x.toLocaleString('en-US');
      out(
        `run ${run.id} cancelled: ${n(run.cancelledCount)} of ${n(run.totalItems)} items ` +
          `cancelled (${n(run.succeededCount)} succeeded and ${n(run.failedCount)} failed before)\n`,
      );
    });

  runs
    .command('delete')
    .description('delete a run and all its results')
    .argument('<id>', 'the run id')
    .action(async (id: string) => {
      await client().runs.delete(id);
      out(`run ${id} deleted\n`);
    });

  runs
    .command('results')
    .description("export a run's results (every page), in item order")
    .argument('<id>', 'the run id')
    .addOption(
      new Option('--status <status>', 'only results with this status').choices(RESULT_STATUSES),
    )
    .option(
      '--not-passed <scorer>',
      'only results that did not pass this scorer (wrong answers, and failed or cancelled items: as the pass rate counts them)',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'jsonl']).default('table'),
    )
    .option('--limit <n>', 'print at most this many results (default: all)', positiveInt)
    .option('--page-size <n>', 'results fetched per request', positiveInt, 500)
    .option(
      '--wide',
      'never shorten item ids, expected outputs or outputs in the table (errors are never cut)',
    )
    .option(
      '--effective',
      'per item, the latest result across the run and its reruns; prints the effective counters and scores on stderr',
    )
    .action(
      async (
        id: string,
        opts: {
          status?: (typeof RESULT_STATUSES)[number];
          notPassed?: string;
          format: 'table' | 'jsonl';
          limit?: number;
          pageSize: number;
          wide?: boolean;
          effective?: boolean;
        },
      ) => {
        let count = 0;
        let widths: number[] | null = null;
        const limit = opts.limit ?? Number.POSITIVE_INFINITY;
        const wide = opts.wide ?? false;
        const pages = client().runs.resultPages(id, {
          limit: Math.min(opts.pageSize, limit),
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.notPassed ? { scorer: opts.notPassed, passed: false } : {}),
          ...(opts.effective ? { effective: true } : {}),
        });
        let effective: EffectiveSummary | undefined;
        for await (const page of pages) {
          effective ??= page.effective;
          const results = page.results.slice(0, limit - count);
          if (results.length > 0) {
            if (opts.format === 'jsonl') {
              out(`${results.map((r) => JSON.stringify(r)).join('\n')}\n`);
            } else {
              widths ??= resultColumnWidths(results, { wide });
              out(formatResultsTable(results, { header: count === 0, widths, wide }));
            }
            count += results.length;
          }
          if (count >= limit) break;
        }
        if (opts.format === 'table') err(`${count} results\n`);
        if (effective) err(formatEffective(effective));
      },
    );

  addRunLifecycleCommands(runs, { client, out, err, fail });

  // ------------------------------------------------------------------ keys

  addKeysCommands(program, { config: () => config(), out, err, fail });
  addAuditCommand(program, { client, out, err });
  addWorkersCommand(program, { client, out });

  // ------------------------------------------------------------------ datasets, export, rerun

  addDatasetCommands(program, {
    client,
    out,
    err,
    stdout: io.stdout,
    progress: io.progress,
    fail,
    reconnectForMs: () => reconnectForMs(io.env),
  });

  // ------------------------------------------------------------------ experiments, compare

  addExperimentCommands(program, {
    client,
    out,
    err,
    progress: io.progress,
    fail,
    reconnectForMs: () => reconnectForMs(io.env),
  });

  return program;
}

interface SubmitOptions extends GateOptions, ColumnOptions {
  target: string;
  config?: Record<string, unknown>;
  scorer: NamedRef[];
  name?: string;
  tag: string[];
  dataset?: string;
  datasetId?: string;
  datasetVersion?: string;
  maxAttempts?: number;
  timeoutMs?: number;
  concurrency?: number;
  backoff?: { type: 'fixed' | 'exponential'; delayMs: number };
  maxFailures?: number;
  maxCostUsd?: number;
  waitForWorkers?: boolean;
  retentionSeconds?: number;
  idempotencyKey?: string;
  /** `--scrub`: `all` or kinds (`[]` for `none`). */
  scrub?: 'all' | string[];
  scrubPattern: { name: string; regex: string }[];
  stream?: boolean;
  watch?: boolean;
  json?: boolean;
}

interface ServeOptions {
  config: Config;
  api: boolean;
  workers: number;
  launchRedis: boolean;
  redisDir?: string;
  allowLoopbackTargets?: boolean;
}

/** Starts services, logs where they are, and waits for SIGTERM/SIGINT to stop them. */
async function serve(io: CliIo, name: string, options: ServeOptions): Promise<void> {
  const logger = createLogger({ level: options.config.LOG_LEVEL, name });
  const services = await startServices({
    config: options.config,
    logger,
    api: options.api,
    workers: options.workers,
    redisUrlGiven: Boolean(io.env.REDIS_URL),
    launchRedis: options.launchRedis,
    ...(options.redisDir ? { redisDir: options.redisDir } : {}),
    allowLoopbackTargets: options.allowLoopbackTargets ?? false,
  });
  logger.info(
    {
      url: services.apiUrl,
      workers: services.workerIds,
      redis: services.redis.launched ? services.redis.url : 'external',
    },
    (services.apiUrl
      ? `runledger API on ${services.apiUrl}${options.workers > 0 ? ` with ${options.workers} worker(s)` : ''}; Ctrl-C to stop`
      : `runledger worker ${services.workerIds.join(', ')} started; Ctrl-C to stop`) +
      (services.note ? `; ${services.note}` : ''),
  );
  await closeOnSignals(services, logger);
}

/** `ID` or `ID@VERSION` of `submit --dataset`. */
function parseDatasetRef(value: string): { id: string; version?: string } {
  const at = value.lastIndexOf('@');
  if (at === -1) return { id: value };
  const id = value.slice(0, at);
  const version = value.slice(at + 1);
  if (!id || !version) throw new CliError(`--dataset must be ID or ID@VERSION, not "${value}"`);
  return { id, version };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('must be a positive number');
  }
  return n;
}

/** `--backoff fixed:500` or `exponential:1000` (ms; the exponential delay doubles per attempt). */
function parseBackoff(value: string): { type: 'fixed' | 'exponential'; delayMs: number } {
  const match = /^(fixed|exponential):(\d+)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected fixed:MS or exponential:MS, e.g. fixed:500');
  return { type: match[1] as 'fixed' | 'exponential', delayMs: Number(match[2]) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--scrub`: `all`, `none` (nothing) or a comma-separated list of kinds. */
function parseScrubOption(value: string): 'all' | string[] {
  if (value.trim().toLowerCase() === 'all') return 'all';
  try {
    return parseScrubKinds(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** `--scrub-pattern name=regex` (the regex is checked by the API: 400 naming it). */
function collectScrubPattern(
  value: string,
  previous: { name: string; regex: string }[],
): { name: string; regex: string }[] {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) {
    throw new InvalidArgumentError('expected name=regex, e.g. employee_id=EMP-\\d{6}');
  }
  return [...previous, { name: value.slice(0, eq), regex: value.slice(eq + 1) }];
}

function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(`not valid JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"k": 3}\'');
  }
  return parsed as Record<string, unknown>;
}

function collectScorer(value: string, previous: NamedRef[]): NamedRef[] {
  const eq = value.indexOf('=');
  if (eq === -1) return [...previous, { name: value.trim() }];
  const name = value.slice(0, eq).trim();
  if (!name) throw new InvalidArgumentError('expected NAME or NAME={json config}');
  return [...previous, { name, config: jsonObject(value.slice(eq + 1)) }];
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code (see
 * `EXIT_CODES`): 0 on success; an `ExitError`'s code (its lines printed on stderr, each as
 * `error: ...`); 1 on any other error (one line `error: ...`); commander's code on usage errors.
 */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const stderr = io.stderr ?? process.stderr;
  const program = createProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_CODES.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ExitError) {
      for (const line of err.message.split('\n').filter(Boolean)) stderr.write(`error: ${line}\n`);
      return err.code;
    }
    stderr.write(`error: ${oneLine(err)}\n`);
    return EXIT_CODES.error;
  }
}

/** True for the error of writing to a closed pipe (`runledger ... | head`). */
export function isClosedPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
}

/** The process entry: runs the CLI on `process.argv` and sets the exit code. */
export async function main(): Promise<void> {
  // `runledger runs results ID | head`: once head exits, stdout is a closed pipe; stop quietly
  // (no stack trace, exit code 0) instead of failing on the next write.
  process.stdout.on('error', (err) => {
    if (isClosedPipe(err)) process.exit(EXIT_CODES.ok);
    throw err;
  });
  const code = await runCli(process.argv.slice(2));
  process.exitCode = code;
  // Everything is closed by now; do not let a stray handle keep the process alive.
  setTimeout(() => process.exit(code), 3000).unref();
}

/** True when the module at `moduleUrl` (its `import.meta.url`) is the script node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint(import.meta.url)) void main();
