/**
 * Prometheus metrics of the API, on an app-owned prom-client `Registry` (never the global one).
 * Fleet-wide figures are read from Redis at scrape time (workers write them with
 * `store.fleet.incrementMetrics`), so any API replica reports the same numbers.
 */
import type { RunQueues, RunStore } from '@runledger/shared';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Metric,
  type MetricValueWithName,
  Registry,
} from 'prom-client';

/** Upper bounds (ms) of the latency buckets workers count in `item_latency_ms_bucket:<le>`. */
export const ITEM_LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000,
] as const;

/** What `createMetrics` returns: the registry to scrape and the HTTP duration histogram to observe. */
export interface ApiMetrics {
  registry: Registry;
  /** `runledger_http_request_duration_seconds{method,route,status}`. */
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** `runledger_redis_errors_total{kind}`: requests of this process failed by a Redis error, by `RedisErrorKind`. */
  redisErrors: Counter<'kind'>;
  /** `runledger_redis_admission_refusals_total`: new runs/dataset versions refused above the memory high-water mark. */
  admissionRefusals: Counter;
}

/**
 * Builds the API's registry: default process metrics, `runledger_runs{status}`,
 * `runledger_items_total{status}`, `runledger_item_latency_seconds` (histogram),
 * `runledger_queue_jobs{target,state}`, `runledger_http_request_duration_seconds`,
 * `runledger_redis_errors_total{kind}` and `runledger_redis_admission_refusals_total`.
 */
export function createMetrics(store: RunStore, queues: RunQueues): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'runledger_runs',
    help: 'Runs in the index by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await store.fleet.countRunsByStatus();
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });

  new Counter({
    name: 'runledger_items_total',
    help: 'Item results recorded by all workers, by result status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const fleet = await store.fleet.readMetrics();
      this.reset();
      for (const [field, value] of Object.entries(fleet)) {
        if (field.startsWith('items_total:')) {
          this.inc({ status: field.slice('items_total:'.length) }, value);
        }
      }
    },
  });

  registry.registerMetric(createLatencyHistogram(store));

  new Gauge({
    name: 'runledger_queue_jobs',
    help: 'BullMQ chunk jobs per target queue and state',
    labelNames: ['target', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const depth = await queues.depth(await store.fleet.listTargets());
      for (const [target, states] of Object.entries(depth)) {
        for (const [state, n] of Object.entries(states)) this.set({ target, state }, n);
      }
    },
  });

  const httpDuration = new Histogram({
    name: 'runledger_http_request_duration_seconds',
    help: 'Duration of HTTP requests served by this API process, seconds',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const redisErrors = new Counter({
    name: 'runledger_redis_errors_total',
    help: 'API requests failed by a Redis error, by kind (oom, readonly, loading, connection, script, reply)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const admissionRefusals = new Counter({
    name: 'runledger_redis_admission_refusals_total',
    help: 'New runs and dataset versions refused (503) because Redis memory is above RUNLEDGER_REDIS_MEMORY_HIGH_WATER',
    registers: [registry],
  });

  return { registry, httpDuration, redisErrors, admissionRefusals };
}

/**
 * `runledger_item_latency_seconds`: a histogram whose buckets are counted by the workers in
 * Redis (`item_latency_ms_bucket:<le ms>`, NON-cumulative, plus `inf`), with
 * `item_latency_ms_sum` and `item_latency_ms_count`. Converted to seconds and cumulated here.
 * prom-client's Histogram cannot be loaded from external counts, so this is a custom metric
 * with a `get()`, as the registry allows.
 */
function createLatencyHistogram(store: RunStore): Metric {
  const name = 'runledger_item_latency_seconds';
  const help = 'Item latency (last attempt) over all workers, seconds';
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const fleet = await store.fleet.readMetrics();
      const bounds = new Set<number>(ITEM_LATENCY_BUCKETS_MS);
      for (const field of Object.keys(fleet)) {
        const le = field.startsWith('item_latency_ms_bucket:')
          ? Number(field.slice('item_latency_ms_bucket:'.length))
          : Number.NaN;
        if (Number.isFinite(le)) bounds.add(le);
      }
      const values: MetricValueWithName<string>[] = [];
      let cumulative = 0;
      for (const le of [...bounds].sort((a, b) => a - b)) {
        cumulative += fleet[`item_latency_ms_bucket:${le}`] ?? 0;
        values.push({
          metricName: `${name}_bucket`,
          labels: { le: String(le / 1000) },
          value: cumulative,
        });
      }
      cumulative += fleet['item_latency_ms_bucket:inf'] ?? 0;
      const count = fleet.item_latency_ms_count ?? cumulative;
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: count });
      values.push({
        metricName: `${name}_sum`,
        labels: {},
        value: (fleet.item_latency_ms_sum ?? 0) / 1000,
      });
      values.push({ metricName: `${name}_count`, labels: {}, value: count });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  // A structural stand-in for prom-client's Metric: the registry only calls `get()` and reads `name`.
  return metric as unknown as Metric;
}
