/**
 * OpenTelemetry traces (packages/shared/src/tracing.ts) against a real OTLP/HTTP receiver: a
 * node:http server decoding what the SDK's exporter sends (`http/json`). Off without an endpoint
 * (no SDK, no exporter, no span, `traceId` null); on, a run with a retried item and a failed one
 * is one trace: `POST /v1/runs` (root) -> `addBulk` (producer) -> `process` (consumer, one per
 * chunk job) -> one `runledger.item.attempt` per attempt with its attributes, scoring and the
 * record script as child spans; the http target sees each attempt's `traceparent`; log lines
 * carry `trace_id`/`span_id`. The SDK is process-global: this file runs in its own process
 * (vitest `pool: 'forks'`), off first, then on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  bullTelemetry,
  createLogger,
  createRedis,
  type Run,
  runledgerTracer,
  startTracing,
  type TracingHandle,
  tracingState,
} from '@runledger/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness } from './helpers/app.js';
import { spawnStart, startEnv } from './helpers/cli.js';
import { deletePrefix, redisUrl, uniquePrefix, waitFor } from './helpers/context.js';
import { type HttpTargetServer, startHttpTarget } from './helpers/http-target.js';
import { waitTerminal } from './helpers/run-checks.js';

/** One span as decoded from OTLP/JSON; attribute values flattened. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  service: string;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

function otlpValue(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue ?? '';
}

function attrs(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, otlpValue(a.value)]));
}

/** A minimal OTLP/HTTP collector: records every span POSTed as JSON to `/v1/traces`. */
async function startReceiver(): Promise<{
  url: string;
  spans: ReceivedSpan[];
  paths: string[];
  /** Every request body as received (protobuf ones are not decoded). */
  bodies: Buffer[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const paths: string[] = [];
  const bodies: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      bodies.push(Buffer.concat(chunks));
      if (req.url === '/v1/traces' && req.headers['content-type'] === 'application/json') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: {
            resource: { attributes: OtlpAttribute[] };
            scopeSpans: {
              spans: {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                kind: number;
                attributes?: OtlpAttribute[];
                status?: { code?: number; message?: string };
              }[];
            }[];
          }[];
        };
        for (const rs of body.resourceSpans) {
          const service = String(attrs(rs.resource.attributes)['service.name']);
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                name: s.name,
                kind: s.kind,
                attributes: attrs(s.attributes),
                status: s.status ?? {},
                service,
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    paths,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Log lines written by a logger, parsed. */
function captureLogs(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { stream, lines };
}

const OTEL_VARS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_SAMPLER',
  'OTEL_SERVICE_NAME',
  'OTEL_BSP_SCHEDULE_DELAY',
];

/** The run spec: `ok` succeeds, `flaky` fails once (500) then succeeds, `bad` fails both attempts. */
function runSpec(targetUrl: string) {
  return {
    target: { name: 'http', config: { url: targetUrl } },
    scorers: [{ name: 'exact_match' }],
    execution: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
    dataset: {
      items: [
        { id: 'ok', input: { n: 1 }, expectedOutput: { n: 1 } },
        { id: 'flaky', input: { failOnce: 500 } },
        { id: 'bad', input: { fail: 500 } },
      ],
    },
  };
}

/** POSTs `spec` to `h`'s app (201 expected); the created run. */
async function createRun(h: AppHarness, spec: unknown): Promise<Run> {
  const res = await h.app.request('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Run;
}

describe('tracing', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('is off without an OTLP endpoint: no SDK or exporter, no span, no traceId, no log fields', async () => {
    for (const name of OTEL_VARS) delete process.env[name];
    const handle = await startTracing({ serviceName: 'runledger-test' });
    expect(handle.enabled).toBe(false);
    expect(tracingState()).toEqual({ enabled: false, sdksCreated: 0, users: 0 });
    expect(runledgerTracer()).toBeNull();
    expect(bullTelemetry()).toBeUndefined();

    const target = await startHttpTarget();
    cleanups.push(() => target.close());
    const h = await createAppHarness('trace-off', { RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1' }, {});
    cleanups.push(() => h.close());
    const created = await createRun(h, runSpec(target.url));
    expect(created.traceId).toBeNull();
    const run = await waitTerminal(h.store, created.id);
    expect(run.traceId).toBeNull();
    expect(target.requests).toHaveLength(5);
    for (const r of target.requests) expect(r.headers.traceparent).toBeUndefined();
    expect(tracingState().sdksCreated).toBe(0);

    const logs = captureLogs();
    createLogger({ destination: logs.stream, pretty: false }).info('hello');
    expect(logs.lines[0]).not.toHaveProperty('trace_id');
    await handle.shutdown();
  });

  describe('on (OTEL_EXPORTER_OTLP_ENDPOINT, http/json, always_on)', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let tracing: TracingHandle;
    let target: HttpTargetServer;
    let h: AppHarness;
    let run: Run;
    let spans: ReceivedSpan[];

    it('a run with a retry and a failure is one trace rooted at its POST', async () => {
      receiver = await startReceiver();
      cleanups.push(() => receiver.close());
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
      process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
      process.env.OTEL_TRACES_SAMPLER = 'always_on';
      process.env.OTEL_SERVICE_NAME = 'runledger-test';
      tracing = await startTracing({ serviceName: 'runledger' });
      cleanups.push(() => tracing.shutdown());
      expect(tracing.enabled).toBe(true);
      expect(tracingState()).toEqual({ enabled: true, sdksCreated: 1, users: 1 });

      target = await startHttpTarget();
      cleanups.push(() => target.close());
      h = await createAppHarness('trace-on', { RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1' }, {});
      cleanups.push(() => h.close());
      const created = await createRun(h, runSpec(target.url));
      expect(created.traceId).toMatch(/^[0-9a-f]{32}$/);
      await waitTerminal(h.store, created.id);
      const got = await h.app.request(`/v1/runs/${created.id}`);
      run = (await got.json()) as Run;
      expect(run).toMatchObject({
        status: 'completed',
        succeededCount: 2,
        failedCount: 1,
        traceId: created.traceId,
      });

      // a chunk's consumer span ends when BullMQ has completed its job, which may be just after
      // the run turned terminal: export until the three chunk spans arrived
      const inTrace = () => receiver.spans.filter((s) => s.traceId === run.traceId);
      await waitFor(async () => {
        await tracing.forceFlush();
        return inTrace().filter((s) => s.kind === 5).length === 3;
      }, 'the three chunk spans');
      expect(receiver.paths.every((p) => p === 'POST /v1/traces application/json')).toBe(true);
      spans = inTrace();
      expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['runledger-test']));

      const roots = spans.filter((s) => s.parentSpanId === '');
      expect(roots).toHaveLength(1);
      const root = roots[0]!;
      expect(root).toMatchObject({ name: 'POST /v1/runs', kind: 2 });
      expect(root.attributes['http.response.status_code']).toBe(201);

      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const producers = spans.filter((s) => s.kind === 4);
      expect(producers.map((s) => s.name)).toEqual(['addBulk items.http']);
      expect(producers[0]!.parentSpanId).toBe(root.spanId);
      // 3 items: chunks of 1 (chunkSizeFor), one consumer span per chunk job under the producer
      const consumers = spans.filter((s) => s.kind === 5);
      expect(consumers.map((s) => s.name)).toEqual(Array(3).fill('process items.http'));
      for (const c of consumers) {
        expect(c.parentSpanId).toBe(producers[0]!.spanId);
        expect(c.attributes['runledger.run.id']).toBe(run.id);
      }
      expect(consumers.map((c) => c.attributes['runledger.chunk']).sort()).toEqual([0, 1, 2]);
      // nothing else in the trace: each span is one of the kinds asserted here
      const names = new Set(spans.map((s) => s.name));
      expect(names).toEqual(
        new Set([
          'POST /v1/runs',
          'addBulk items.http',
          'process items.http',
          'runledger.item.attempt',
          'runledger.item.score',
          'runledger.results.record',
        ]),
      );
      for (const s of spans) {
        if (s !== root) expect(byId.has(s.parentSpanId)).toBe(true);
      }
    });

    it('one attempt span per attempt, under its chunk, with its attributes', () => {
      const attempts = spans.filter((s) => s.name === 'runledger.item.attempt');
      const key = (s: ReceivedSpan) =>
        `${s.attributes['runledger.item.id']}#${s.attributes['runledger.attempt']}`;
      const ordered = [...attempts].sort((a, b) => (key(a) < key(b) ? -1 : 1));
      /**
       * What the attempt span of attempt `attempt` of item `item` (index `index`) carries, with
       * its status code: a failed attempt (`retry`, `failed`) its error type (the target's
       * 500: http_error) and status 2 (error), a succeeded one the target's usage (3 + 5
       * tokens) and status 0.
       */
      const attemptSpan = (
        item: string,
        index: number,
        attempt: number,
        outcome: 'retry' | 'failed' | 'succeeded',
      ) => ({
        'runledger.run.id': run.id,
        'runledger.item.id': item,
        'runledger.item.index': index,
        'runledger.attempt': attempt,
        'runledger.target': 'http',
        'runledger.outcome': outcome,
        ...(outcome === 'succeeded'
          ? { 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 5, status: 0 }
          : { 'error.type': 'http_error', status: 2 }),
      });
      expect(
        ordered.map((s) => {
          const { 'runledger.latency_ms': latency, ...rest } = s.attributes;
          expect(typeof latency).toBe('number');
          expect(latency as number).toBeGreaterThanOrEqual(0);
          return { ...rest, status: s.status.code ?? 0 };
        }),
      ).toEqual([
        attemptSpan('bad', 2, 1, 'retry'),
        attemptSpan('bad', 2, 2, 'failed'),
        attemptSpan('flaky', 1, 1, 'retry'),
        attemptSpan('flaky', 1, 2, 'succeeded'),
        attemptSpan('ok', 0, 1, 'succeeded'),
      ]);
      // each item's attempts sit under the consumer span of its chunk (chunk = item index)
      const consumerOf = new Map(
        spans.filter((s) => s.kind === 5).map((c) => [c.attributes['runledger.chunk'], c.spanId]),
      );
      for (const a of attempts) {
        expect(a.parentSpanId).toBe(consumerOf.get(a.attributes['runledger.item.index']));
      }
      // scoring of the two successes and the record script are child spans of chunk spans
      const scores = spans.filter((s) => s.name === 'runledger.item.score');
      expect(scores.map((s) => s.attributes['runledger.item.id']).sort()).toEqual(['flaky', 'ok']);
      const records = spans.filter((s) => s.name === 'runledger.results.record');
      expect(records.length).toBeGreaterThanOrEqual(1);
      expect(records.reduce((n, s) => n + Number(s.attributes['runledger.results.count']), 0)).toBe(
        3,
      );
      for (const s of [...scores, ...records]) {
        expect([...consumerOf.values()]).toContain(s.parentSpanId);
      }
    });

    it('the http target receives each attempt span as its W3C traceparent', () => {
      const attempts = spans.filter((s) => s.name === 'runledger.item.attempt');
      expect(target.requests).toHaveLength(5);
      const seen = target.requests.map((r) => ({
        item: r.itemId,
        attempt: r.attempt,
        traceparent: r.headers.traceparent,
      }));
      const expected = attempts.map((s) => ({
        item: s.attributes['runledger.item.id'],
        attempt: s.attributes['runledger.attempt'],
        traceparent: `00-${run.traceId}-${s.spanId}-01`,
      }));
      const order = (x: { item: unknown; attempt: unknown }) => `${x.item}#${x.attempt}`;
      const sort = <T extends { item: unknown; attempt: unknown }>(list: T[]) =>
        [...list].sort((a, b) => (order(a) < order(b) ? -1 : 1));
      expect(sort(seen)).toEqual(sort(expected));
    });

    it('log lines inside a span carry trace_id and span_id', () => {
      const logs = captureLogs();
      const logger = createLogger({ destination: logs.stream, pretty: false });
      const tracer = runledgerTracer()!;
      let ids = { traceId: '', spanId: '' };
      tracer.startActiveSpan('log-test', (span) => {
        ids = span.spanContext();
        logger.child({ k: 1 }).info('inside');
        span.end();
      });
      logger.info('outside');
      expect(logs.lines[0]).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId, k: 1 });
      expect(logs.lines[1]).not.toHaveProperty('trace_id');
    });
  });
});

