/**
 * Exit codes a CI job can trust and the smaller CLI fixes of issue 7, end to end against an
 * in-process API and worker: all-failed runs, gates (`--max-failed`, `--min-pass-rate`), the
 * run summary (one pass rate, failed items by error type), CSV typing (`107` stays a string,
 * `:json` columns), errors printed once, `runs results --limit`, error text never cut, the
 * `PORT` default URL, the new `submit` flags, one dataset id for `submit` and `datasets push`,
 * and a quiet exit on a closed pipe.
 */
import { ApiError, EXIT_CODES, type RunDetails } from '@runledger/cli';
import { defineTarget, NonRetryableError, type Result, z } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import {
  jsonl,
  runCliCaptured,
  spawnCli,
  submitEcho,
  summaryFields,
  useCliServices,
} from './helpers/cli.js';
import { freePort } from './helpers/redis-server.js';

/** Answers its input as a string (`107` -> "107"): like a model, whose answers are text. */
const stringify = defineTarget({
  name: 'stringify',
  description: 'the input as text',
  // `model` only names the run's model (runs list --model)
  configSchema: z.object({ model: z.string().optional() }).strict(),
  async run(input) {
    return { output: typeof input === 'string' ? input : JSON.stringify(input) };
  },
});

/** A long error message (140 characters), thrown for every item. */
const LONG_MESSAGE = `upstream said no: ${'the quick brown fox jumps over the lazy dog '.repeat(3).trim()} (end of message)`;

/** Fails every item at once with `LONG_MESSAGE` (type `upstream_refused`). */
const refuse = defineTarget({
  name: 'refuse',
  description: 'fails every item',
  configSchema: z.object({}).strict(),
  async run() {
    throw new NonRetryableError(LONG_MESSAGE, 'upstream_refused');
  },
});

const { cli, file, apiUrl } = useCliServices('cli-exit', {
  env: {
    RUNLEDGER_TARGETS: '',
    // the http target may call loopback here (a model on 127.0.0.1)
    RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1',
    WORKER_SHUTDOWN_TIMEOUT_MS: '1000',
  },
  targets: [stringify, refuse],
});

const runIdOf = (stderr: string) => /created run ([0-9A-Z]{26})/.exec(stderr)?.[1] ?? '';

async function getRun(id: string): Promise<RunDetails> {
  const got = await cli(['runs', 'get', id, '--json']);
  expect(got.code, got.stderr).toBe(0);
  return JSON.parse(got.stdout) as RunDetails;
}

/**
 * `runledger submit <path> --target <target> <flags...> --watch`, where `flags` are arguments as
 * given then (at the end, optionally) an object of `--flag: value` pairs; the exit code, stdout,
 * stderr and `id`, the id of the run it created (`''` when none).
 */
async function submitWatched(
  path: string,
  target: string,
  ...flags: (string | Record<string, string>)[]
): Promise<{ code: number; stdout: string; stderr: string; id: string }> {
  const args = flags.flatMap((f) => (typeof f === 'string' ? [f] : Object.entries(f).flat()));
  const res = await cli(['submit', path, '--target', target, ...args, '--watch']);
  return { ...res, id: runIdOf(res.stderr) };
}

/** 3 of 4 items pass exact_match with the echo target. */
const ECHO_ITEMS = [
  { id: 'a', input: 'alpha', expectedOutput: 'alpha' },
  { id: 'b', input: 'beta', expectedOutput: 'beta' },
  { id: 'c', input: 'gamma', expectedOutput: 'GAMMA' },
  { id: 'd', input: 'delta', expectedOutput: 'delta' },
];

