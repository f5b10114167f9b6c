/**
 * PII scrubbing and traces: with tracing on (OTLP/HTTP JSON to a local receiver), a failed
 * attempt's span carries the scrubbed error message; no exported span holds the PII.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NonRetryableError, type Run, startTracing } from '@runledger/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppHarness } from './helpers/app.js';
import { waitFor } from './helpers/context.js';
import { waitTerminal } from './helpers/run-checks.js';
import { anyConfigTarget } from './helpers/targets.js';

const failing = anyConfigTarget('leaky_fail', 'fails naming an email', async (input) => {
  // the email is made here, from a harmless input: only the worker's scrubbing can mask it
  throw new NonRetryableError(`no account ${String(input)}.trace@example.com`);
});

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** An OTLP/HTTP receiver keeping every request body as text. */
async function startReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('traces of a scrubbed run', () => {
  it('the attempt span status message is scrubbed; no span holds the email', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_TRACES_SAMPLER = 'always_on';
    const tracing = await startTracing({ serviceName: 'runledger' });
    cleanups.push(() => tracing.shutdown());
    expect(tracing.enabled).toBe(true);
    const h = await createAppHarness('privacy-trace', {}, { targets: [failing] });
    cleanups.push(() => h.close());
    const res = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: { name: 'leaky_fail' },
        dataset: { items: [{ input: 'ann' }] },
        privacy: { scrub: ['email'] },
      }),
    });
    expect(res.status).toBe(201);
    const run = (await res.json()) as Run;
    await waitTerminal(h.store, run.id);
    await waitFor(async () => {
      await tracing.forceFlush();
      return receiver.bodies.some((b) => b.includes('runledger.item.attempt'));
    }, 'the attempt span');
    const exported = receiver.bodies.join('\n');
    expect(exported).toContain('"message":"no account [email]"');
    expect(exported).not.toContain('ann.trace@example.com');
  });
});
