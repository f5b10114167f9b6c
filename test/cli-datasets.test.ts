/**
 * The CLI's dataset, export and rerun commands end to end against an in-process API and worker
 * on the test Redis: `datasets push|list|get|delete`, `submit --dataset ID@VERSION`,
 * `export RUN --format csv|jsonl [--out]`, `rerun RUN --failed|--all [--watch]`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { EXPORT_CSV_COLUMNS } from '@runledger/api';
import { runCli } from '@runledger/cli';
import type { Run } from '@runledger/shared';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { SEND_BAR_MIN_BYTES, sendBar } from '../apps/cli/src/send-bar.js';
import { useCliServices } from './helpers/cli.js';

const { cli, file, tmp, apiUrl } = useCliServices('cli-ds', {
  // a JSON body is at most 8 KiB here: a bigger file must be streamed
  env: {
    WORKER_LOCK_MS: '2000',
    WORKER_SHUTDOWN_TIMEOUT_MS: '1000',
    RUNLEDGER_MAX_BODY_BYTES: String(8 * 1024),
  },
});
const dir = tmp.path;

describe('runledger datasets / export / rerun', () => {
  let runId: string;

  it('pushes a file as version 1, then appends and replaces', async () => {
    const v1 = file(
      'capitals.jsonl',
      [
        { id: 'fr', input: 'Paris', expectedOutput: 'Paris' },
        { id: 'jp', input: 'Tokyo', expectedOutput: 'Tokyo' },
        { id: 'pe', input: 'Lima', expectedOutput: 'Cusco' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const created = await cli(['datasets', 'push', v1]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      /^dataset capitals version 1: 3 items, sha256:[0-9a-f]{16} \(created\)\nrun it: runledger submit --dataset capitals@1 --target <name>\n$/,
    );
    const more = file('more.csv', 'id,input,expectedOutput\nde,Berlin,Berlin\n');
    const appended = await cli(['datasets', 'push', more, '--id', 'capitals', '--append']);
    expect(appended.code).toBe(0);
    expect(appended.stdout.split('\n')[0]).toMatch(/^dataset capitals version 2: 4 items, /);
    const replaced = await cli(['datasets', 'push', more, '--id', 'capitals', '--name', 'Caps']);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout.split('\n')[0]).toMatch(/^dataset capitals version 3: 1 items, /);

    const get = await cli(['datasets', 'get', 'capitals', '--json']);
    const dataset = JSON.parse(get.stdout) as { name: string; versions: { itemCount: number }[] };
    expect(dataset.name).toBe('Caps');
    expect(dataset.versions.map((v) => v.itemCount)).toEqual([3, 4, 1]);
    const table = await cli(['datasets', 'get', 'capitals']);
    expect(table.stdout.split('\n').slice(0, 2)).toEqual([
      'dataset capitals (Caps), project default, latest version 3',
      expect.stringMatching(/^VERSION\s+ITEMS\s+CONTENT HASH\s+CREATED$/),
    ]);
    const list = await cli(['datasets', 'list']);
    expect(list.stdout.split('\n')[1]).toMatch(/^capitals\s+3\s+1\s+\S+\s+Caps$/);
    expect(list.stderr).toBe('1 datasets\n');
    const both = await cli(['datasets', 'push', more, '--replace', '--append']);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe('error: --replace and --append exclude each other\n');
  });

  it('streams a file larger than a JSON body may be, and names the file line of a bad item', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      id: `q${i}`,
      input: `question ${i}`,
      expectedOutput: `answer ${i}`,
    }));
    const big = file('big.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
    expect(readFileSync(big).length).toBeGreaterThan(8 * 1024 * 8);
    const pushed = await cli(['datasets', 'push', big, '--json']);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    const dataset = JSON.parse(pushed.stdout) as { id: string; versions: { itemCount: number }[] };
    expect(dataset.id).toBe('big');
    expect(dataset.versions.map((v) => v.itemCount)).toEqual([2000]);
    // a duplicate id on line 1502 of the file (the item at index 1501) is named by its line
    const dup = [...rows.slice(0, 1501), { id: 'q7', input: 'again' }, ...rows.slice(1502)];
    const bad = file('big.jsonl', ['', ...dup.map((r) => JSON.stringify(r))].join('\n'));
    const refused = await cli(['datasets', 'push', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: Bad Request (400): items.1501.id (big.jsonl line 1503): duplicate item id "q7" (first at index 7 of the version)\n',
    );
    const get = await cli(['datasets', 'get', 'big', '--json']);
    expect((JSON.parse(get.stdout) as { latestVersion: number }).latestVersion).toBe(1);
    // a line the file reader refuses mid-stream ends the push with its line; nothing is created
    const broken = file('broken.jsonl', '{"input":1}\n{"input":\n');
    const stopped = await cli(['datasets', 'push', broken]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/^error: broken\.jsonl line 2: invalid JSON: .+\n$/);
    expect((await cli(['datasets', 'get', 'broken'])).code).toBe(1);
  });

  it('draws a sending bar for a file of 4 MiB or more, ending at 100% with its item count', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({ id: `p${i}`, input: `${'x'.repeat(200)} ${i}` }),
    );
    const path = file('padded.jsonl', `${rows.join('\n')}\n`);
    const size = readFileSync(path).length;
    expect(size).toBeGreaterThanOrEqual(SEND_BAR_MIN_BYTES);
    let bar = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        bar += String(chunk);
        done();
      },
    });
    const stdout = new Writable({ write: (_chunk, _encoding, done) => done() });
    const code = await runCli(['datasets', 'push', path], {
      env: { RUNLEDGER_URL: apiUrl() },
      stdout,
      stderr: sink,
      progress: sink,
    });
    expect(code).toBe(0);
    const mb = (size / 1024 / 1024).toFixed(1);
    expect(bar).toContain(`sending padded.jsonl `);
    expect(bar).toContain(`100% | ${mb}/${mb} MB | 20000 items`);
    // a small file draws none
    expect(sendBar(sink, path, SEND_BAR_MIN_BYTES - 1).onProgress).toBeUndefined();
  });

  it('submits a run over a stored version and watches it', async () => {
    const res = await cli([
      'submit',
      '--dataset',
      'capitals@1',
      '--target',
      'echo',
      '--scorer',
      'exact_match',
      '--watch',
      '--json',
    ]);
    expect(res.code).toBe(0); // completed (one item fails exact_match: still completed)
    const run = JSON.parse(res.stdout) as Run;
    expect(run).toMatchObject({
      status: 'completed',
      datasetId: 'capitals',
      datasetVersion: '1',
      totalItems: 3,
    });
    runId = run.id;
  });

  it('exports a run as CSV to stdout and as JSON Lines to a file', async () => {
    const csv = await cli(['export', runId, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout) as string[][];
    expect(rows[0]).toEqual([...EXPORT_CSV_COLUMNS]);
    expect(rows.slice(1).map((r) => [r[1], r[2], r[3], r[12], r[13], r[14]])).toEqual([
      ['fr', '0', 'succeeded', 'Paris', 'Paris', 'Paris'],
      ['jp', '1', 'succeeded', 'Tokyo', 'Tokyo', 'Tokyo'],
      ['pe', '2', 'succeeded', 'Lima', 'Cusco', 'Lima'],
    ]);
    const out = join(dir, 'results.jsonl');
    const jsonl = await cli(['export', runId, '--out', out]);
    expect(jsonl.code).toBe(0);
    expect(jsonl.stderr).toBe(`wrote ${out}\n`);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { itemId: string }).itemId)).toEqual([
      'fr',
      'jp',
      'pe',
    ]);
    const bad = await cli(['export', runId, '--format', 'xml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: --format must be csv or jsonl, not "xml"\n');
  });

  it('reruns all items with --watch; --failed on a run without failures is refused', async () => {
    const all = await cli(['rerun', runId, '--all', '--watch', '--json']);
    const run = JSON.parse(all.stdout) as Run;
    expect(run).toMatchObject({
      status: 'completed',
      parentRunId: runId,
      totalItems: 3,
      datasetVersion: '1',
    });
    expect(all.code).toBe(0);
    const failed = await cli(['rerun', runId, '--failed']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      `error: Bad Request (400): run ${runId} has no failed or cancelled items to rerun: only: no failed or cancelled items\n`,
    );
  });

  it('refuses submit with both a file and --dataset, and deletes a dataset', async () => {
    const both = await cli(['submit', join(dir, 'more.csv'), '--dataset', 'x', '--target', 'echo']);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe('error: give a file or --dataset, not both\n');
    const foreign = file('foreign.csv', 'country,capital\nit,Rome\n');
    const unmapped = await cli(['datasets', 'push', foreign]);
    expect(unmapped.code).toBe(1);
    expect(unmapped.stderr).toContain(
      'the header has no "input" column (columns: country, capital); name the input column with --input-column NAME',
    );
    const mapped = await cli([
      'datasets',
      'push',
      foreign,
      '--input-column',
      'country',
      '--expected-column',
      'capital',
    ]);
    expect(mapped.stderr).toBe('');
    expect(mapped.stdout.split('\n')[0]).toMatch(
      /^dataset foreign version 1: 1 items, sha256:[0-9a-f]{16} \(created\)$/,
    );
    const del = await cli(['datasets', 'delete', 'capitals']);
    expect(del.stdout).toBe('deleted dataset capitals\n');
    const gone = await cli(['datasets', 'get', 'capitals']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('error: Not Found (404): dataset capitals not found\n');
  });
});
