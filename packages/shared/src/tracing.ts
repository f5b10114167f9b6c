/**
 * OpenTelemetry tracing of runledger: off by default and free when off. `startTracing()` (called
 * by the API, worker and `runledger start` entry points, never on import) starts the OTel Node
 * SDK only when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; the
 * SDK itself reads the standard `OTEL_*` variables (service name, protocol `http/protobuf` or
 * `http/json`, headers, sampler, batch settings). When off, no SDK, exporter or span exists:
 * instrumented code asks `runledgerTracer()` (null when off) once per item or batch.
 *
 * Span tree of a run (one trace): `POST /v1/runs` (server, @hono/otel) -> `addBulk items.<target>`
 * (producer, BullMQ + bullmq-otel; the context travels in each chunk job) -> `process
 * items.<target>` (consumer, one per chunk job) -> `runledger.item.attempt` (one per target call),
 * `runledger.item.score`, `runledger.results.record`.
 */
import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { type Span as BullSpan, SpanKind as BullSpanKind, type Telemetry } from 'bullmq';
import type { BullMQOtel } from 'bullmq-otel';

/** Instrumentation scope of runledger's own spans. */
export const TRACER_NAME = 'runledger';

/** Names of runledger's span attributes (besides OTel semantic conventions `error.type`, `gen_ai.*`). */
export const TRACE_ATTRS = {
  runId: 'runledger.run.id',
  itemId: 'runledger.item.id',
  itemIndex: 'runledger.item.index',
  attempt: 'runledger.attempt',
  target: 'runledger.target',
  /** `succeeded`, `retry` (another try follows), `failed` (final), `cancelled`, `handback`. */
  outcome: 'runledger.outcome',
  /** Duration of the target call, ms. */
  latencyMs: 'runledger.latency_ms',
  chunk: 'runledger.chunk',
  resultCount: 'runledger.results.count',
  errorType: 'error.type',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
} as const;

/** Options of `startTracing`. */
export interface StartTracingOptions {
  /**
   * `service.name` of the process's spans, unless `OTEL_SERVICE_NAME` (or `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`) says otherwise.
   */
  serviceName: string;
  /** Environment to read. @defaultValue `process.env` (the SDK always reads `process.env`) */
  env?: NodeJS.ProcessEnv;
}

/** One user's hold on the process's tracing. */
export interface TracingHandle {
  /** True when spans are recorded and exported in this process. */
  readonly enabled: boolean;
  /** Exports the spans ended so far (no-op when off). */
  forceFlush(): Promise<void>;
  /**
   * Releases this hold; the last one shuts the SDK down, exporting what is left. Calling it
   * again does nothing.
   */
  shutdown(): Promise<void>;
}

/** The process's tracing state, for tests and diagnostics. */
export interface TracingState {
  /** Spans are being recorded (an SDK is started). */
  enabled: boolean;
  /** Number of SDKs (and so exporters) created in this process since it started. */
  sdksCreated: number;
  /** Handles not shut down yet while tracing is on. */
  users: number;
}

let sdk: NodeSDK | null = null;
let starting: Promise<NodeSDK> | null = null;
let tracer: Tracer | null = null;
/** bullmq-otel's class, loaded with the SDK. */
let BullOtel: typeof BullMQOtel | null = null;
let users = 0;
let sdksCreated = 0;

/**
 * True when `env` asks for tracing: `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is non-empty, and neither `OTEL_SDK_DISABLED=true` nor
 * `OTEL_TRACES_EXPORTER=none` turns it off.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint =
    (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim() ||
    (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? '').trim();
  if (!endpoint) return false;
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim());
  return !(exporters.length === 1 && exporters[0] === 'none');
}

/** True when spans are recorded in this process (`startTracing` started the SDK). */
export function tracingEnabled(): boolean {
  return tracer !== null;
}

/** runledger's tracer while tracing is on, else null (the one check instrumented code makes). */
export function runledgerTracer(): Tracer | null {
  return tracer;
}

/** See `TracingState`. */
export function tracingState(): TracingState {
  return { enabled: tracer !== null, sdksCreated, users };
}

/**
 * Starts tracing for one user (API, worker, `runledger start`) when `tracingRequested(env)`:
 * the first call creates and starts the OTel `NodeSDK` (loaded only then, with bullmq-otel),
 * later calls share it.
 * Metrics and logs stay off unless `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` ask for them
 * (runledger's metrics are on `/metrics`). Returns a disabled handle when tracing is off.
 * @throws what the SDK throws on an invalid configuration.
 */
