/**
 * `GET /v1/runs/:id/items/:index/request`: what an openai item sends the model, rendered by the
 * code the worker sends it with: system + prompt templates, a whole `messages` template, params,
 * a redacted URL; 404 for another target, a missing item or run; 409 when a placeholder has no
 * value (the item would fail `invalid_input` on a worker).
 */
import type { Problem } from '@runledger/api';
import { openAiRequestBody, type Run } from '@runledger/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { useAppHarness } from './helpers/app.js';
import { advertiseWorker } from './helpers/fake-worker.js';

const h = useAppHarness('item-request', { RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1' });
beforeAll(async () => {
  await advertiseWorker(h().store, ['echo', 'openai']);
});

/** POSTs a run; its id. */
async function submit(body: unknown): Promise<string> {
  const res = await h().app.request('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const run = (await res.json()) as Run;
  expect(res.status, JSON.stringify(run)).toBe(201);
  return run.id;
}

const get = async (path: string) => {
  const res = await h().app.request(path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & Problem };
};

const items = [
  { id: 'q1', input: 'What is 2 + 2?', metadata: { topic: 'sums' } },
  { id: 'q2', input: { question: 'What is 3 + 3?' } },
];

describe('GET /v1/runs/:id/items/:index/request', () => {
  it('renders the system and prompt templates and the params of each item', async () => {
    const id = await submit({
      target: {
        name: 'openai',
        config: {
          baseUrl: 'http://user:pw@127.0.0.1:8000/v1/',
          model: 'toy-1',
          system: 'Answer with the number only. Topic: {{metadata.topic}}',
          prompt: 'Q ({{item.id}}, #{{item.index}}): {{input}}',
          params: { temperature: 0.8, max_tokens: 16 },
        },
      },
      dataset: { items: [items[0]] },
    });
    const { status, body } = await get(`/v1/runs/${id}/items/0/request`);
    expect(status).toBe(200);
    expect(body).toEqual({
      runId: id,
      itemIndex: 0,
      itemId: 'q1',
      target: 'openai',
      method: 'POST',
      url: 'http://127.0.0.1:8000/v1/chat/completions', // user info left out
      body: {
        model: 'toy-1',
        messages: [
          { role: 'system', content: 'Answer with the number only. Topic: sums' },
          { role: 'user', content: 'Q (q1, #0): What is 2 + 2?' },
        ],
        temperature: 0.8,
        max_tokens: 16,
      },
    });
  });

  it('renders a whole messages template, an object input kept as JSON; the same body the worker sends', async () => {
    const config = {
      baseUrl: 'http://127.0.0.1:8000/v1',
      model: 'toy-1',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: '{{input.question}}' },
      ],
    };
    const id = await submit({ target: { name: 'openai', config }, dataset: { items } });
    const { status, body } = await get(`/v1/runs/${id}/items/1/request`);
    expect(status).toBe(200);
    expect(body.body).toEqual({
      model: 'toy-1',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is 3 + 3?' },
      ],
    });
    // the worker's own rendering of the same item (attempt 1)
    expect(body.body).toEqual(
      openAiRequestBody(config, {
        input: items[1]!.input,
        itemId: 'q2',
        itemIndex: 1,
        metadata: {},
        runId: id,
        attempt: 1,
      }),
    );
  });

  it('404 for another target, an item the run does not have, a run that does not exist', async () => {
    const echo = await submit({ target: { name: 'echo' }, dataset: { items } });
    const other = await get(`/v1/runs/${echo}/items/0/request`);
    expect([other.status, other.body.detail]).toEqual([
      404,
      `run ${echo} has target "echo": only openai targets' requests are rendered here`,
    ]);
    const id = await submit({
      target: { name: 'openai', config: { baseUrl: 'http://127.0.0.1:8000/v1', model: 'm' } },
      dataset: { items },
    });
    const missing = await get(`/v1/runs/${id}/items/2/request`);
    expect([missing.status, missing.body.detail]).toEqual([
      404,
      `run ${id} has no item at index 2`,
    ]);
    expect((await get('/v1/runs/01NOPE/items/0/request')).status).toBe(404);
    expect((await get(`/v1/runs/${id}/items/-1/request`)).status).toBe(400);
  });

  it('409 when a placeholder has no value for the item', async () => {
    const id = await submit({
      target: {
        name: 'openai',
        config: { baseUrl: 'http://127.0.0.1:8000/v1', model: 'm', prompt: '{{input.question}}' },
      },
      dataset: { items },
    });
    expect((await get(`/v1/runs/${id}/items/1/request`)).status).toBe(200);
    const { status, body } = await get(`/v1/runs/${id}/items/0/request`);
    expect(status).toBe(409);
    expect(body.detail).toMatch(/^item q1's request cannot be rendered: .*input\.question/);
  });
});
