import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { startApi } from '@runledger/api';
import { createLogger, loadConfig } from '@runledger/shared';
import { startRedisServer } from '../test/helpers/redis-server.js';

const server = await startRedisServer();
const api = await startApi({
  config: loadConfig({
    REDIS_URL: server.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    RUNLEDGER_MAX_BODY_BYTES: String(64 << 20),
  }),
  logger: createLogger({ level: 'silent' }),
});
const mk = (n: number) =>
  JSON.stringify({
    target: { name: 'echo' },
    dataset: {
      items: Array.from({ length: n }, (_, i) => ({
        id: `i${i}`,
        input: { n: i },
        expectedOutput: { n: i },
      })),
    },
    scorers: [{ name: 'exact_match' }],
  });
for (let i = 0; i < 3; i++)
  await fetch(`${api.url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: mk(2000),
  });
const body = mk(20000);
const s = new Session();
s.connect();
await s.post('Profiler.enable');
await s.post('Profiler.start');
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const r = await fetch(`${api.url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  console.log(r.status, (performance.now() - t).toFixed(0), 'ms');
}
const { profile } = await s.post('Profiler.stop');
writeFileSync('/tmp/api.cpuprofile', JSON.stringify(profile));
await api.close();
await server.stop();
process.exit(0);
