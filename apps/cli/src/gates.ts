/**
 * Exit codes a CI job can trust, and the gates of `--watch` (`--max-failed N`,
 * `--min-pass-rate [scorer=]RATE`): what `submit --watch`, `rerun --watch`, `runs get --watch`
 * and `experiment --watch` check once their run(s) ended.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { RunDetails } from './client.js';
import { percent } from './format.js';

/**
 * The exit codes of the `runledger` CLI. When several checks fail, the lowest code wins (a run
 * that did not complete is reported as 2 even if its pass rate is also low); every failed check
 * is printed on stderr.
 *
 * | code | meaning                                                                     |
 * | ---- | --------------------------------------------------------------------------- |
 * | 0    | ok (with `--watch`: every run completed, failed items within `--max-failed`, every gate held) |
 * | 1    | usage error, bad dataset/experiment file, or an API error (4xx/5xx, unreachable at the start) |
 * | 2    | a run did not complete: it ended `failed` or `cancelled`, an experiment is incomplete, or the watch gave up (the run goes on) |
 * | 3    | a run completed but more items failed than `--max-failed` allows (default 0) |
 * | 4    | a `--min-pass-rate` gate failed                                              |
 */
export const EXIT_CODES = {
  ok: 0,
  error: 1,
  notCompleted: 2,
  failedItems: 3,
  gateFailed: 4,
  /** Ctrl-C stopped a watch (128 + SIGINT, as a shell reports it); the runs go on. */
  interrupted: 130,
} as const;

/** One of `EXIT_CODES`. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/**
 * An error that ends the CLI with a given exit code; `message` is printed on stderr (one
 * `error: ` line per message line). `runCli` returns `code`.
 */