export async function startTracing(options: StartTracingOptions): Promise<TracingHandle> {
  const env = options.env ?? process.env;
  if (!tracingRequested(env)) return DISABLED;
  starting ??= (async () => {
    const [{ NodeSDK }, bullOtel] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('bullmq-otel'),
    ]);
    BullOtel = bullOtel.BullMQOtel;
    const named =
      (env.OTEL_SERVICE_NAME ?? '').trim() !== '' ||
      /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '');
    const created = new NodeSDK({
      ...(named ? {} : { serviceName: options.serviceName }),
      ...((env.OTEL_METRICS_EXPORTER ?? '').trim() === '' ? { metricReaders: [] } : {}),
      ...((env.OTEL_LOGS_EXPORTER ?? '').trim() === '' ? { logRecordProcessors: [] } : {}),
    });
    created.start();
    sdksCreated++;
    sdk = created;
    tracer = trace.getTracer(TRACER_NAME);
    return created;
  })();
  try {
    await starting;
  } catch (err) {
    starting = null;
    throw err;
  }
  users++;
  let released = false;
  return {
    enabled: true,
    forceFlush: async () => {
      const provider = trace.getTracerProvider() as { forceFlush?: () => Promise<void> };
      const delegate = (
        provider as { getDelegate?: () => { forceFlush?: () => Promise<void> } }
      ).getDelegate?.();
      await (delegate ?? provider).forceFlush?.();
    },
    shutdown: async () => {
      if (released) return;
      released = true;
      if (--users > 0) return;
      const stopping = sdk;
      sdk = null;
      starting = null;
      tracer = null;
      await stopping?.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

const DISABLED: TracingHandle = {
  enabled: false,
  forceFlush: async () => {},
  shutdown: async () => {},
};

/** `trace_id`/`span_id` of the active span for log lines (`{}` when tracing is off or no span). */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  if (tracer === null) return {};
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** Trace id of the active span when it is sampled (recorded), else null (also when off). */
export function currentTraceId(): string | null {
  if (tracer === null) return null;
  const span = trace.getActiveSpan();
  if (!span) return null;
  const sc = span.spanContext();
  return sc.traceFlags & TraceFlags.SAMPLED ? sc.traceId : null;
}

/**
 * Adds the W3C trace context of the active span (`traceparent`, `tracestate`) to `headers`
 * (lower-case names) so the called service joins the trace. No-op when tracing is off.
 */
export function injectTraceHeaders(headers: Record<string, string>): void {
  if (tracer === null) return;
  propagation.inject(context.active(), headers);
}

/** Sets `attributes` on the active span (e.g. the chunk job's consumer span); no-op when off. */
export function annotateActiveSpan(attributes: Attributes): void {
  if (tracer === null) return;
  trace.getActiveSpan()?.setAttributes(attributes);
}

/**
 * Runs `fn` in a child span `name` of the active span (status ERROR and the exception recorded
 * when it throws); just `fn()` when tracing is off.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | null) => Promise<T>,
): Promise<T> {
  // tracing off: `fn`'s own promise, no wrapper (this runs once per item on the hot path)
  if (tracer === null) return fn(null);
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

const NOOP_BULL_SPAN: BullSpan = {
  setSpanOnContext: (ctx: unknown) => ctx,
  setAttribute: () => {},
  setAttributes: () => {},
  addEvent: () => {},
  recordException: () => {},
  end: () => {},
};

/**
 * BullMQ's `telemetry` option (bullmq-otel) while tracing is on, else undefined. Only the
 * messaging spans are kept: producer (`add`/`addBulk`, whose context is stored in each job) and
 * consumer (`process`, parented to it); BullMQ's internal spans (each poll, stalled checks,
 * close) would each start a trace of their own and are dropped.
 */
export function bullTelemetry(): Telemetry | undefined {
  if (tracer === null || BullOtel === null) return undefined;
  const otel = new BullOtel({ tracerName: 'runledger-bullmq' });
  return {
    contextManager: otel.contextManager,
    tracer: {
      startSpan(name, options, ctx) {
        const kind = options?.kind;
        if (kind !== BullSpanKind.PRODUCER && kind !== BullSpanKind.CONSUMER) return NOOP_BULL_SPAN;
        return otel.tracer.startSpan(name, options, ctx);
      },
    },
  };
}
