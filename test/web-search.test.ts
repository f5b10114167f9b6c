/**
 * The dashboard's search, sort, totals and item side panel (issue 8) in a real headless Chromium
 * (playwright-core), served by a real API over HTTP with an in-process worker and the test
 * Redis: the runs search narrows the list (and the URL), the totals come from
 * `GET /v1/runs/aggregate` with exact counts by target and model, the runs table never widens
 * the page at 1440 px, the results search finds an item by its output text, the latency sort
 * shows the API's order, a row opens in a side panel that Esc closes while j/k still move, and
 * a scorer's "not passed" tab lists exactly the items that did not pass it.
 * A failing test leaves a screenshot under test-results/.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { startApi } from '@runledger/api';
import { type Result, type Run, type TargetDefinition, z } from '@runledger/shared';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiHttp } from './helpers/api-http.js';
import {
  type DashboardStack,
  screenshotOnFailure,
  startDashboardStack,
  submitExactMatchRun,
} from './helpers/dashboard-stack.js';

/** `search-echo`: answers `input.answer` after `input.delayMs`; `config.model` only labels the run. */
const echoTarget: TargetDefinition<{ model?: string | undefined }> = {
  name: 'search-echo',
  description: 'answers input.answer (test target of the dashboard search)',
  configSchema: z.object({ model: z.string().optional() }).strict(),
  async run(input, context) {
    const item = input as { answer?: unknown; delayMs?: number; fail?: boolean };
    if (item.delayMs) await delay(item.delayMs, undefined, { signal: context.signal });
    if (item.fail) throw new Error('asked to fail');
    return { output: item.answer ?? null, usage: { inputTokens: 3, outputTokens: 2 } };
  },
};

let api: Awaited<ReturnType<typeof startApi>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const { http, waitForStatus } = createApiHttp(() => api.url);

/** Submits a run of `search-echo` scored by exact_match and waits for it to complete. */
async function completedRun(
  items: { id: string; input: unknown; expectedOutput?: unknown }[],
  extra: Record<string, unknown> = {},
): Promise<Run> {
  const run = await submitExactMatchRun(http, 'search-echo', items, extra);
  await waitForStatus(run.id, 'completed', 30_000);
  return run;
}

/** n items answering `a<i>`, expected `a<i>` except those in `wrong`. */
const items = (n: number, wrong: number[] = []) =>
  Array.from({ length: n }, (_, i) => ({
    id: `k${i}`,
    input: { answer: `a${i}` },
    expectedOutput: wrong.includes(i) ? 'other' : `a${i}`,
  }));

let stack: DashboardStack | undefined;

beforeAll(async () => {
  stack = await startDashboardStack('websearch', { WORKER_CONCURRENCY: '4' }, [echoTarget]);
  ({ browser, api } = stack);
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  if (process.env.WEB_TEST_DEBUG) {
    page.on('console', (m) => console.log('[browser]', m.type(), m.text()));
    page.on('pageerror', (e) => console.log('[pageerror]', e.message));
  }
});

afterEach(async (ctx) => {
  await screenshotOnFailure(ctx.task.result?.state, page, ctx.task.name);
  await context?.close();
});

const runRows = () => page.locator('table[aria-label="runs"] tbody tr');
const resultRows = () => page.locator('table[aria-label="results"] tbody tr');
/** Item ids of the result rows on screen, in order. */
const rowIds = async () =>
  (await resultRows().locator('td:nth-child(2)').allTextContents()).join(',');

