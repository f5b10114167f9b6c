/**
 * `--watch` survives an API restart: the API process is stopped mid-run and a new one started
 * on the same port against the same Redis; the watch reconnects (`Last-Event-ID`) and ends
 * with the right counts and exit code 0. When the API stays away, the watch gives up with exit
 * code 2 and says how to follow the run, which goes on.
 */
import { type ApiServer, startApi } from '@runledger/api';
import { createClient, EXIT_CODES, type RunningServices, startServices } from '@runledger/cli';
import { type Config, createLogger, createRedis, loadConfig } from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, startCli } from './helpers/cli.js';
import { deletePrefix, redisUrl, uniquePrefix, waitFor } from './helpers/context.js';
import { freePort } from './helpers/redis-server.js';

const prefix = uniquePrefix('cli-watch');
const tmp = createTempDir('cli-watch');
const logger = createLogger({ level: 'silent' });
let config: Config;
let worker: RunningServices;
let api: ApiServer | null = null;
let apiUrl: string;

beforeAll(async () => {
  const port = await freePort();
  config = loadConfig({
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: prefix,
    PORT: String(port),
    LOG_LEVEL: 'silent',
    RUNLEDGER_TARGETS: '',
    WORKER_SHUTDOWN_TIMEOUT_MS: '1000',
  });
  worker = await startServices({ config, logger, api: false, workers: 1, redisUrlGiven: true });
  api = await startApi({ config, logger });
  apiUrl = api.url;
});

afterAll(async () => {
  await api?.close();
  await worker?.close();
  const redis = createRedis(redisUrl());
  await deletePrefix(redis, prefix);
  redis.disconnect();
  tmp.remove();
});

/** 12 items of 250 ms each, one at a time: about 3 s of run. */
function slowFile(name: string): string {
  const items = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({ id: `s${i}`, input: i, expectedOutput: i }),
  );
  return tmp.file(name, `${items.join('\n')}\n`);
}

const SUBMIT = [
  '--target',
  'echo',
  '--config',
  '{"delayMs":250}',
  '--concurrency',
  '1',
  '--scorer',
  'exact_match',
  '--watch',
];

/** Starts `submit --watch` and waits until its run has at least 2 results; returns its id. */
async function startWatching(name: string, env: Record<string, string> = {}) {
  const cli = startCli(['submit', slowFile(name), ...SUBMIT], { RUNLEDGER_URL: apiUrl, ...env });
  const runId = await waitFor(
    () => /created run ([0-9A-Z]{26})/.exec(cli.output().stderr)?.[1],
    'the run to be created',
  );
  const client = createClient({ baseUrl: apiUrl });
  await waitFor(async () => (await client.runs.get(runId)).succeededCount >= 2, '2 results');
  return { cli, runId };
}

describe('submit --watch across an API restart', () => {
  it('reconnects to a new API on the same port and ends with exit 0 and exact counts', async () => {
    const { cli, runId } = await startWatching('restart.jsonl');
    await api?.close();
    api = null;
    await waitFor(() => cli.output().stderr.includes('watch: lost the API'), 'the watch to notice');
    api = await startApi({ config, logger });
    expect(api.url).toBe(apiUrl);
    const outcome = await cli.done;
    const lines = outcome.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `created run ${runId} (12 items, target echo), live at ${apiUrl}/runs/${runId}`,
    );
    expect(lines[1]).toMatch(
      new RegExp(`^watch: lost the API at ${apiUrl} \\(.+\\); reconnecting$`),
    );
    expect(lines.slice(2)).toEqual(['watch: reconnected']);
    expect(outcome.code).toBe(EXIT_CODES.ok);
    expect(outcome.stdout).toMatch(/^status +completed$/m);
    expect(outcome.stdout).toMatch(
      /^items +12 total, 12 done: 12 succeeded, 0 failed, 0 cancelled$/m,
    );
    expect(outcome.stdout).toMatch(/^score exact_match +100\.0% passed \(12\/12 items\)/m);
  });

  it('gives up after RUNLEDGER_WATCH_RECONNECT_MS with exit 2; the run goes on and can be followed', async () => {
    const { cli, runId } = await startWatching('give-up.jsonl', {
      RUNLEDGER_WATCH_RECONNECT_MS: '1000',
    });
    await api?.close();
    api = null;
    const outcome = await cli.done;
    expect(outcome.code).toBe(EXIT_CODES.notCompleted);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toContain(
      `error: gave up watching run ${runId}: no answer from the API for 1 s (ECONNREFUSED); ` +
        `the run goes on: follow it with "runledger runs get ${runId} --watch"\n`,
    );
    api = await startApi({ config, logger });
    const follow = startCli(['runs', 'get', runId, '--watch'], { RUNLEDGER_URL: apiUrl });
    const followed = await follow.done;
    expect(followed.code).toBe(EXIT_CODES.ok);
    expect(followed.stdout).toMatch(
      /^items +12 total, 12 done: 12 succeeded, 0 failed, 0 cancelled$/m,
    );
  });
});

describe('experiment --watch across an API restart', () => {
  it('keeps polling while the API is away and ends with exit 0', async () => {
    const items = Array.from(
      { length: 8 },
      (_, i) => `{ id: e${i}, input: ${i}, expectedOutput: ${i} }`,
    );
    const yaml = tmp.file(
      'slow.yaml',
      [
        'name: slow',
        `dataset: { items: [ ${items.join(', ')} ] }`,
        'variants:',
        '  - { name: fast, target: { name: echo, config: { delayMs: 200 } } }',
        '  - { name: slow, target: { name: echo, config: { delayMs: 300 } } }',
        'scorers: [ { name: exact_match } ]',
        'execution: { concurrency: 1 }',
        '',
      ].join('\n'),
    );
    const cli = startCli(['experiment', yaml, '--watch'], { RUNLEDGER_URL: apiUrl });
    await waitFor(() => cli.output().stderr.includes('created experiment'), 'the experiment');
    const client = createClient({ baseUrl: apiUrl });
    await waitFor(async () => {
      const page = await client.runs.list({ limit: 2 });
      return page.runs.some((r) => r.succeededCount >= 1);
    }, 'a first result');
    await api?.close();
    api = null;
    await new Promise((r) => setTimeout(r, 1000));
    api = await startApi({ config, logger });
    const outcome = await cli.done;
    expect(outcome.code, outcome.stderr).toBe(EXIT_CODES.ok);
    expect(outcome.stdout).toMatch(/^fast +100\.0% .*\(8\/8\)/m);
    expect(outcome.stdout).toMatch(/^slow +100\.0% .*\(8\/8\)/m);
    expect(outcome.stdout).toContain('by pass/fail  improved 0, regressed 0, unchanged 8');
  });
});
