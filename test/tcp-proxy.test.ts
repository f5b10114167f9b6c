/**
 * The fault suite's TCP proxy (test/helpers/tcp-proxy.ts) keeps the byte stream intact: with a
 * delay, every chunk arrives in the order it was sent (a Redis connection through a proxy that
 * reordered chunks would read corrupt replies); cut resets connections until restore.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/redis-server.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

let echo: Server;
let echoPort: number;
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  echoPort = await freePort();
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(echoPort, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const p of proxies) await p.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

const connect = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });

/** Sends `lines` one write per event-loop turn (separate chunks) and reads the echo back. */
async function roundTrip(socket: Socket, lines: string[]): Promise<string> {
  const expected = lines.join('');
  let received = '';
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.length >= expected.length) resolve();
    });
  });
  for (const line of lines) {
    socket.write(line);
    // a little work between writes lets the clock tick while chunks are queued
    const until = Date.now() + (line.length % 3);
    while (Date.now() < until) {
      // spin
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  return received;
}

describe('tcp proxy (fault tests)', () => {
  it('with 5 ms each way, 400 chunks come back whole and in order', async () => {
    const proxy = await startTcpProxy(echoPort, { delayMs: 5 });
    proxies.push(proxy);
    const socket = await connect(proxy.port);
    const lines = Array.from({ length: 400 }, (_, i) => `${i}:${'x'.repeat(i % 7)}\n`);
    expect(await roundTrip(socket, lines)).toBe(lines.join(''));
    socket.destroy();
  });

  it('cut resets the open connection and refuses new ones; restore accepts again', async () => {
    const proxy = await startTcpProxy(echoPort);
    proxies.push(proxy);
    const socket = await connect(proxy.port);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    proxy.cut();
    await closed;
    expect(proxy.isCut).toBe(true);
    // refused: reset at connect or right after it
    const refused = await connect(proxy.port).then(
      (s) =>
        new Promise<string>((resolve) => {
          s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
          s.on('close', () => resolve('closed'));
        }),
      (err: NodeJS.ErrnoException) => err.code ?? 'error',
    );
    expect(refused).toBe('ECONNRESET');
    proxy.restore();
    const again = await connect(proxy.port);
    expect(await roundTrip(again, ['ping\n'])).toBe('ping\n');
    again.destroy();
    expect(proxy.accepted).toBe(3);
  });
});
