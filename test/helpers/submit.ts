/**
 * Creates runs straight through the run store and queues, in the order the API does
 * (stageItems -> commitRun, which indexes it -> enqueueRun), so worker tests do not depend on the API.
 */
import {
  chunkSizeFor,
  type RunQueues,
  type RunSpec,
  RunSpecSchema,
  type RunStore,
  type StoredItem,
} from '@runledger/shared';
import { ulid } from 'ulid';
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
