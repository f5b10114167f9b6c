/**
 * A small HTTP client for tests that talk to a running API over real HTTP: JSON requests, every
 * page of a run's results, waiting for a status, and reading an SSE stream (eventsource-parser).
 */
import type { Result, Run } from '@runledger/shared';
import { createParser } from 'eventsource-parser';
import { expect } from 'vitest';
import { waitFor } from './context.js';

/** One Server-Sent Event as the API sends it. */
export interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Client of the API at `baseUrl()` (a function: the URL is known only once the server started). */
export function createApiHttp(baseUrl: () => string) {
  async function http<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** Every result of `runId` (optionally of one status), following `nextCursor` with pages of `limit`. */
  async function allResults(runId: string, status?: string, limit = 137): Promise<Result[]> {
    const out: Result[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ limit: String(limit) });
      if (status) q.set('status', status);
      if (cursor) q.set('cursor', cursor);
      const page = await http<{ results: Result[]; nextCursor: string | null }>(
        'GET',
        `/v1/runs/${runId}/results?${q}`,
      );
      expect(page.status).toBe(200);
      out.push(...page.body.results);
      cursor = page.body.nextCursor;
    } while (cursor);
    return out;
  }

  /** Polls `GET /v1/runs/:id` until the run has `status`; returns it. */
  const waitForStatus = (runId: string, status: string, timeoutMs = 30_000) =>
    waitFor(
      async () => {
        const { body } = await http<Run>('GET', `/v1/runs/${runId}`);
        return body.status === status ? body : null;
      },
      `run ${runId} ${status}`,
      timeoutMs,
    );

  return { http, allResults, waitForStatus };
}

/** Reads an SSE response until the API ends it (after a terminal status) or `max` events. */
export async function readSse(res: Response, max = Number.POSITIVE_INFINITY): Promise<SseEvent[]> {
  expect(res.status).toBe(200);
  const events: SseEvent[] = [];
  const parser = createParser({
    onEvent: (e) =>
      events.push({ id: e.id ?? '', event: e.event ?? 'message', data: JSON.parse(e.data) }),
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    parser.feed(value);
    if (events.length >= max) {
      await reader.cancel();
      return events.slice(0, max);
    }
  }
}
