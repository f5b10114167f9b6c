/**
 * A real API (the app of `createAppHarness`, with an in-process worker) served over HTTP on a
 * free port, for the @runledger/client tests; `dropConnections()` destroys every open socket
 * (an SSE stream drops) while the server keeps listening.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { StartWorkerOptions } from '@runledger/worker';
import { type AppHarness, createAppHarness } from './app.js';

/** What `startClientApi` started. */
export interface ClientApi {
  harness: AppHarness;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Destroys every open connection (the server keeps listening). */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Starts the app (with a worker serving the built-ins plus `worker.targets`) on a free port. */
export async function startClientApi(
  label: string,
  env: Record<string, string> = {},
  worker: Pick<StartWorkerOptions, 'targets' | 'scorers'> = {},
): Promise<ClientApi> {
  const harness = await createAppHarness(label, env, worker);
  let server!: Server;
  const address = await new Promise<AddressInfo>((resolve) => {
    server = serve({ fetch: harness.app.fetch, hostname: '127.0.0.1', port: 0 }, resolve) as Server;
  });
  return {
    harness,
    url: `http://127.0.0.1:${address.port}`,
    dropConnections: () => server.closeAllConnections(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await harness.close();
    },
  };
}
