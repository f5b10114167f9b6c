import type { Result, Run } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import { jsonl, submitEcho, summaryFields, useCliServices } from './helpers/cli.js';
import { waitFor } from './helpers/context.js';
import { freePort } from './helpers/redis-server.js';

const { cli, file, apiUrl } = useCliServices('cli', {
  env: { WORKER_LOCK_MS: '2000', WORKER_SHUTDOWN_TIMEOUT_MS: '1000' },
});

const ITEMS = [
  { id: 'a', input: 'alpha', expectedOutput: 'alpha' },
  { id: 'b', input: { x: 1 }, expectedOutput: { x: 1 } },
  { id: 'c', input: 'gamma', expectedOutput: 'GAMMA' },
  { id: 'd', input: 42, expectedOutput: 42 },
];

describe('submit --watch', () => {
  let runId = '';

  it('follows the run to its end and prints the summary table', async () => {
    const path = file('small.jsonl', jsonl(ITEMS));
    const { code, stdout, stderr } = await cli(
      submitEcho(
        path,
        '--scorer',
        'exact_match',
        '--name',
        'cli smoke',
        '--tag',
        'cli',
        '--tag',
        'smoke',
        '--max-attempts',
        '2',
        '--timeout-ms',
        '5000',
        '--watch',
      ),
    );
    expect(stderr).toMatch(
      /^created run ([0-9A-Z]{26}) \(4 items, target echo\), live at http:\/\/127\.0\.0\.1:\d+\/runs\/\1\n$/,
    );
    expect(code).toBe(0);
    runId = /created run ([0-9A-Z]{26})/.exec(stderr)?.[1] ?? '';
    const summary = summaryFields(stdout);
    expect(summary.run).toBe(`${runId} (cli smoke)`);
    expect(summary.status).toBe('completed');
    expect(summary.target).toBe('echo');
    expect(summary.dataset).toMatch(/^small@sha256:[0-9a-f]{16}$/);
    expect(summary.items).toBe('4 total, 4 done: 4 succeeded, 0 failed, 0 cancelled');
    expect(summary['score exact_match']).toBe(
      '75.0% passed (3/4 items): 1 failed, 0 errors; 75.0% of scored; mean 0.750',
    );
    expect(summary.latency).toMatch(
      /^p50 \d+(\.\d+)? ms, p90 \d+(\.\d+)? ms, p99 \d+(\.\d+)? ms \(mean \d+(\.\d+)? ms, max \d+(\.\d+)? ms\)$/,
    );
    expect(summary.usage).toBe('0 input tokens, 0 output tokens');
    expect(summary.cost).toBe('$0.0000');
    expect(summary.completed).toMatch(/^\d{4}-\d\d-\d\dT.+Z \(took \d+\.\d s\)$/);
    // the last line: the run's page on the dashboard the API serves
    expect(summary.dashboard).toBe(`${apiUrl()}/runs/${runId}`);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^dashboard +http/);
  });

  it('runs get prints the same run; --json gives the API object', async () => {
    const text = await cli(['runs', 'get', runId]);
    expect(text.code).toBe(0);
    expect(summaryFields(text.stdout).status).toBe('completed');
    const json = await cli(['runs', 'get', runId, '--json']);
    const run = JSON.parse(json.stdout) as Run;
    expect(run).toMatchObject({
      id: runId,
      name: 'cli smoke',
      status: 'completed',
      target: { name: 'echo' },
      datasetId: 'small',
      totalItems: 4,
      succeededCount: 4,
      failedCount: 0,
      cancelledCount: 0,
      tags: ['cli', 'smoke'],
      scores: { exact_match: { passed: 3, failed: 1 } },
    });
    expect(run.execution).toMatchObject({ maxAttempts: 2, timeoutMs: 5000 });
  });

  it('runs list shows it, filtered by status', async () => {
    const list = await cli(['runs', 'list', '--limit', '10']);
    expect(list.code).toBe(0);
    const header = list.stdout.split('\n')[0];
    expect(header).toMatch(/^ID +STATUS +TARGET +DONE +FAILED +SCORES +CREATED +NAME$/);
    const row = list.stdout.split('\n').find((l) => l.startsWith(runId));
    expect(row).toMatch(
      new RegExp(`^${runId} +completed +echo +4/4 +0 +exact_match 75\\.0% +\\S+ +cli smoke$`),
    );
    const cancelled = await cli(['runs', 'list', '--status', 'cancelled', '--json']);
    const page = JSON.parse(cancelled.stdout) as { runs: Run[] };
    expect(page.runs.some((r) => r.id === runId)).toBe(false);
    const completed = await cli(['runs', 'list', '--status', 'completed', '--json']);
    expect((JSON.parse(completed.stdout) as { runs: Run[] }).runs.map((r) => r.id)).toContain(
      runId,
    );
    const bad = await cli(['runs', 'list', '--status', 'done']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("argument 'done' is invalid");
  });

  it('runs results --format jsonl exports every page in item order', async () => {
    const { code, stdout } = await cli([
      'runs',
      'results',
      runId,
      '--format',
      'jsonl',
      '--page-size',
      '3',
    ]);
    expect(code).toBe(0);
    const results = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Result);
    expect(results.map((r) => [r.itemIndex, r.itemId, r.status])).toEqual([
      [0, 'a', 'succeeded'],
      [1, 'b', 'succeeded'],
      [2, 'c', 'succeeded'],
      [3, 'd', 'succeeded'],
    ]);
    expect(results.map((r) => r.output)).toEqual(ITEMS.map((i) => i.input));
    expect(results.map((r) => r.scores.exact_match?.passed)).toEqual([true, true, false, true]);
    const failed = await cli(['runs', 'results', runId, '--status', 'failed', '--format', 'jsonl']);
    expect([failed.code, failed.stdout]).toEqual([0, '']);
    // the wrong answers: every item succeeded, exact_match failed 'c'
    const wrong = await cli([
      'runs',
      'results',
      runId,
      '--not-passed',
      'exact_match',
      '--format',
      'jsonl',
    ]);
    expect(wrong.code).toBe(0);
    expect(
      wrong.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as Result).itemId),
    ).toEqual(['c']);
    const unknown = await cli(['runs', 'results', runId, '--not-passed', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('scorer');
  });

  it('runs results as a table, one header over every page', async () => {
    const { code, stdout, stderr } = await cli(['runs', 'results', runId, '--page-size', '3']);
    expect(code, stderr).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^# +ITEM +STATUS +ATTEMPTS +LATENCY +SCORES +EXPECTED +OUTPUT$/);
    expect(lines).toHaveLength(5);
    // the wrong answer next to the right one
    expect(lines[3]).toMatch(
      /^2 +c +succeeded +1 +\d+(\.\d+)? ms +exact_match=fail +"GAMMA" +"gamma"$/,
    );
    expect(lines[2]).toMatch(/^1 +b +succeeded .* exact_match=pass +\{"x":1\} +\{"x":1\}$/);
    expect(stderr).toBe('4 results\n');
  });
});