describe('exit codes', () => {
  it('the table is distinct and documented', () => {
    expect(EXIT_CODES).toEqual({
      ok: 0,
      error: 1,
      notCompleted: 2,
      failedItems: 3,
      gateFailed: 4,
      interrupted: 130,
    });
  });

  it('a completed run whose items all failed (http target, nothing listening) exits 3 and shows why', async () => {
    const port = await freePort();
    const items = ['q1', 'q2', 'q3'].map((input) => ({ input, expectedOutput: 'a' }));
    const path = file('refused.jsonl', jsonl(items));
    const config = JSON.stringify({ url: `http://127.0.0.1:${port}/` });
    const { code, stdout, stderr, id } = await submitWatched(path, 'http', '--config', config, {
      '--scorer': 'exact_match',
      '--max-attempts': '1',
    });
    expect(code).toBe(EXIT_CODES.failedItems);
    const run = await getRun(id);
    expect(run).toMatchObject({ status: 'completed', failedCount: 3, succeededCount: 0 });
    expect(run.errorTypes).toHaveLength(1);
    const [type] = run.errorTypes;
    expect(type?.count).toBe(3);
    const summary = summaryFields(stdout);
    expect(summary.status).toBe('completed');
    expect(summary.items).toBe('3 total, 3 done: 0 succeeded, 3 failed, 0 cancelled');
    expect(summary['score exact_match']).toBe(
      '0.0% passed (0/3 items): 0 failed, 3 errors; - of scored; mean -',
    );
    expect(summary[`errors ${type?.type}`]).toBe(`3 items, first: ${type?.message}`);
    expect(stderr).toContain(
      `error: run ${id}: 3 failed items, more than --max-failed 0 allows (over by 3)\n`,
    );
  });

  it('--max-failed allows that many failed items; one more exits 3', async () => {
    const path = file('refuse4.jsonl', jsonl([1, 2, 3, 4].map((n) => ({ input: n }))));
    const ok = await submitWatched(path, 'refuse', '--max-failed', '4');
    expect([ok.code, ok.stderr.includes('error:')]).toEqual([EXIT_CODES.ok, false]);
    const over = await submitWatched(path, 'refuse', '--max-failed', '3');
    expect(over.code).toBe(EXIT_CODES.failedItems);
    expect(over.stderr).toContain(
      'failed items, more than --max-failed 3 allows (over by 1)'.replace(
        'failed items',
        '4 failed items',
      ),
    );
  });

  it('a run that ends failed (--max-failures reached) exits 2', async () => {
    const path = file('refuse6.jsonl', jsonl([1, 2, 3, 4, 5, 6].map((n) => ({ input: n }))));
    const { code, stderr, id } = await submitWatched(path, 'refuse', '--max-failures', '2', {
      '--concurrency': '1',
    });
    expect(code).toBe(EXIT_CODES.notCompleted);
    const run = await getRun(id);
    expect(run.status).toBe('failed');
    expect(run.execution.maxFailures).toBe(2);
    expect(stderr).toContain(`error: run ${id} ended failed`);
  });

  it('rerun --watch of a run whose items fail again exits 3', async () => {
    const path = file('refuse2.jsonl', jsonl([{ input: 1 }, { input: 2 }]));
    const first = await submitWatched(path, 'refuse');
    expect(first.code).toBe(EXIT_CODES.failedItems);
    const rerun = await cli(['rerun', runIdOf(first.stderr), '--failed', '--watch']);
    expect(rerun.code).toBe(EXIT_CODES.failedItems);
    const allowed = await cli([
      'rerun',
      runIdOf(first.stderr),
      '--failed',
      '--watch',
      '--max-failed',
      '2',
    ]);
    expect(allowed.code).toBe(EXIT_CODES.ok);
    // the first run lists its reruns; --effective reads the latest result per item across them
    const original = runIdOf(first.stderr);
    const reruns = [runIdOf(rerun.stderr), runIdOf(allowed.stderr)];
    // each rerun --failed --watch ends its output with the original's effective counters (printed
    // before the failed-items error: the exit code still comes from the rerun's own items)
    expect(rerun.stdout.trimEnd().split('\n').at(-1)).toBe(
      `effective over 2 runs (${original}, ${reruns[0]}): 2 items: 0 succeeded, 2 failed, 0 cancelled, 0 pending`,
    );
    expect(allowed.stdout.trimEnd().split('\n').at(-1)).toBe(
      `effective over 3 runs (${[original, ...reruns].join(', ')}): 2 items: 0 succeeded, 2 failed, 0 cancelled, 0 pending`,
    );
    const shown = await cli(['runs', 'get', original]);
    expect(summaryFields(shown.stdout).reruns).toBe(reruns.join(', '));
    const effective = await cli(['runs', 'results', original, '--effective', '--format', 'jsonl']);
    expect(effective.code).toBe(0);
    const results = effective.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Result);
    expect(results.map((r) => [r.itemIndex, r.status])).toEqual([
      [0, 'failed'],
      [1, 'failed'],
    ]);
    expect(effective.stderr).toBe(
      `effective over 3 runs (${[original, ...reruns].join(', ')}): 2 items: 0 succeeded, 2 failed, 0 cancelled, 0 pending\n`,
    );
  });
});