describe('runledger start with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (a real process, http/protobuf)', () => {
  it('records the traceId on the run, sends traceparent to the target and exports protobuf spans before exiting', async () => {
    const receiver = await startReceiver();
    const target = await startHttpTarget();
    const prefix = uniquePrefix('trace-start');
    const {
      child,
      logLines,
      exit,
      url: listening,
    } = spawnStart(
      startEnv(prefix, {
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_PROTOCOL: '',
        OTEL_SERVICE_NAME: '',
        OTEL_TRACES_SAMPLER: '',
        // the per-signal variable is used as is (no /v1/traces appended); default protocol
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      }),
    );
    try {
      const url = await listening;
      const res = await fetch(`${url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(runSpec(target.url)),
      });
      expect(res.status).toBe(201);
      const created = (await res.json()) as Run;
      expect(created.traceId).toMatch(/^[0-9a-f]{32}$/);
      const run = await waitFor(async () => {
        const got = (await (await fetch(`${url}/v1/runs/${created.id}`)).json()) as Run;
        return got.status === 'completed' ? got : null;
      }, 'the run to complete');
      expect(run.traceId).toBe(created.traceId);
      expect(target.requests).toHaveLength(5);
      for (const r of target.requests) {
        expect(r.headers.traceparent).toMatch(new RegExp(`^00-${run.traceId}-[0-9a-f]{16}-01$`));
      }
      // the request's log line was written inside its server span
      const request = logLines.find((l) => l.msg === 'request' && l.path === '/v1/runs');
      expect(request).toMatchObject({ trace_id: run.traceId, status: 201 });
      expect(request?.span_id).toMatch(/^[0-9a-f]{16}$/);

      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      // shutdown exported what was left: protobuf bodies carrying the trace id and service name
      expect(receiver.paths.length).toBeGreaterThan(0);
      expect(new Set(receiver.paths)).toEqual(new Set(['POST /v1/traces application/x-protobuf']));
      const all = Buffer.concat(receiver.bodies);
      expect(all.includes(Buffer.from(run.traceId!, 'hex'))).toBe(true);
      expect(all.includes(Buffer.from('runledger.item.attempt'))).toBe(true);
      expect(all.includes(Buffer.from('runledger'))).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await target.close();
      await receiver.close();
      const redis = createRedis(redisUrl());
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
