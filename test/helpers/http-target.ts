/**
 * A scripted HTTP target on a free loopback port, for worker tests. Each request is the `http`
 * target's body `{ runId, itemId, itemIndex, attempt, input }`; what the server does is read
 * from `input` (an object):
 *   - `fail: <status>`      answer that status on every attempt
 *   - `failOnce: <status>`  answer that status on attempt 1, succeed after
 *   - `delayMs: <ms>`       wait that long before answering (ends early if the client aborts)
 *   - `hang: true`          never answer (until the client aborts)
 * A success answers 200 `{ echo: input, usage: { prompt_tokens: 3, completion_tokens: 5 }, model: 'test-model' }`.
 * Every request is recorded with its arrival time, so tests can assert exact attempts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the target received. Times in ms since epoch. */
export interface TargetRequest {
  runId: string;
  itemId: string;
  itemIndex: number;
  attempt: number;
  input: unknown;
  headers: IncomingMessage['headers'];
  arrivedAt: number;
  /** Status answered, or null while pending / when the client went away first. */
  status: number | null;
  /** True when the client closed the connection before the answer (its signal fired). */
  aborted: boolean;
}

/** A running scripted target. */
export interface HttpTargetServer {
  url: string;
  requests: TargetRequest[];
  /** Requests of item `itemIndex`, in arrival order. */
  requestsOf(itemIndex: number): TargetRequest[];
  close(): Promise<void>;
}

/** Starts the scripted target on `127.0.0.1` and a free port. */
export async function startHttpTarget(): Promise<HttpTargetServer> {
  const requests: TargetRequest[] = [];
  const server = createJsonServer<{
    runId: string;
    itemId: string;
    itemIndex: number;
    attempt: number;
    input: unknown;
  }>((body, req, res, arrivedAt) => {
    const record: TargetRequest = {
      runId: body.runId,
      itemId: body.itemId,
      itemIndex: body.itemIndex,
      attempt: body.attempt,
      input: body.input,
      headers: req.headers,
      arrivedAt,
      status: null,
      aborted: false,
    };
    requests.push(record);
    const script = (body.input !== null && typeof body.input === 'object' ? body.input : {}) as {
      fail?: number;
      failOnce?: number;
      delayMs?: number;
      hang?: boolean;
    };
    let timer: NodeJS.Timeout | undefined;
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      if (!res.writableFinished) record.aborted = true;
    });
    const answer = () => {
      let status = 200;
      if (script.fail) status = script.fail;
      else if (script.failOnce && body.attempt === 1) status = script.failOnce;
      record.status = status;
      const payload =
        status === 200
          ? {
              echo: body.input,
              usage: { prompt_tokens: 3, completion_tokens: 5 },
              model: 'test-model',
            }
          : { error: `scripted ${status}` };
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (script.hang) return;
    if (script.delayMs) timer = setTimeout(answer, script.delayMs);
    else answer();
  });
  return {
    ...(await listenOnLoopback(server)),
    requests,
    requestsOf: (itemIndex) => requests.filter((r) => r.itemIndex === itemIndex),
  };
}

/**
 * An HTTP server that reads each request's whole body, parses it as JSON (of type `T`; it
 * throws on a body that is not JSON) and calls `handle` with it, the request, the response
 * to write, and the request's arrival time (ms since epoch, taken before its body was read).
 */
export function createJsonServer<T>(
  handle: (body: T, req: IncomingMessage, res: ServerResponse, arrivedAt: number) => void,
): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T, req, res, arrivedAt);
    });
  });
}

/**
 * Starts `server` listening on `127.0.0.1` and a free port. Returns its base URL
 * (`http://127.0.0.1:<port>/`) and `close()`, which destroys the connections still open (a
 * request that hangs included) and resolves once the server is closed.
 */
export async function listenOnLoopback(
  server: Server,
): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