describe('gates', () => {
  const path = () => file('echo4.jsonl', jsonl(ECHO_ITEMS));
  const submit = (...gates: string[]) =>
    cli(['submit', path(), '--target', 'echo', '--scorer', 'exact_match', '--watch', ...gates]);

  it('--min-pass-rate below the pass rate passes (0.75, 70%, exact_match=0.75)', async () => {
    for (const gate of ['0.75', '70%', 'exact_match=0.75']) {
      const { code, stderr } = await submit('--min-pass-rate', gate);
      expect([gate, code, stderr.includes('error:')]).toEqual([gate, EXIT_CODES.ok, false]);
    }
  });

  it('a missed gate exits 4 and says which gate and by how much', async () => {
    const { code, stdout, stderr } = await submit('--min-pass-rate', '0.8');
    expect(code).toBe(EXIT_CODES.gateFailed);
    const id = runIdOf(stderr);
    expect(summaryFields(stdout)['score exact_match']).toMatch(/^75\.0% passed \(3\/4 items\)/);
    expect(stderr).toContain(
      `error: gate failed: run ${id} exact_match pass rate 75.0% < 80.0% (short by 5.0 pts)\n`,
    );
    const named = await submit('--min-pass-rate', 'exact_match=90%');
    expect(named.code).toBe(EXIT_CODES.gateFailed);
    expect(named.stderr).toContain('exact_match pass rate 75.0% < 90.0% (short by 15.0 pts)');
  });

  it('every scorer is gated without a name; a named gate only its scorer', async () => {
    const both = ['--scorer', 'contains={"value":"a"}']; // and exact_match
    // contains "a": alpha, beta, gamma, delta all contain "a": 100%; exact_match 75%
    const all = await submit(...both, '--min-pass-rate', '0.8');
    expect(all.code).toBe(EXIT_CODES.gateFailed);
    expect(all.stderr).toContain('exact_match pass rate 75.0% < 80.0%');
    expect(all.stderr).not.toContain('contains pass rate');
    const one = await submit(...both, '--min-pass-rate', 'contains=0.8');
    expect(one.code).toBe(EXIT_CODES.ok);
  });

  it('refuses a gate on a scorer the run lacks, or without --watch, before submitting (exit 1)', async () => {
    const unknown = await submit('--min-pass-rate', 'regex=0.5');
    expect(unknown.code).toBe(EXIT_CODES.error);
    expect(unknown.stderr).toBe(
      'error: --min-pass-rate names scorer "regex", which the run does not have (scorers: exact_match)\n',
    );
    const noWatch = await cli(['submit', path(), '--target', 'echo', '--max-failed', '1']);
    expect(noWatch.code).toBe(EXIT_CODES.error);
    expect(noWatch.stderr).toBe('error: --max-failed and --min-pass-rate need --watch\n');
    const bad = await cli(['submit', path(), '--target', 'echo', '--min-pass-rate', '1.5']);
    expect(bad.code).toBe(EXIT_CODES.error);
    expect(bad.stderr).toContain('the rate must be in [0, 1]');
  });

  it('runs get --watch applies the gates to an existing run', async () => {
    const created = await cli(['submit', path(), '--target', 'echo', '--scorer', 'exact_match']);
    const id = /created run ([0-9A-Z]{26})/.exec(created.stdout)?.[1] ?? '';
    const gated = await cli(['runs', 'get', id, '--watch', '--min-pass-rate', '0.9']);
    expect(gated.code).toBe(EXIT_CODES.gateFailed);
    expect(summaryFields(gated.stdout).status).toBe('completed');
    const ok = await cli(['runs', 'get', id, '--watch']);
    expect(ok.code).toBe(EXIT_CODES.ok);
  });
});

describe('CSV typing', () => {
  it('"107" stays a string: a string-answering target scores 100% with exact_match', async () => {
    const path = file('qa.csv', 'id,input,expected_output\nq1,107,107\nq2,2.50,2.50\nq3,abc,abc\n');
    const { code, stdout } = await cli([
      'submit',
      path,
      '--target',
      'stringify',
      '--scorer',
      'exact_match',
      '--watch',
      '--min-pass-rate',
      '1',
    ]);
    expect(code).toBe(EXIT_CODES.ok);
    expect(summaryFields(stdout)['score exact_match']).toMatch(/^100\.0% passed \(3\/3 items\)/);
  });

  it('a :json column is parsed; bad JSON in it names line and column', async () => {
    const path = file(
      'typed.csv',
      'id,input:json,expectedOutput:json\nn1,"{""n"":107}","{""n"":107}"\nn2,"[1,2]","[1,2]"\n',
    );
    const { code, stdout, stderr } = await cli(
      submitEcho(path, '--scorer', 'json_equal', '--watch', '--json'),
    );
    expect(code, stderr).toBe(EXIT_CODES.ok);
    const run = JSON.parse(stdout) as RunDetails;
    expect(run.scores.json_equal).toMatchObject({ passed: 2, failed: 0, passRate: 1 });
    const bad = file('bad.csv', 'input:json\n"{""a"":1}"\n{oops}\n');
    const failed = await cli(['submit', bad, '--target', 'echo']);
    expect(failed.code).toBe(EXIT_CODES.error);
    expect(failed.stderr).toMatch(
      /^error: bad\.csv line 3: column "input:json": invalid JSON: .+\n$/,
    );
  });
});