export class ExitError extends Error {
  override name = 'ExitError';
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** One `--min-pass-rate` gate: `scorer` null means every scorer of the run. `min` in [0, 1]. */
export interface PassRateGate {
  scorer: string | null;
  min: number;
}

/** The gates of a `--watch` command. `maxFailed`: failed items allowed per run (default 0). */
export interface Gates {
  maxFailed: number;
  minPassRates: PassRateGate[];
}

/** No gate beyond "completed with no failed item". */
export const DEFAULT_GATES: Gates = { maxFailed: 0, minPassRates: [] };

/**
 * Parses one `--min-pass-rate` value: `0.8`, `80%`, `exact_match=0.8` or `exact_match=80%`
 * (commander's repeatable-option reducer).
 * @throws InvalidArgumentError (commander prints it as a usage error, exit code 1).
 */
export function collectPassRateGate(value: string, previous: PassRateGate[]): PassRateGate[] {
  const eq = value.lastIndexOf('=');
  const scorer = eq === -1 ? null : value.slice(0, eq).trim();
  if (scorer === '') throw new InvalidArgumentError('expected [SCORER=]RATE, e.g. exact_match=0.8');
  const text = (eq === -1 ? value : value.slice(eq + 1)).trim();
  const percentSign = text.endsWith('%');
  const numeric = percentSign ? text.slice(0, -1).trim() : text;
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(numeric) ? Number(numeric) : Number.NaN;
  const min = percentSign ? n / 100 : n;
  if (!Number.isFinite(min) || min < 0 || min > 1) {
    throw new InvalidArgumentError('the rate must be in [0, 1] (e.g. 0.8) or a percentage (80%)');
  }
  return [...previous, { scorer, min }];
}

/** Parses `--max-failed N` (a non-negative integer). @throws InvalidArgumentError. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('must be a non-negative integer');
  }
  return n;
}

/**
 * Checks that every scorer a gate names is among `scorers` (the run's scorers), and that a
 * gate without scorer has at least one scorer to apply to.
 * @returns null when fine, else the message of the usage error.
 */
export function checkGateScorers(gates: Gates, scorers: string[]): string | null {
  for (const gate of gates.minPassRates) {
    if (gate.scorer === null) {
      if (scorers.length === 0) return '--min-pass-rate needs a scorer on the run (--scorer NAME)';
    } else if (!scorers.includes(gate.scorer)) {
      return `--min-pass-rate names scorer "${gate.scorer}", which the run does not have (scorers: ${scorers.join(', ') || 'none'})`;
    }
  }
  return null;
}

/** The outcome of checking one or more finished runs: `code` 0 when every check held. */
export interface GateOutcome {
  code: ExitCode;
  /** One line per failed check (empty when `code` is 0). */
  failures: string[];
}

/** What one subject (a run, or an experiment variant) offers to the gates. */
export interface GateSubject {
  /** How to name it in messages, e.g. `run 01J...` or `variant k5`. */
  label: string;
  /** `completed`, or what it ended as instead (`failed`, `cancelled`, ...). */
  status: string;
  /** Why it did not complete, if known. */
  error?: string | null;
  failedItems: number;
  /** Pass rate per scorer (`passed / totalItems`, in [0, 1]); null when unknown. */
  passRates: Record<string, number | null>;
}

/** A finished run as a `GateSubject`. */
export function runSubject(run: RunDetails): GateSubject {
  const passRates: Record<string, number | null> = {};
  for (const name of run.scorers.map((s) => s.name)) {
    const rate = run.scores[name]?.passRate;
    passRates[name] = typeof rate === 'number' ? rate : null;
  }
  return {
    label: `run ${run.id}`,
    status: run.status,
    error: run.error,
    failedItems: run.failedCount,
    passRates,
  };
}

/**
 * Checks finished subjects against `gates`: each must be `completed`, have at most
 * `gates.maxFailed` failed items, and meet every pass-rate gate.
 * @returns the exit code (the lowest failing one, see `EXIT_CODES`) and every failure, e.g.
 *   `gate failed: run X exact_match pass rate 62.5% < 80.0% (short by 17.5 pts)`.
 */
export function evaluateGates(subjects: GateSubject[], gates: Gates): GateOutcome {
  const failures: string[] = [];
  const codes: ExitCode[] = [];
  for (const s of subjects) {
    if (s.status !== 'completed') {
      codes.push(EXIT_CODES.notCompleted);
      failures.push(`${s.label} ended ${s.status}${s.error ? `: ${s.error}` : ''}`);
      continue;
    }
    if (s.failedItems > gates.maxFailed) {
      codes.push(EXIT_CODES.failedItems);
      failures.push(
        `${s.label}: ${s.failedItems} failed item${s.failedItems === 1 ? '' : 's'}, more than --max-failed ${gates.maxFailed} allows (over by ${s.failedItems - gates.maxFailed})`,
      );
    }
    for (const gate of gates.minPassRates) {
      const names = gate.scorer === null ? Object.keys(s.passRates) : [gate.scorer];
      for (const name of names) {
        const rate = s.passRates[name] ?? null;
        if (rate === null) {
          codes.push(EXIT_CODES.gateFailed);
          failures.push(
            `gate failed: ${s.label} has no ${name} pass rate (min ${percent(gate.min)})`,
          );
        } else if (rate < gate.min) {
          codes.push(EXIT_CODES.gateFailed);
          failures.push(
            `gate failed: ${s.label} ${name} pass rate ${percent(rate)} < ${percent(gate.min)} (short by ${((gate.min - rate) * 100).toFixed(1)} pts)`,
          );
        }
      }
    }
  }
  const code = codes.length === 0 ? EXIT_CODES.ok : (Math.min(...codes) as ExitCode);
  return { code, failures };
}

/** Throws an `ExitError` carrying `outcome` when it is not ok. */
export function throwUnlessOk(outcome: GateOutcome): void {
  if (outcome.code !== EXIT_CODES.ok)
    throw new ExitError(outcome.code, outcome.failures.join('\n'));
}

/** The gate options of a `--watch` command, as commander parses them. */
export interface GateOptions {
  maxFailed?: number;
  minPassRate: PassRateGate[];
}

/** Adds `--max-failed` and `--min-pass-rate` to `command` (used with `--watch`). */
export function addGateOptions(command: Command): Command {
  return command
    .option(
      '--max-failed <n>',
      'with --watch: allow up to N failed items per run (default 0; more: exit code 3)',
      nonNegativeInt,
    )
    .option(
      '--min-pass-rate <[scorer=]rate>',
      'with --watch: a gate, e.g. 0.8, 80% or exact_match=0.8 (no scorer: every scorer); repeatable; a miss: exit code 4',
      collectPassRateGate,
      [],
    );
}

/** The gates of parsed gate options. */
export function gatesOf(opts: GateOptions): Gates {
  return { maxFailed: opts.maxFailed ?? 0, minPassRates: opts.minPassRate };
}

/** How long `--watch` keeps reconnecting to a lost API: `RUNLEDGER_WATCH_RECONNECT_MS`, else 60 s. */
export function reconnectForMs(env: Record<string, string | undefined>): number | undefined {
  const value = env.RUNLEDGER_WATCH_RECONNECT_MS;
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new ExitError(
      EXIT_CODES.error,
      `RUNLEDGER_WATCH_RECONNECT_MS must be a number of ms, not "${value}"`,
    );
  }
  return n;
}
