/**
 * `runledger runs archive|restore|cleanup` against a real API, worker and Redis: snapshot ->
 * archive (gzip on disk, verified) -> delete -> restore -> snapshot is byte-identical.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { jsonl, submitEcho, useCliServices } from './helpers/cli.js';
import { waitFor } from './helpers/context.js';

const { cli, file, apiUrl, tmp } = useCliServices('archive', {
  env: { RUNLEDGER_CLAIM_LEASE_MS: '50' },
});

const snapshot = async (id: string): Promise<{ status: number; text: string }> => {
  const res = await fetch(`${apiUrl()}/v1/runs/${id}/snapshot`);
  return { status: res.status, text: await res.text() };
};

async function submitWatched(name: string, items: unknown[]): Promise<string> {
  const path = file(`${name}.jsonl`, jsonl(items));
  const { code, stderr } = await cli(submitEcho(path, '--scorer', 'exact_match', '--watch'));
  expect([0, 1]).toContain(code); // 1: a failed score gate is fine here
  const id = /created run ([0-9A-Z]{26})/.exec(stderr)?.[1];
  expect(id).toBeDefined();
  return id!;
}

describe('runs archive and restore', () => {
  it('archive --delete writes a verified gzip snapshot and deletes the run; restore brings it back byte-identical', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({
      id: `q${i}`,
      input: `question ${i}`,
      expectedOutput: i % 3 === 0 ? 'other' : `question ${i}`,
    }));
    const a = await submitWatched('first', items);
    const b = await submitWatched('second', items.slice(0, 5));
    const before = await snapshot(a);
    expect(before.status).toBe(200);
    const beforeB = await snapshot(b);
    const dir = join(tmp.path, 'archive');

    const archived = await cli(['runs', 'archive', a, b, '--dir', dir, '--delete']);
    expect(archived.stderr).toBe('');
    expect(archived.code).toBe(0);
    expect(archived.stdout).toBe(
      [
        `archived ${a} -> ${join(dir, `${a}.snapshot.ndjson.gz`)} (${before.text.trimEnd().split('\n').length} lines)`,
        `deleted ${a}`,
        `archived ${b} -> ${join(dir, `${b}.snapshot.ndjson.gz`)} (${beforeB.text.trimEnd().split('\n').length} lines)`,
        `deleted ${b}`,
        '',
      ].join('\n'),
    );
    expect(readdirSync(dir).sort()).toEqual(
      [`${a}.snapshot.ndjson.gz`, `${b}.snapshot.ndjson.gz`].sort(),
    );
    // on disk: gzip of exactly the API's snapshot
    expect(gunzipSync(readFileSync(join(dir, `${a}.snapshot.ndjson.gz`))).toString('utf8')).toBe(
      before.text,
    );
    expect((await snapshot(a)).status).toBe(404);
    expect((await snapshot(b)).status).toBe(404);

    const restored = await cli([
      'runs',
      'restore',
      join(dir, `${a}.snapshot.ndjson.gz`),
      join(dir, `${b}.snapshot.ndjson.gz`),
    ]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`restored ${a} (completed, 30 items)`);
    expect(restored.stdout).toContain(`restored ${b} (completed, 5 items)`);
    const after = await snapshot(a);
    expect(after.status).toBe(200);
    expect(after.text).toBe(before.text);
    expect((await snapshot(b)).text).toBe(beforeB.text);

    // restoring again: the run exists (409), exit code 1, one line on stderr
    const again = await cli(['runs', 'restore', join(dir, `${a}.snapshot.ndjson.gz`)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409|exists/);
  });

  it('archive refuses a run still going on and writes nothing', async () => {
    const path = file('slow.jsonl', jsonl([{ input: 1 }]));
    const created = await cli([
      'submit',
      path,
      '--target',
      'nobody-serves-this',
      '--wait-for-workers',
    ]);
    const id = /([0-9A-Z]{26})/.exec(created.stdout + created.stderr)?.[1];
    if (!id) throw new Error(`no run created: ${created.stdout} ${created.stderr}`);
    const dir = join(tmp.path, 'archive-running');
    const res = await cli(['runs', 'archive', id, '--dir', dir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/only finished runs/);
    expect(readdirSync(dir)).toEqual([]);
    await cli(['runs', 'cancel', id]);
  });

  it('runs cleanup --dry-run lists, without it deletes; recent runs are kept', async () => {
    const id = await submitWatched('recent', [{ input: 'x', expectedOutput: 'x' }]);
    // the run finished less than 1 s ago: listed once a second has passed since
    const answer = await waitFor(async () => {
      const dry = await cli(['runs', 'cleanup', '--older-than', '1s', '--dry-run', '--json']);
      expect(dry.code).toBe(0);
      const page = JSON.parse(dry.stdout) as { dryRun: boolean; runs: { id: string }[] };
      return page.runs.some((r) => r.id === id) ? page : null;
    }, 'the run to be older than 1 s');
    expect(answer.dryRun).toBe(true);
    expect((await snapshot(id)).status).toBe(200);
    const kept = await cli(['runs', 'cleanup', '--older-than', '30d']);
    expect(kept.code).toBe(0);
    expect(kept.stderr).toMatch(/^0 runs deleted \(finished before .+\)\n$/);
    const real = await cli(['runs', 'cleanup', '--older-than', '1s', '--status', 'completed']);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(id);
    expect(real.stderr).toMatch(/^\d+ runs deleted/);
    expect((await snapshot(id)).status).toBe(404);
    const bad = await cli(['runs', 'cleanup', '--older-than', 'soon']);
    expect(bad.code).not.toBe(0);
  });
});