describe('runs page: search and totals', () => {
  let needleA: Run;
  let needleB: Run;
  let hay: Run;

  beforeAll(async () => {
    // needle A: model m-a, 4 items all passing; needle B: model m-b, 2 items, 1 passing;
    // haystack: no model, 3 items, three scorers and a long name (the widest row)
    needleA = await completedRun(items(4), {
      name: 'Needle one',
      target: { name: 'search-echo', config: { model: 'm-a' } },
    });
    needleB = await completedRun(items(2, [1]), {
      name: 'needle two',
      target: { name: 'search-echo', config: { model: 'm-b' } },
    });
    hay = await completedRun(items(3), {
      name: `haystack: a nightly regression evaluation of the support assistant, ${'x'.repeat(60)}`,
      scorers: [{ name: 'exact_match' }, { name: 'contains' }, { name: 'json_equal' }],
    });
  });

  it('the search narrows the list and the totals, with exact counts by target and model', async () => {
    await page.goto(`${api.url}/runs`);
    await expect.poll(() => runRows().count()).toBe(3);
    const totals = page.getByTestId('run-totals');
    await expect.poll(() => totals.locator('[data-total="Runs"]').textContent()).toBe('Runs 3');
    expect(await totals.locator('[data-total="Items"]').textContent()).toBe('Items 9');
    // at 1440 px the columns fit (long names wrap): neither the page nor the table scrolls sideways
    const widths = (await page.evaluate(
      `({ page: document.documentElement.scrollWidth, window: window.innerWidth,
          table: document.querySelector('.table-wrap').scrollWidth,
          box: document.querySelector('.table-wrap').clientWidth })`,
    )) as { page: number; window: number; table: number; box: number };
    expect(widths.page).toBeLessThanOrEqual(widths.window);
    expect(widths.table).toBeLessThanOrEqual(widths.box);

    await page.getByRole('searchbox', { name: 'search runs' }).fill('NEEDLE');
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('NEEDLE');
    await expect.poll(() => runRows().count()).toBe(2);
    expect(
      (
        await runRows().evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id')))
      ).sort(),
    ).toEqual([needleA.id, needleB.id].sort());
    expect(await page.locator(`tr[data-run-id="${hay.id}"]`).count()).toBe(0);
    // totals over the 2 matching runs: 6 items, 6 x 5 tokens, exact_match 5 of 6 items
    await expect.poll(() => totals.locator('[data-total="Runs"]').textContent()).toBe('Runs 2');
    expect(await totals.locator('[data-total="Items"]').textContent()).toBe('Items 6');
    expect(await totals.locator('[data-total="Tokens"]').textContent()).toBe('Tokens 30');
    expect(await totals.locator('[data-total="Pass rate"]').textContent()).toBe('Pass rate 83.3%');
    // search-echo reports tokens of models with no price: the cost says how many it leaves out
    expect(await totals.locator('[data-total="Cost"]').textContent()).toBe('Cost $0 · 6 unpriced');
    await totals.click(); // unfold the groups
    const byTarget = page.locator('table[aria-label="runs by target"] tbody tr');
    await expect.poll(() => byTarget.count()).toBe(1);
    expect(await byTarget.locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['search-echo', '2', '6', '83.3%']),
    );
    const byModel = page.locator('table[aria-label="runs by model"] tbody tr');
    expect(await byModel.locator('td:first-child').allTextContents()).toEqual(['m-a', 'm-b']);
    expect(await page.locator('tr[data-group="m-a"] td').allTextContents()).toEqual(
      expect.arrayContaining(['1', '4', '$0 · 4 unpriced', '100.0%']),
    );
    expect(await page.locator('tr[data-group="m-b"] td').allTextContents()).toEqual(
      expect.arrayContaining(['1', '2', '50.0%']),
    );
    // a model's row filters the list by it, on top of the search
    await page.locator('tr[data-group="m-b"] a').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('model')).toBe('m-b');
    expect(new URL(page.url()).searchParams.get('q')).toBe('NEEDLE');
    await expect.poll(() => runRows().count()).toBe(1);
    expect(await runRows().first().getAttribute('data-run-id')).toBe(needleB.id);
    expect(await page.getByRole('textbox', { name: 'model' }).inputValue()).toBe('m-b');
    await page.goBack();
    await expect.poll(() => runRows().count()).toBe(2);
    // the search is a deep link
    await page.reload();
    await expect.poll(() => runRows().count()).toBe(2);
    expect(await page.getByRole('searchbox', { name: 'search runs' }).inputValue()).toBe('NEEDLE');
    // by id
    await page.goto(`${api.url}/runs?q=${hay.id.slice(-10).toLowerCase()}`);
    await expect.poll(() => runRows().count()).toBe(1);
    expect(await runRows().first().getAttribute('data-run-id')).toBe(hay.id);
  });
});

