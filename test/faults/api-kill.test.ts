/**
 * Fault: the API process killed with SIGKILL in the middle of a large streamed NDJSON
 * submission (100,000 items generated lazily). Promised: no half-created run is left visible or
 * runnable (no run hash, nothing in the runs index, no chunk job); the items staged so far carry
 * a TTL, so they clean themselves up; a new API process then serves submissions as usual.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { scanKeys } from '../helpers/redis-dump.js';
import type { Cluster } from './harness.js';
import { accounting, clusterPerFile, expectIntact, kill, poll, waitTerminal } from './harness.js';

let cluster: Cluster;
clusterPerFile({ label: 'api-kill' }, (c) => {
  cluster = c;
});

/**
 * Streams an NDJSON run of `total` items to `url`, written lazily with backpressure. Resolves
 * with how the request ended (the API may die under it).
 */
function streamNdjson(url: string, total: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(`status ${res.statusCode}`));
    });
    req.on('error', (err) => resolve(`error ${err.message}`));
    // no worker runs yet: the run waits for one (else it is refused at submit)
    req.write(
      `${JSON.stringify({ target: { name: 'echo' }, scorers: [], execution: { waitForWorkers: true } })}\n`,
    );
    let i = 0;
    const pump = () => {
      while (i < total) {
        const lines: string[] = [];
        for (let n = 0; n < 500 && i < total; n++, i++) {
          lines.push(JSON.stringify({ id: `item-${i}`, input: { i, text: 'x'.repeat(64) } }));
        }
        if (!req.write(`${lines.join('\n')}\n`)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

describe('fault: API killed mid-submission', () => {
  it('SIGKILL during a 100,000-item NDJSON stream leaves no run, no job, only TTL-bound staged items', async () => {
    const api = await cluster.spawnApi();
    const prefix = cluster.prefix;
    const ended = streamNdjson(api.url, 100_000);
    // kill once a good part of the items is staged (and long before the stream ends)
    const staged = await poll(async () => {
      const keys = await scanKeys(cluster.client, `${prefix}:{*}:items`);
      const sizes = await Promise.all(keys.map((key) => cluster.client.hlen(key)));
      return sizes.some((n) => n >= 10_000) ? keys : null;
    }, 'items being staged');
    expect(await kill(api)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await ended).toMatch(/^error /);

    // none of the run exists: no run hash, no index entry, no job
    expect(await scanKeys(cluster.client, `${prefix}:{*}:run`)).toEqual([]);
    expect(await cluster.client.zcard(cluster.store.keys.runsIndex)).toBe(0);
    expect(await scanKeys(cluster.client, `{${prefix}}:*`)).toEqual([]);
    const listed = await cluster.store.runs.listRuns();
    expect(listed.runs).toEqual([]);
    // the staged items expire by themselves
    const itemsKeys = await scanKeys(cluster.client, `${prefix}:{*}:items`);
    expect(itemsKeys).toEqual(staged);
    for (const key of itemsKeys) {
      const ttl = await cluster.client.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(cluster.store.safetyTtlSeconds);
    }
    const stagedItems = (
      await Promise.all(itemsKeys.map((key) => cluster.client.hlen(key)))
    ).reduce((a, b) => a + b, 0);

    // a new API process serves as usual, and the run it takes completes
    const api2 = await cluster.spawnApi();
    await cluster.spawnWorker();
    const body = [
      JSON.stringify({ target: { name: 'echo' } }),
      ...Array.from({ length: 500 }, (_, i) => JSON.stringify({ input: { i } })),
    ].join('\n');
    const res = await fetch(`${api2.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(res.status).toBe(201);
    const runId = ((await res.json()) as { id: string }).id;
    expect(await waitTerminal(cluster, runId)).toBe('completed');
    const row = await accounting(cluster, runId, 'API SIGKILL mid-NDJSON (100k items)', {
      notes: `killed with ${stagedItems} items staged: no run, no job, staged keys TTL-bound; row: the next run, on a new API`,
    });
    expectIntact(row, 500);
    const page = (await (await fetch(`${api2.url}/v1/runs`)).json()) as { runs: { id: string }[] };
    expect(page.runs.map((r) => r.id)).toEqual([runId]);
  });
});