describe('submit without --watch', () => {
  it('streams a CSV as NDJSON (--stream) and prints the run id', async () => {
    const path = file(
      'questions.csv',
      'id,input:json,expected_output:json,topic\nq1,"{""n"":1}","{""n"":1}",math\nq2,"""hi""","""hello""",greeting\n',
    );
    const { code, stdout } = await cli(
      submitEcho(path, '--scorer', 'json_equal', '--stream', '--dataset-version', 'v2'),
    );
    expect(code, stdout).toBe(0);
    const id = /^created run ([0-9A-Z]{26}): 2 items, target echo, status \w+\n/.exec(stdout)?.[1];
    expect(id, stdout).toBeDefined();
    const run = await waitFor(async () => {
      const r = JSON.parse((await cli(['runs', 'get', String(id), '--json'])).stdout) as Run;
      return r.status === 'completed' ? r : null;
    }, 'the streamed run to complete');
    expect(run).toMatchObject({
      datasetId: 'questions',
      datasetVersion: 'v2',
      totalItems: 2,
      succeededCount: 2,
      scores: { json_equal: { passed: 1, failed: 1 } },
    });
    const exported = await cli(['runs', 'results', String(id), '--format', 'jsonl']);
    const results = exported.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Result);
    expect(results.map((r) => [r.itemId, r.input, r.expectedOutput, r.metadata])).toEqual([
      ['q1', { n: 1 }, { n: 1 }, { topic: 'math' }],
      ['q2', 'hi', 'hello', { topic: 'greeting' }],
    ]);
  });

  it('reads a CSV with other column names through --input-column/--expected-column/--id-column', async () => {
    const path = file('hf-export.csv', 'qid,question,answer,split\nq1,2+2?,4,dev\nq2,3+3?,6,dev\n');
    const plain = await cli(submitEcho(path));
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(
      'error: hf-export.csv line 1: the header has no "input" column (columns: qid, question, answer, split); name the input column with --input-column NAME (and --expected-column, --id-column)\n',
    );
    const mapped = await cli(
      submitEcho(
        path,
        '--input-column',
        'question',
        '--expected-column',
        'answer',
        '--id-column',
        'qid',
        '--json',
      ),
    );
    expect(mapped.code, mapped.stderr).toBe(0);
    const id = (JSON.parse(mapped.stdout) as Run).id;
    await waitFor(async () => {
      const r = JSON.parse((await cli(['runs', 'get', id, '--json'])).stdout) as Run;
      return r.status === 'completed' ? r : null;
    }, 'the mapped run to complete');
    const exported = await cli(['runs', 'results', id, '--format', 'jsonl']);
    const results = exported.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Result);
    expect(results.map((r) => [r.itemId, r.input, r.expectedOutput, r.metadata])).toEqual([
      ['q1', '2+2?', '4', { split: 'dev' }],
      ['q2', '3+3?', '6', { split: 'dev' }],
    ]);
    const stored = await cli([
      'submit',
      '--dataset',
      'x',
      '--input-column',
      'q',
      '--target',
      'echo',
    ]);
    expect(stored.code).toBe(1);
    expect(stored.stderr).toBe(
      'error: --input-column, --expected-column and --id-column read a file: a stored dataset has its items already\n',
    );
  });

  it('passes target config and scorer config; cancel then delete', async () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ input: `slow ${i}` }));
    const path = file('slow.jsonl', jsonl(items));
    const submitted = await cli(
      submitEcho(
        path,
        '--config',
        '{"delayMs": 60000}',
        '--scorer',
        'contains={"value":"slow","caseSensitive":false}',
        '--concurrency',
        '1',
        '--json',
      ),
    );
    expect(submitted.code).toBe(0);
    const created = JSON.parse(submitted.stdout) as Run;
    expect(created.target).toEqual({ name: 'echo', config: { delayMs: 60000 } });
    expect(created.scorers).toEqual([
      { name: 'contains', config: { value: 'slow', caseSensitive: false } },
    ]);
    expect(created.execution.concurrency).toBe(1);

    const cancel = await cli(['runs', 'cancel', created.id]);
    // the cancel answers once every item without a result is recorded cancelled
    expect([cancel.code, cancel.stdout]).toEqual([
      0,
      `run ${created.id} cancelled: 10 of 10 items cancelled (0 succeeded and 0 failed before)\n`,
    ]);
    // the summary shows the target's config fields
    const summary = summaryFields((await cli(['runs', 'get', created.id])).stdout);
    expect([summary.target, summary.config]).toEqual(['echo', 'delayMs=60000']);
    const run = JSON.parse((await cli(['runs', 'get', created.id, '--json'])).stdout) as Run;
    expect(run).toMatchObject({
      status: 'cancelled',
      succeededCount: 0,
      failedCount: 0,
      cancelledCount: 10,
    });

    const del = await cli(['runs', 'delete', created.id]);
    expect([del.code, del.stdout]).toEqual([0, `run ${created.id} deleted\n`]);
    const gone = await cli(['runs', 'get', created.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: .*\(404\).*not found\n$/);
  });
});

