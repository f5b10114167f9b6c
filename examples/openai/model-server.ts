/**
 * A toy OpenAI-compatible chat completions server, to try the `openai` target without a real
 * model: `POST /v1/chat/completions` answers the arithmetic question of the last user message
 * ("What is 17 + 25?"). At `temperature` 0 it is always right; above 0 a deterministic share of
 * answers (about `temperature / 2`, by a hash of question and temperature) is off by one, so two
 * model configurations score differently and reproducibly. `GET /v1/models` lists the model.
 *
 *   npx tsx examples/openai/model-server.ts [port]      # default 8000 (or PORT)
 *
 * Answers carry OpenAI's `usage` (`prompt_tokens`, `completion_tokens`: whitespace-separated
 * words) and the requested `model`. With `MODEL_API_KEY` set, requests must send
 * `Authorization: Bearer <key>` (401 otherwise).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

interface ChatMessage {
  role: string;
  content: string;
}

/** The answer the toy model gives to `question` at `temperature` (a string, as a model's output). */
export function toyAnswer(question: string, temperature: number): string {
  const m = /(-?\d+)\s*([+\-*])\s*(-?\d+)/.exec(question);
  if (!m) return "I don't know.";
  const a = Number(m[1]);
  const b = Number(m[3]);
  const right = m[2] === '+' ? a + b : m[2] === '-' ? a - b : a * b;
  const digest = createHash('sha256').update(`${question}|${temperature}`).digest();
  const draw = digest.readUInt32BE(0) / 0x1_0000_0000; // uniform in [0, 1)
  return String(draw < temperature / 2 ? right + 1 : right);
}

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the toy server on `port` (0 picks a free one) at 127.0.0.1.
 * @returns the server and its base URL (`http://127.0.0.1:PORT/v1`).
 */
export async function startToyModelServer(
  port = 0,
  apiKey = process.env.MODEL_API_KEY,
): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((req, res) => {
    if (apiKey && req.headers.authorization !== `Bearer ${apiKey}`) {
      send(res, 401, { error: { message: 'invalid API key', type: 'invalid_request_error' } });
      return;
    }
    if (req.method === 'GET' && req.url === '/v1/models') {
      send(res, 200, { object: 'list', data: [{ id: 'toy-arithmetic', object: 'model' }] });
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      return;
    }
    readJson(req).then(
      (raw) => {
        const body = raw as { model?: string; messages?: ChatMessage[]; temperature?: number };
        const messages = Array.isArray(body.messages) ? body.messages : [];
        const question = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
        const answer = toyAnswer(String(question), body.temperature ?? 1);
        const prompt = messages.reduce((n, m) => n + words(String(m.content)), 0);
        send(res, 200, {
          id: `chatcmpl-${Date.now()}`,
          object: 'chat.completion',
          model: body.model ?? 'toy-arithmetic',
          choices: [
            { index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' },
          ],
          usage: {
            prompt_tokens: prompt,
            completion_tokens: words(answer),
            total_tokens: prompt + words(answer),
          },
        });
      },
      () => send(res, 400, { error: { message: 'body is not JSON' } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return { server, baseUrl: `http://127.0.0.1:${bound}/v1` };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8000);
  const { baseUrl } = await startToyModelServer(port);
  console.log(`toy OpenAI-compatible model at ${baseUrl} (POST /chat/completions)`);
}
