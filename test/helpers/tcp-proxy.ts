/**
 * A TCP proxy for fault tests, between runledger processes and Redis: `cut()` drops every
 * connection and resets new ones (a network partition as the client sees it: its sockets die
 * and reconnects fail) until `restore()`; `delayMs` holds every chunk of data for that long in
 * each direction, in order (so a round trip gets 2 x `delayMs` more).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './redis-server.js';

/** A running proxy. `url` is a `redis://` URL pointing at it. */
export interface TcpProxy {
  port: number;
  url: string;
  /** Connections accepted so far (including those reset while cut). */
  readonly accepted: number;
  /** True while cut. */
  readonly isCut: boolean;
  /** Destroys every open connection and resets new ones until `restore()`. */
  cut(): void;
  /** Accepts and forwards connections again. */
  restore(): void;
  /** Added latency in each direction, ms (0: none). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port forwarding to `upstreamPort` on 127.0.0.1.
 * @param options.delayMs latency added in each direction, ms. @defaultValue 0
 */
export async function startTcpProxy(
  upstreamPort: number,
  options: { delayMs?: number } = {},
): Promise<TcpProxy> {
  let delayMs = options.delayMs ?? 0;
  let cut = false;
  let accepted = 0;
  const open = new Set<Socket>();

  /**
   * Forwards `from` to `to`, each chunk `delayMs` later, in order. One queue and one timer per
   * direction: a timer per chunk could fire out of order (Node orders timers of different
   * durations that expire in the same millisecond by neither), which would corrupt the byte stream.
   */
  const forward = (from: Socket, to: Socket) => {
    const queue: { at: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const now = Date.now();
      let head = queue[0];
      while (head !== undefined && head.at <= now) {
        queue.shift();
        if (!to.destroyed) to.write(head.chunk);
        head = queue[0];
      }
      if (head !== undefined) timer = setTimeout(flush, head.at - now);
    };
    from.on('data', (chunk: Buffer) => {
      if (delayMs <= 0 && queue.length === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      queue.push({ at: Date.now() + delayMs, chunk });
      if (timer === undefined) timer = setTimeout(flush, delayMs);
    });
    from.on('close', () => clearTimeout(timer));
  };

  const server: Server = createServer((client) => {
    accepted++;
    if (cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    forward(client, upstream);
    forward(upstream, client);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get isCut() {
      return cut;
    },
    cut() {
      cut = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      cut = false;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    async close() {
      for (const s of open) s.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