describe('errors', () => {
  it('prints the field path and file line of an invalid item, exit 1, no run created', async () => {
    const before = JSON.parse((await cli(['runs', 'list', '--json', '--limit', '100'])).stdout) as {
      runs: Run[];
    };
    const path = file(
      'dup.jsonl',
      jsonl([{ id: 'x', input: 1 }, { input: 2 }, { id: 'x', input: 3 }]),
    );
    const { code, stdout, stderr } = await cli(['submit', path, '--target', 'echo']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).toMatch(
      /^error: .*\(400\).*dataset\.items\.2\.id \(dup\.jsonl line 3\): duplicate item id "x"/,
    );
    const after = JSON.parse((await cli(['runs', 'list', '--json', '--limit', '100'])).stdout) as {
      runs: Run[];
    };
    expect(after.runs.length).toBe(before.runs.length);
  });

  it('maps NDJSON field errors to file lines too', async () => {
    const path = file('bad-scorer.jsonl', jsonl([{ input: 1 }]));
    const { code, stderr } = await cli(
      submitEcho(path, '--scorer', 'regex={"pattern":"("}', '--stream'),
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: .*scorers\.0\.config\.pattern: must be a valid regular expression/,
    );
  });

  it('reports a dataset file error with its line', async () => {
    const path = file('broken.jsonl', '{"input":1}\n{"input":\n');
    const { code, stderr } = await cli(['submit', path, '--target', 'echo']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: broken\.jsonl line 2: invalid JSON: .+\n$/);
  });

  it('rejects a bad --config and a bad number before calling the API', async () => {
    const path = file('one.jsonl', jsonl([{ input: 1 }]));
    const config = await cli(['submit', path, '--target', 'echo', '--config', '[1]']);
    expect(config.code).toBe(1);
    expect(config.stderr).toContain("option '--config <json>' argument '[1]' is invalid");
    const attempts = await cli(['submit', path, '--target', 'echo', '--max-attempts', '0']);
    expect(attempts.code).toBe(1);
    expect(attempts.stderr).toContain('must be a positive integer');
    const missing = await cli(['submit', path]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--target <name>' not specified");
  });

  it('says how to reach the API when nothing answers', async () => {
    const port = await freePort();
    const { code, stderr } = await cli(['runs', 'list'], {
      RUNLEDGER_URL: `http://127.0.0.1:${port}`,
    });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: cannot reach the runledger API at http://127.0.0.1:${port} (ECONNREFUSED): start it with "runledger start" or set RUNLEDGER_URL\n`,
    );
  });

  it('--url overrides RUNLEDGER_URL; --help exits 0', async () => {
    const port = await freePort();
    const viaFlag = await cli(['--url', apiUrl(), 'runs', 'list', '--json'], {
      RUNLEDGER_URL: `http://127.0.0.1:${port}`,
    });
    expect(viaFlag.code).toBe(0);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: runledger');
    for (const command of ['start', 'api', 'worker', 'submit', 'runs']) {
      expect(help.stdout).toContain(command);
    }
  });
});
