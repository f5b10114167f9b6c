/**
 * `runledger start` (the local all-in-one, `startServices` with `allowLoopbackTargets`) lets
 * http targets call a model on this machine; `runledger api` / `worker` (without it) keep
 * deny-by-default, and the API refuses such a run at submit.
 */

import type { Problem } from '@runledger/api';
import { LOCAL_TARGET_ALLOW, localTargetAllow, startServices } from '@runledger/cli';
import { createLogger, createRedis, loadConfig, type Run } from '@runledger/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, redisUrl, uniquePrefix, waitFor } from './helpers/context.js';
import { type HttpTargetServer, startHttpTarget } from './helpers/http-target.js';

const prefixes: string[] = [];
const targets: HttpTargetServer[] = [];

afterAll(async () => {
  for (const t of targets) await t.close();
  const redis = createRedis(redisUrl());
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** Config of an in-process start on the test Redis, a fresh prefix and a free port. */
function testConfig(env: Record<string, string> = {}) {
  const prefix = uniquePrefix('start-local');
  prefixes.push(prefix);
  return loadConfig({
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: prefix,
    PORT: '0',
    LOG_LEVEL: 'silent',
    WORKER_SHUTDOWN_TIMEOUT_MS: '1000',
    ...env,
  });
}

/** A 201 run or a 400 problem (`status`: the run's status, or the HTTP status). */
type Answer = Omit<Problem, 'status'> & Omit<Run, 'status'> & { status: string | number };

const postRun = async (apiUrl: string, url: string) => {
  const res = await fetch(`${apiUrl}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      target: { name: 'http', config: { url } },
      dataset: { items: [{ input: { q: 1 } }, { input: { q: 2 } }] },
    }),
  });
  return { status: res.status, body: (await res.json()) as Answer };
};

describe('localTargetAllow', () => {
  it('adds loopback (and keeps public hosts) when the setting is unset, with a note', () => {
    const { config, note } = localTargetAllow(testConfig(), true);
    expect(config.RUNLEDGER_HTTP_TARGET_ALLOW).toBe('public,127.0.0.1,[::1],localhost');
    expect(LOCAL_TARGET_ALLOW).toBe('public,127.0.0.1,[::1],localhost');
    expect(note).toBe(
      'http/openai targets may call loopback addresses (RUNLEDGER_HTTP_TARGET_ALLOW=public,127.0.0.1,[::1],localhost; `runledger api`/`worker` refuse them unless it is set)',
    );
  });

  it('keeps what the user set, API keys, and api/worker (no flag) as they are', () => {
    const set = testConfig({ RUNLEDGER_HTTP_TARGET_ALLOW: 'models.internal' });
    expect(localTargetAllow(set, true)).toEqual({ config: set, note: null });
    const keyed = testConfig({ RUNLEDGER_API_KEYS: 'team:0123456789abcdef0123' });
    expect(localTargetAllow(keyed, true)).toEqual({ config: keyed, note: null });
    const plain = testConfig();
    expect(localTargetAllow(plain, false)).toEqual({ config: plain, note: null });
  });
});

/** `startServices` on the test config with silent logs and a given Redis URL; `extra` on top. */
const localServices = (extra: { allowLoopbackTargets?: boolean } = {}) =>
  startServices({
    config: testConfig(),
    logger: createLogger({ level: 'silent' }),
    redisUrlGiven: true,
    ...extra,
  });

describe('startServices', () => {
  it('start: a run of an http target on 127.0.0.1 is accepted and succeeds', async () => {
    const target = await startHttpTarget();
    targets.push(target);
    const services = await localServices({ allowLoopbackTargets: true });
    try {
      expect(services.config.RUNLEDGER_HTTP_TARGET_ALLOW).toBe(LOCAL_TARGET_ALLOW);
      expect(services.note).toMatch(/^http\/openai targets may call loopback addresses/);
      const { status, body } = await postRun(services.apiUrl!, target.url);
      expect(status).toBe(201);
      const run = await waitFor(async () => {
        const got = (await (await fetch(`${services.apiUrl}/v1/runs/${body.id}`)).json()) as Run;
        return got.status === 'completed' ? got : null;
      }, `run ${body.id} completed`);
      expect(run.succeededCount).toBe(2);
      expect(run.failedCount).toBe(0);
    } finally {
      await services.close();
    }
  });

  it('api + worker without the flag: the same run is refused at submit', async () => {
    const target = await startHttpTarget();
    targets.push(target);
    const services = await localServices();
    try {
      expect(services.config.RUNLEDGER_HTTP_TARGET_ALLOW).toBe('');
      expect(services.note).toBeNull();
      const { status, body } = await postRun(services.apiUrl!, target.url);
      expect(status).toBe(400);
      expect(body.errors?.[0]?.path).toBe('target.config.url');
      expect(body.errors?.[0]?.message).toBe(
        `${target.url} is not allowed: loopback/private addresses are refused unless RUNLEDGER_HTTP_TARGET_ALLOW allows them (e.g. RUNLEDGER_HTTP_TARGET_ALLOW=127.0.0.1)`,
      );
      expect(target.requests).toHaveLength(0);
    } finally {
      await services.close();
    }
  });
});
