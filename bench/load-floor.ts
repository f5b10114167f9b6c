/**
 * Child of `bench/load.ts`: a bare `node:http` server answering every request with
 * `{"ok":true}` on `127.0.0.1:$PORT`. No framework, no Redis: its latency and CPU per request
 * under the same paced load are the floor of any Node HTTP API on the machine, measured in the
 * same run as the API's. Stops on SIGTERM/SIGINT.
 */
import { createServer } from 'node:http';

const server = createServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end('{"ok":true}');
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