describe('small things', () => {
  it('an API error is printed once, with the file line', async () => {
    const path = file(
      'dup.jsonl',
      jsonl([
        { id: 'x', input: 1 },
        { id: 'x', input: 2 },
      ]),
    );
    const { code, stderr } = await cli(['submit', path, '--target', 'echo']);
    expect(code).toBe(EXIT_CODES.error);
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr.match(/duplicate item id/g), stderr).toHaveLength(1);
    expect(stderr).toContain('dataset.items.1.id (dup.jsonl line 2): duplicate item id "x"');
  });

  it('ApiError says a detail once when errors[] repeats it', () => {
    expect(new ApiError(400, 'Bad Request', 'X', [{ path: '', message: 'X' }]).message).toBe(
      'Bad Request (400): X',
    );
    expect(
      new ApiError(400, 'Bad Request', 'invalid body: a.b: too big', [
        { path: 'a.b', message: 'too big', where: 'qa.jsonl line 3' },
        { path: 'c', message: 'missing' },
      ]).message,
    ).toBe('Bad Request (400): invalid body: a.b (qa.jsonl line 3): too big: c: missing');
    expect(new ApiError(404, 'Not Found', 'Not Found').message).toBe('Not Found (404)');
  });

  it('runs results --limit prints that many results; error text is never cut', async () => {
    const path = file(
      'refuse5.jsonl',
      jsonl([1, 2, 3, 4, 5].map((n) => ({ id: `r${n}`, input: n }))),
    );
    const submitted = await cli([
      'submit',
      path,
      '--target',
      'refuse',
      '--watch',
      '--max-failed',
      '5',
    ]);
    const id = runIdOf(submitted.stderr);
    const jsonlOut = await cli(['runs', 'results', id, '--format', 'jsonl', '--limit', '2']);
    expect(jsonlOut.code).toBe(0);
    const results = jsonlOut.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Result);
    expect(results.map((r) => r.itemId)).toEqual(['r1', 'r2']);
    const paged = await cli(['runs', 'results', id, '--limit', '3', '--page-size', '2']);
    expect(paged.stderr).toBe('3 results\n');
    const lines = paged.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^0 +r1 +failed +1 /);
    expect(lines[1]?.endsWith(`error: upstream_refused: ${LONG_MESSAGE}`)).toBe(true);
  });

  it('the API URL defaults to http://127.0.0.1:$PORT when RUNLEDGER_URL is unset', async () => {
    const port = new URL(apiUrl()).port;
    const viaPort = await runCliCaptured(['runs', 'list', '--json', '--limit', '1'], {
      PORT: port,
    });
    expect(viaPort.code).toBe(0);
    expect(JSON.parse(viaPort.stdout)).toHaveProperty('runs');
    const free = await freePort();
    const elsewhere = await runCliCaptured(['runs', 'list'], { PORT: String(free) });
    expect(elsewhere.stderr).toContain(
      `cannot reach the runledger API at http://127.0.0.1:${free}`,
    );
  });

  it('submit passes --backoff, --max-cost-usd, --max-failures, --timeout-ms, --max-attempts; --concurrency is fleet-wide', async () => {
    const path = file('flags.jsonl', jsonl([{ input: 1 }]));
    const { code, stdout } = await cli(
      submitEcho(
        path,
        '--backoff',
        'fixed:500',
        '--max-cost-usd',
        '2.5',
        '--max-failures',
        '3',
        '--timeout-ms',
        '1500',
        '--max-attempts',
        '4',
        '--json',
      ),
    );
    expect(code).toBe(0);
    const run = JSON.parse(stdout) as RunDetails;
    expect(run.execution).toMatchObject({
      backoff: { type: 'fixed', delayMs: 500 },
      maxCostUsd: 2.5,
      maxFailures: 3,
      timeoutMs: 1500,
      maxAttempts: 4,
    });
    const bad = await cli(['submit', path, '--target', 'echo', '--backoff', 'linear:5']);
    expect(bad.code).toBe(EXIT_CODES.error);
    expect(bad.stderr).toContain('expected fixed:MS or exponential:MS');
    const help = await cli(['submit', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      'max items of this run in flight across all workers (fleet-wide)',
    );
  });

  it('--wait-for-workers accepts a target no worker serves yet', async () => {
    const path = file('later.jsonl', jsonl([{ input: 1 }]));
    const refused = await cli(['submit', path, '--target', 'not-started-yet']);
    expect(refused.code).toBe(EXIT_CODES.error);
    expect(refused.stderr).toContain('unknown target "not-started-yet"');
    const waiting = await cli([
      'submit',
      path,
      '--target',
      'not-started-yet',
      '--wait-for-workers',
      '--json',
    ]);
    expect(waiting.code, waiting.stderr).toBe(0);
    const run = JSON.parse(waiting.stdout) as RunDetails;
    expect(run.status).toBe('queued');
    const cancelled = await cli(['runs', 'cancel', run.id]);
    expect(cancelled.code).toBe(0);
  });

  it('submit FILE and datasets push FILE give the same dataset id', async () => {
    const path = file('qa set.jsonl', jsonl([{ input: 1 }]));
    const pushed = await cli(['datasets', 'push', path, '--json']);
    expect(pushed.code, pushed.stderr).toBe(0);
    const dataset = JSON.parse(pushed.stdout) as { id: string };
    expect(dataset.id).toBe('qa-set');
    const submitted = await cli(['submit', path, '--target', 'echo', '--json']);
    expect((JSON.parse(submitted.stdout) as RunDetails).datasetId).toBe(dataset.id);
  });
});

