/**
 * Creates runs straight through the run store and queues, in the order the API does
 * (stageItems -> commitRun, which indexes it -> enqueueRun), so worker tests do not depend on the
 * API; and through the API (`postRun`), for tests that run one.
 */
import {
  chunkSizeFor,
  type NewRun,
  type RunQueues,
  type RunSpec,
  RunSpecSchema,
  type RunStore,
  type StoredItem,
} from '@runledger/shared';
import { ulid } from 'ulid';
import { expect } from 'vitest';
import type { z } from 'zod';

/** A run spec as a client sends it (defaults not applied yet). */
export type RunSpecInput = z.input<typeof RunSpecSchema>;

/** Options of `submitRunDirect`. */
export interface SubmitRunOptions {
  /** Max items per chunk job (`chunkSizeFor(total, maxChunkSize)`). @defaultValue 100 */
  maxChunkSize?: number;
  /** Exact chunk size, overriding `maxChunkSize`. */
  chunkSize?: number;
  /** Retention after the run ends, seconds. @defaultValue 3600 */
  ttlSeconds?: number;
  /** Run id. @defaultValue a new ULID */
  id?: string;
}

/** Validates `spec` (defaults applied), creates the run and enqueues its chunks. Returns the run id. */
export async function submitRunDirect(
  store: RunStore,
  queues: RunQueues,
  spec: RunSpecInput,
  options: SubmitRunOptions = {},
): Promise<string> {
  const parsed: RunSpec = RunSpecSchema.parse(spec);
  const id = options.id ?? ulid();
  const createdAt = Date.now();
  const items: StoredItem[] = (parsed.dataset.items ?? []).map((item, index) => {
    const stored: StoredItem = { id: item.id ?? String(index), input: item.input };
    if (item.expectedOutput !== undefined) stored.expectedOutput = item.expectedOutput;
    if (item.metadata !== undefined) stored.metadata = item.metadata;
    return stored;
  });
  for (let i = 0; i < items.length; i += 1000) {
    await store.runs.stageItems(id, i, items.slice(i, i + 1000));
  }
  const chunkSize = options.chunkSize ?? chunkSizeFor(items.length, options.maxChunkSize ?? 100);
  await store.runs.commitRun({
    id,
    name: parsed.name,
    target: parsed.target,
    scorers: parsed.scorers,
    execution: parsed.execution,
    datasetId: parsed.dataset.id,
    datasetVersion: parsed.dataset.version ?? 'test-v1',
    totalItems: items.length,
    chunkSize,
    ttlSeconds: options.ttlSeconds ?? parsed.retention?.ttlSeconds ?? 3600,
    tags: parsed.tags,
    metadata: parsed.metadata,
    createdAt,
  });
  await queues.enqueueRun(id, parsed.target.name, items.length, chunkSize);
  return id;
}

/**
 * A run to commit with test defaults: target `echo`, no scorers, one attempt (1 s timeout),
 * dataset version `v1`, chunks of 10, 1 h retention, created now; `overrides` on top.
 */
export function testRun(id: string, totalItems: number, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    target: { name: 'echo' },
    scorers: [],
    execution: { maxAttempts: 1, backoff: { type: 'fixed', delayMs: 10 }, timeoutMs: 1000 },
    datasetVersion: 'v1',
    totalItems,
    chunkSize: 10,
    ttlSeconds: 3600,
    tags: [],
    metadata: {},
    createdAt: Date.now(),
    ...overrides,
  };
}

/**
 * Stages `items` (default: `{ id: 'item-<i>', input: i }` for i < n) and commits a `testRun` of
 * them straight through the store (no jobs enqueued). Returns the run id.
 */
export async function commitTestRun(
  store: RunStore,
  n: number,
  overrides: Partial<NewRun> = {},
  items: StoredItem[] = Array.from({ length: n }, (_, i) => ({ id: `item-${i}`, input: i })),
): Promise<string> {
  const id = ulid();
  await store.runs.stageItems(id, 0, items);
  await store.runs.commitRun(testRun(id, n, overrides));
  return id;
}

/** What `postRun` needs of the API: a Hono app's `request` (no auth key is sent). */
export interface RequestableApp {
  request(path: string, init: RequestInit): Response | Promise<Response>;
}

/**
 * Submits `spec` through the API as a client does (`POST /v1/runs`, JSON body), asserts the
 * answer is 201 (the body is the assertion's message otherwise) and returns the new run's id.
 */
export async function postRun(app: RequestableApp, spec: RunSpecInput): Promise<string> {
  const res = await app.request('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}
