/**
 * vitest globalSetup: provides `redisUrl` to every test file.
 * 1. `REDIS_URL` when set; 2. else a private `redis-server` from PATH on a free port;
 * 3. else a Redis container from testcontainers (needs a Docker engine).
 * Test files isolate themselves with a unique key prefix, so they can share one server.
 */
import type { TestProject } from 'vitest/node';
import {
  destroyRedisServer,
  hasRedisServer,
  type RedisServer,
  startRedisServer,
} from './helpers/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    return async () => {};
  }
  if (hasRedisServer()) {
    const server: RedisServer = await startRedisServer();
    project.provide('redisUrl', server.url);
    return () => destroyRedisServer(server);
  }
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  project.provide('redisUrl', container.getConnectionUrl());
  return async () => {
    await container.stop();
  };
}
