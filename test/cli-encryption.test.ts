/**
 * Encryption at rest through the CLI: `runledger submit --watch`, `runs results`, `datasets push`
 * against an API and a worker started with RUNLEDGER_ENCRYPTION_KEYS answer the plaintext while
 * Redis holds none of it; a bad key list stops `runledger start`, the API and the worker
 * processes at start with a message naming the variable (exit 1).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRedis, type Result } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import { jsonl, spawnStart, submitEcho, summaryFields, useCliServices } from './helpers/cli.js';
import { redisUrl } from './helpers/context.js';
import { dumpKeys } from './helpers/redis-dump.js';

const { cli, file } = useCliServices('clienc', {
  env: { RUNLEDGER_ENCRYPTION_KEYS: `kid1:${randomBytes(32).toString('base64')}` },
});

/** Markers hold `-`, which base64 never does. */
const ITEMS = [0, 1, 2].map((i) => ({
  id: `cli-enc-id-${i}-mark`,
  input: `cli-enc-input-${i}-mark`,
  expectedOutput: `cli-enc-input-${i}-mark`,
  metadata: { note: `cli-enc-meta-${i}-mark` },
}));

/** Every key of the test Redis whose name or value (read by type) holds `needle`. */
async function redisHolding(needle: string): Promise<string[]> {
  const redis = createRedis(redisUrl());
  try {
    return (await dumpKeys(redis))
      .filter((k) => k.key.includes(needle) || k.text.includes(needle))
      .map((k) => k.key);
  } finally {
    redis.disconnect();
  }
}

/** Runs `node <entry>` (sources through tsx) with `env`; its exit code and stderr. */
function runEntry(entry: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((done) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@runledger/source', '--import', 'tsx', entry],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += String(d);
    });
    child.once('exit', (code) => done({ code, stderr }));
  });
}

describe('encryption at rest through the CLI', () => {
  it('submit --watch, runs results, datasets push and a run over the stored dataset answer the plaintext; Redis holds none of it', async () => {
    const path = file('enc.jsonl', jsonl(ITEMS));
    const submitted = await cli(submitEcho(path, '--scorer', 'exact_match', '--watch'));
    expect(submitted.code, submitted.stderr).toBe(0);
    const runId = /created run ([0-9A-Z]{26})/.exec(submitted.stderr)?.[1] ?? '';
    expect(summaryFields(submitted.stdout).items).toBe(
      '3 total, 3 done: 3 succeeded, 0 failed, 0 cancelled',
    );
    const exported = await cli(['runs', 'results', runId, '--format', 'jsonl']);
    expect(exported.code).toBe(0);
    const results = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Result);
    expect(results.map((r) => [r.itemId, r.input, r.output, r.metadata, r.scores])).toEqual(
      ITEMS.map((i) => [
        i.id,
        i.input,
        i.input,
        i.metadata,
        { exact_match: { score: 1, passed: true } },
      ]),
    );
    const pushed = await cli(['datasets', 'push', path, '--id', 'cli-enc']);
    expect(pushed.code, pushed.stderr).toBe(0);
    const fromDataset = await cli([
      'submit',
      '--dataset',
      'cli-enc',
      '--target',
      'echo',
      '--watch',
    ]);
    expect(fromDataset.code, fromDataset.stderr).toBe(0);
    const datasetRunId = /created run ([0-9A-Z]{26})/.exec(fromDataset.stderr)?.[1] ?? '';
    const datasetResults = await cli(['runs', 'results', datasetRunId, '--format', 'jsonl']);
    expect(
      datasetResults.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as Result).metadata),
    ).toEqual(ITEMS.map((i) => i.metadata));
    expect(await redisHolding('cli-enc-')).toEqual([]);
  });

  it('a bad RUNLEDGER_ENCRYPTION_KEYS stops runledger start, the API and the worker at start (exit 1, the variable named)', async () => {
    const bad = { REDIS_URL: redisUrl(), RUNLEDGER_ENCRYPTION_KEYS: 'kid1:c2hvcnQ=' };
    const message =
      'RUNLEDGER_ENCRYPTION_KEYS: entry 1 (key kid1): the key must be 32 bytes of base64 (it is 5 bytes; make one with: openssl rand -base64 32)';
    const start = spawnStart(bad);
    const listened = start.url.then(
      () => 'listened',
      () => 'never listened',
    );
    expect(await start.exit).toBe(1);
    expect(start.stderr()).toContain(message);
    expect(await listened).toBe('never listened');
    for (const entry of ['apps/api/src/main.ts', 'apps/worker/src/main.ts']) {
      const { code, stderr } = await runEntry(entry, bad);
      expect(code, entry).toBe(1);
      expect(stderr, entry).toContain(message);
    }
  });
});