describe('run page: results search, sort and side panel', () => {
  let run: Run;

  beforeAll(async () => {
    const delays = [240, 0, 300, 60, 180, 120, 20, 90];
    run = await completedRun(
      delays.map((delayMs, i) => ({
        id: `i${i}`,
        input: { answer: i === 3 ? 'The Eiffel Tower is in PARIS' : `answer ${i}`, delayMs },
        expectedOutput: `answer ${i}`,
      })),
      { name: 'searchable' },
    );
  });

  it('finds an item by its output text and sorts rows by latency', async () => {
    await page.goto(`${api.url}/runs/${run.id}`);
    await expect
      .poll(() => page.locator('table[aria-label="results"]').getAttribute('aria-rowcount'))
      .toBe('8');
    await page.locator('tr[data-index="0"]').waitFor();
    await page.keyboard.press('/'); // focuses the search box
    await page.keyboard.type('paris');
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('paris');
    await expect.poll(rowIds).toBe('i3');
    expect(await resultRows().first().textContent()).toContain('The Eiffel Tower is in PARIS');

    // sort by latency: the API's order, latencies non-decreasing
    await page.getByRole('searchbox', { name: 'search results' }).fill('');
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBeNull();
    await page.getByRole('combobox', { name: 'sort results' }).selectOption('latency');
    await expect.poll(() => new URL(page.url()).searchParams.get('sort')).toBe('latency');
    const sorted = await http<{ results: Result[] }>(
      'GET',
      `/v1/runs/${run.id}/results?sort=latency`,
    );
    const expected = sorted.body.results.map((r) => r.itemId);
    expect(expected).toHaveLength(8);
    const latencies = sorted.body.results.map((r) => r.latencyMs ?? -1);
    expect(latencies).toEqual([...latencies].sort((a, b) => a - b));
    await expect.poll(rowIds).toBe(expected.join(','));
    await page.getByRole('combobox', { name: 'sort results' }).selectOption('-latency');
    await expect.poll(rowIds).toBe([...expected].reverse().join(','));
    // sort and search together, from the URL: i3's output has no "answer", its expected one has
    await page.goto(`${api.url}/runs/${run.id}?sort=-latency&q=answer`);
    await expect.poll(rowIds).toBe([...expected].reverse().join(','));
    await page.goto(`${api.url}/runs/${run.id}?sort=-latency&q=eiffel`);
    await expect.poll(rowIds).toBe('i3');
  });

  it('opens a row in the side panel; Esc closes it; j/k still move', async () => {
    await page.goto(`${api.url}/runs/${run.id}`);
    // the rows hold their results (a row still loading opens nothing when clicked)
    await expect.poll(rowIds).toBe(Array.from({ length: 8 }, (_, i) => `i${i}`).join(','));
    await page.locator('tr[data-index="2"]').click();
    const panel = page.getByTestId('item-panel');
    await expect.poll(() => panel.count()).toBe(1);
    await expect.poll(() => panel.getByTestId('output').textContent()).toBe('answer 2');
    expect(await panel.getByTestId('expected').textContent()).toBe('answer 2');
    expect(new URL(page.url()).searchParams.get('item')).toBe('i2');
    expect(new URL(page.url()).pathname).toBe(`/runs/${run.id}`); // the run page stays
    expect(await resultRows().count()).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
    await expect.poll(() => panel.count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('item')).toBeNull();

    // keyboard: j j j k selects row 2 (0-based), Enter opens it in the panel
    for (const key of ['j', 'j', 'j', 'k']) await page.keyboard.press(key);
    await expect
      .poll(() => page.locator('tr[aria-selected="true"]').getAttribute('data-index'))
      .toBe('1');
    await page.keyboard.press('Enter');
    await expect.poll(() => panel.getByTestId('output').textContent()).toBe('answer 1');
    // j moves on with the panel open; Enter shows the next item
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await expect.poll(() => panel.getByTestId('output').textContent()).toBe('answer 2');
    // the panel is a shareable URL, and the item page stays a full-page deep link
    await page.reload();
    await expect.poll(() => panel.getByTestId('output').textContent()).toBe('answer 2');
    await panel.getByRole('link', { name: /open as a page/ }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/runs/${run.id}/items/i2`);
    await expect.poll(() => page.getByTestId('output').textContent()).toBe('answer 2');
    expect(await page.getByTestId('item-panel').count()).toBe(0);
  });
});

describe('run page: a scorer\'s "not passed" tab', () => {
  let run: Run;

  beforeAll(async () => {
    // k1, k4 answer wrong, k6 fails to execute: exact_match passes 5 of 8
    const list = items(8, [1, 4]).map((item, i) =>
      i === 6 ? { ...item, input: { ...item.input, fail: true } } : item,
    );
    run = await completedRun(list, { name: 'scorefail' });
  });

  it('counts totalItems - passed and lists exactly the items that did not pass', async () => {
    await page.goto(`${api.url}/runs/${run.id}`);
    await expect
      .poll(() => page.locator('table[aria-label="results"]').getAttribute('aria-rowcount'))
      .toBe('8');
    const tab = page
      .getByRole('group', { name: 'scorer filter' })
      .getByRole('button', { name: /exact_match not passed/ });
    expect(await tab.textContent()).toBe('exact_match not passed 3');
    await tab.click();
    await expect.poll(() => new URL(page.url()).searchParams.get('notPassed')).toBe('exact_match');
    expect(await tab.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(rowIds).toBe('k1,k4,k6');
    // with the status tab: the failed item only
    await page
      .getByRole('group', { name: 'result status filter' })
      .getByRole('button', { name: /^failed/ })
      .click();
    await expect.poll(rowIds).toBe('k6');
    // from the URL, and off again
    await page.goto(`${api.url}/runs/${run.id}?notPassed=exact_match&status=succeeded`);
    await expect.poll(rowIds).toBe('k1,k4');
    await tab.click();
    await expect.poll(() => new URL(page.url()).searchParams.get('notPassed')).toBeNull();
    await expect.poll(rowIds).toBe('k0,k1,k2,k3,k4,k5,k7');
  });
});
