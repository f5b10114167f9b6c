/**
 * `runledger keys create|list|revoke` against the test Redis, and the CLI's API client sending
 * `RUNLEDGER_API_KEY` to an in-process API that requires keys; key roles (`--role`), the audit
 * entries of key and API changes, and `runledger audit` (table and `--json`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApiServer, startApi } from '@runledger/api';
import { createLogger, createRedis, loadConfig, type Run, RunStore } from '@runledger/shared';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliOutcome, createTempDir, runCliCaptured } from './helpers/cli.js';
import { deletePrefix, redisUrl, uniquePrefix } from './helpers/context.js';

const prefix = uniquePrefix('cli-keys');
const tmp = createTempDir('cli-keys');
const dir = tmp.path;
let redis: Redis;
let store: RunStore;
let api: ApiServer;

beforeAll(async () => {
  redis = createRedis(redisUrl());
  store = new RunStore(redis, { prefix });
  api = await startApi({
    config: loadConfig({ REDIS_URL: redisUrl(), RUNLEDGER_PREFIX: prefix, PORT: '0' }),
    logger: createLogger({ level: 'silent' }),
  });
});

afterAll(async () => {
  await api?.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  tmp.remove();
});

/** Runs the CLI in-process on this file's prefix; returns its exit code and output. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliOutcome> {
  return runCliCaptured(args, {
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: prefix,
    RUNLEDGER_URL: api.url,
    ...env,
  });
}

describe('runledger keys', () => {
  it('creates a key (printed once), lists it without the key, and revokes it', async () => {
    const created = await cli(['keys', 'create', '--project', 'team-a', '--name', 'ci runner']);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^rl_team-a_[A-Za-z0-9_-]{43}$/);
    const [info] = await store.apiKeys.listApiKeys();
    expect(info).toMatchObject({ project: 'team-a', name: 'ci runner' });
    expect(created.stderr).toBe(
      `created API key ${info!.id} (role admin) for project team-a: send it as "Authorization: Bearer <key>" (or RUNLEDGER_API_KEY for this CLI); it is shown only now\n`,
    );

    const listed = await cli(['keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+PROJECT\s+ROLE\s+NAME\s+CREATED$/);
    expect(listed.stdout).toContain(info!.id);
    expect(listed.stdout).toContain('ci runner');
    expect(listed.stdout).not.toContain(key);
    const json = await cli(['keys', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([info]);

    const revoked = await cli(['keys', 'revoke', info!.id]);
    expect(revoked).toEqual({
      code: 0,
      stdout: `revoked API key ${info!.id} (project team-a)\n`,
      stderr: '',
    });
    expect(await store.apiKeys.listApiKeys()).toEqual([]);
    expect((await cli(['keys', 'list'])).stdout).toBe('no API keys\n');
  });

  it('fails with one line for an unknown id and rejects a bad project name', async () => {
    const unknown = await cli(['keys', 'revoke', 'nope']);
    expect(unknown).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no API key with id nope (runledger keys list)\n',
    });
    const bad = await cli(['keys', 'create', '--project', 'no spaces']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("option '--project <project>' argument 'no spaces' is invalid");
    expect(await store.apiKeys.listApiKeys()).toEqual([]);
  });

  it('sends RUNLEDGER_API_KEY to the API: runs belong to its project; revoked keys are refused', async () => {
    const key = (await cli(['keys', 'create', '--project', 'team-b', '--json'])).stdout;
    const { key: secret, id } = JSON.parse(key) as { key: string; id: string };
    const data = join(dir, 'items.jsonl');
    writeFileSync(data, '{"input":"a","expectedOutput":"a"}\n{"input":"b"}\n');

    // keys exist now: without one the API answers 401 (its "any key?" check is cached for 2 s)
    const deadline = Date.now() + 5000;
    let anonymous = await cli(['runs', 'list']);
    while (anonymous.code === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      anonymous = await cli(['runs', 'list']);
    }
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toBe(
      'error: Unauthorized (401): an API key is required: Authorization: Bearer <key>\n',
    );

    // no worker here: the run waits for one
    const submitted = await cli(
      ['submit', data, '--target', 'echo', '--wait-for-workers', '--json'],
      {
        RUNLEDGER_API_KEY: secret,
      },
    );
    expect(submitted.code).toBe(0);
    const run = JSON.parse(submitted.stdout) as Run;
    expect(run.project).toBe('team-b');
    const got = await cli(['runs', 'get', run.id, '--json'], { RUNLEDGER_API_KEY: secret });
    expect((JSON.parse(got.stdout) as Run).id).toBe(run.id);

    expect((await cli(['keys', 'revoke', id])).code).toBe(0);
    const refused = await cli(['runs', 'get', run.id], { RUNLEDGER_API_KEY: secret });
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: Unauthorized (401): invalid or revoked API key\n',
    });
  });

  it('creates keys with a role, audits key and API changes, and prints the log (runledger audit)', async () => {
    const admin = JSON.parse(
      (await cli(['keys', 'create', '--project', 'team-c', '--name', 'ops', '--json'])).stdout,
    ) as { key: string; id: string; role: string };
    expect(admin.role).toBe('admin');
    const reader = await cli(['keys', 'create', '--project', 'team-c', '--role', 'read']);
    expect(reader.code).toBe(0);
    const readerKey = reader.stdout.trim();
    const readerInfo = (await store.apiKeys.listApiKeys()).find(
      (k) => k.project === 'team-c' && k.role === 'read',
    )!;
    expect(reader.stderr).toMatch(
      new RegExp(`^created API key ${readerInfo.id} \\(role read\\) for project team-c: `),
    );
    expect((await cli(['keys', 'list'])).stdout).toMatch(
      new RegExp(`^${readerInfo.id}\\s+team-c\\s+read\\s+\\d{4}-`, 'm'),
    );
    const badRole = await cli(['keys', 'create', '--project', 'team-c', '--role', 'owner']);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain(
      "option '--role <role>' argument 'owner' is invalid. Allowed choices are read, write, admin.",
    );

    const data = join(dir, 'audit-items.jsonl');
    writeFileSync(data, '{"input":"a"}\n');
    const submit = ['submit', data, '--target', 'echo', '--wait-for-workers', '--json'];
    const refused = await cli(submit, { RUNLEDGER_API_KEY: readerKey });
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: Forbidden (403): this call needs an API key with role "write" (or higher); this key has role "read"\n',
    });
    const run = JSON.parse((await cli(submit, { RUNLEDGER_API_KEY: admin.key })).stdout) as Run;
    expect((await cli(['keys', 'revoke', readerInfo.id])).code).toBe(0);

    const json = await cli(['audit', '--json'], { RUNLEDGER_API_KEY: admin.key });
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as {
      entries: {
        action: string;
        keyId: string | null;
        objectId: string | null;
        status: number;
        source: string;
        call: string;
      }[];
      nextCursor: string | null;
    };
    expect(
      page.entries.map((e) => [e.action, e.keyId, e.objectId, e.status, e.source, e.call]),
    ).toEqual([
      ['key.revoke', null, readerInfo.id, 204, 'cli', 'runledger keys revoke'],
      ['run.create', admin.id, run.id, 201, 'api', 'POST /v1/runs'],
      ['run.create', readerInfo.id, null, 403, 'api', 'POST /v1/runs'],
      ['key.create', null, readerInfo.id, 201, 'cli', 'runledger keys create'],
      ['key.create', null, admin.id, 201, 'cli', 'runledger keys create'],
    ]);
    expect(page.nextCursor).toBeNull();
    expect(json.stdout).not.toContain(admin.key);
    expect(json.stdout).not.toContain(readerKey);

    const table = await cli(['audit', '--limit', '2'], { RUNLEDGER_API_KEY: admin.key });
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^TIME\s+ACTION\s+OBJECT\s+STATUS\s+KEY\s+REQUEST$/);
    expect(lines[1]).toMatch(
      new RegExp(`^\\d{4}-\\S+Z\\s+key\\.revoke\\s+${readerInfo.id}\\s+204\\s+cli\\s+-$`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`\\s+run\\.create\\s+${run.id}\\s+201\\s+${admin.id}\\s+\\S+$`),
    );
    expect(table.stderr).toMatch(/^more entries: runledger audit --cursor \d+-\d+\n$/);
    const filtered = await cli(['audit', '--action', 'key.create', '--json'], {
      RUNLEDGER_API_KEY: admin.key,
    });
    expect((JSON.parse(filtered.stdout) as typeof page).entries.map((e) => e.objectId)).toEqual([
      readerInfo.id,
      admin.id,
    ]);
  });
});