describe('a closed pipe', () => {
  it('`runledger runs list | head` with head gone: exit 0, no stack trace', async () => {
    const child = spawnCli(['runs', 'list', '--json'], { RUNLEDGER_URL: apiUrl() });
    // the reader goes away before the CLI writes anything: its first write meets EPIPE
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('runs list --model', () => {
  it('lists the runs whose target.config.model is the one given, the model beside the target', async () => {
    const path = file('models.jsonl', jsonl([{ input: 1 }]));
    const ids: string[] = [];
    for (const model of ['m-one', 'm-two']) {
      const created = await cli([
        'submit',
        path,
        '--target',
        'stringify',
        '--config',
        JSON.stringify({ model }),
        '--json',
      ]);
      expect(created.code, created.stderr).toBe(0);
      ids.push((JSON.parse(created.stdout) as RunDetails).id);
    }
    const listed = await cli(['runs', 'list', '--model', 'm-two', '--json']);
    expect((JSON.parse(listed.stdout) as { runs: RunDetails[] }).runs.map((r) => r.id)).toEqual([
      ids[1],
    ]);
    const table = await cli(['runs', 'list', '--model', 'm-one']);
    expect(table.stdout.split('\n')[1]).toMatch(
      new RegExp(`^${ids[0]} +\\w+ +stringify \\(m-one\\) `),
    );
  });
});

describe('Ctrl-C during --watch', () => {
  it('stops the watch, not the run: exit 130 and how to follow or cancel it', async () => {
    const path = file('slow.jsonl', jsonl([{ input: 1 }, { input: 2 }]));
    const created = await cli([
      'submit',
      path,
      '--target',
      'echo',
      '--config',
      '{"delayMs":60000}',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as RunDetails).id;
    const child = spawnCli(['runs', 'get', id, '--watch'], { RUNLEDGER_URL: apiUrl() });
    let stderr = '';
    // interrupted once the watch drew its bar (it is following the run's events)
    const watching = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('0/2 items')) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await watching;
    child.kill('SIGINT');
    expect(await closed).toBe(EXIT_CODES.interrupted);
    expect(stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      `error: stopped watching run ${id}; it goes on: follow it with "runledger runs get ${id} --watch", stop it with "runledger runs cancel ${id}"`,
    ]);
    // the run was not touched (queued until the worker's first claim, then running)
    const run = await getRun(id);
    expect(['queued', 'running']).toContain(run.status);
    expect(run.cancelledCount).toBe(0);
    expect((await cli(['runs', 'cancel', id])).code).toBe(0);
  });
});
