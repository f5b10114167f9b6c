// Use runledger from TypeScript: submit, stream, wait, read results.
// Run: RUNLEDGER_URL=http://127.0.0.1:3000 npx tsx examples/client/quickstart.ts
import { createClient, type Item, RunledgerApiError } from '@runledger/client';

// baseUrl from RUNLEDGER_URL, apiKey from RUNLEDGER_API_KEY (or pass them here)
const client = createClient();

// 1. A small run as one JSON body; the idempotency key makes it safe to retry.
const small = await client.runs.create(
  {
    target: { name: 'echo' },
    dataset: { items: [{ id: 'hello', input: 'hi', expectedOutput: 'hi' }] },
    scorers: [{ name: 'exact_match' }],
  },
  { idempotencyKey: crypto.randomUUID() },
);
console.log(`created ${small.id} (${small.status})`);

// 2. A large dataset, streamed as NDJSON: the generator is read only as the body is sent.
async function* items(count: number): AsyncGenerator<Item> {
  for (let i = 0; i < count; i++) yield { id: `q${i}`, input: i, expectedOutput: i };
}
const big = await client.runs.createStream(
  { name: 'quickstart', target: { name: 'echo' }, scorers: [{ name: 'exact_match' }] },
  items(1000),
);

// 3. Wait for the end, with progress from the run's event stream.
let last = 0;
const done = await client.runs.wait(big.id, {
  onProgress: (p) => {
    if (p.done - last >= 250 || p.done === p.total) console.log(`progress ${p.done}/${p.total}`);
    last = p.done;
  },
});
const score = done.scores.exact_match;
console.log(`${done.status}: ${done.totalItems} items, pass rate ${score?.passRate}`);

// 4. Every result, page after page, in item order.
let passed = 0;
for await (const result of client.runs.results(done.id)) {
  if (result.scores.exact_match?.passed) passed++;
}
console.log(`passed ${passed}`);

// 5. Errors are RunledgerApiError with the problem's field paths.
try {
  await client.runs.create({ target: { name: 'echo' }, dataset: { items: [] } });
} catch (err) {
  if (!(err instanceof RunledgerApiError)) throw err;
  console.log(`refused (${err.status}): ${err.errors.map((e) => e.path).join(', ')}`);
}
