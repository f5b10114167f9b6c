/**
 * The dashboard in a real headless Chromium (playwright-core), served by a real API over HTTP,
 * with an in-process worker and the test Redis: live progress to 100% with exact counters, the
 * failed-results filter, an item's diff, a comparison with regressions, cancelling from the page,
 * hostile items rendered as text (no script runs), deep links on reload, the not-found page, the
 * CSP, and the API key prompt. A failing test leaves a screenshot under test-results/.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { startApi } from '@runledger/api';
import {
  type Config,
  createLogger,
  loadConfig,
  NonRetryableError,
  type Run,
  RunStore,
  type TargetDefinition,
  z,
} from '@runledger/shared';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiHttp } from './helpers/api-http.js';
import { redisUrl } from './helpers/context.js';
import {
  type DashboardStack,
  screenshotOnFailure,
  startDashboardStack,
  submitExactMatchRun,
} from './helpers/dashboard-stack.js';

const logger = createLogger({ level: 'silent' });

/**
 * `web-echo`: answers `input.answer`, after `input.delayMs`; throws when `input.fail` is set;
 * answers `wrong` for the item ids listed in `config.wrong` (to make a second run regress).
 */
const echoTarget: TargetDefinition<{ wrong?: string[] | undefined }> = {
  name: 'web-echo',
  description: 'answers input.answer (test target of the dashboard)',
  configSchema: z.object({ wrong: z.array(z.string()).optional() }).strict(),
  async run(input, context) {
    const item = input as { answer?: unknown; fail?: string; delayMs?: number };
    if (item.delayMs) await delay(item.delayMs, undefined, { signal: context.signal });
    if (item.fail) throw new NonRetryableError(item.fail, 'scripted_failure');
    const wrong = context.config.wrong ?? [];
    return {
      output: wrong.includes(context.itemId) ? 'wrong' : (item.answer ?? null),
      usage: { inputTokens: 10, outputTokens: 5 },
    };
  },
};

let config: Config;
let api: Awaited<ReturnType<typeof startApi>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dialogs: string[];
const { http, waitForStatus } = createApiHttp(() => api.url);

/** Submits a run of `web-echo` scored by exact_match; returns it. */
async function submit(
  items: { id: string; input: unknown; expectedOutput?: unknown }[],
  extra: Record<string, unknown> = {},
): Promise<Run> {
  return submitExactMatchRun(http, 'web-echo', items, extra);
}

/** 30 answered items (q25..q29 answered wrong) and 10 that fail, as dataset items. */
const mixedItems = (delayMs = 20) =>
  Array.from({ length: 40 }, (_, i) => ({
    id: `q${i}`,
    input:
      i >= 30
        ? { fail: `boom ${i}`, delayMs }
        : { answer: i >= 25 ? `the wrong answer ${i}` : `answer ${i}`, delayMs },
    expectedOutput: `answer ${i}`,
  }));

/** `n` items answered `a` (expected `a`) after `delayMs` each, with ids `<prefix>0`... */
const slowItems = (n: number, prefix: string, delayMs: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    input: { answer: 'a', delayMs },
    expectedOutput: 'a',
  }));

let stack: DashboardStack | undefined;

beforeAll(async () => {
  stack = await startDashboardStack(
    'web',
    // the openai item below calls a closed loopback port
    { WORKER_CONCURRENCY: '4', RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1' },
    [echoTarget],
  );
  ({ browser, config, api } = stack);
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  dialogs = [];
  if (process.env.WEB_TEST_DEBUG) {
    page.on('console', (m) => console.log('[browser]', m.type(), m.text()));
    page.on('pageerror', (e) => console.log('[pageerror]', e.message));
  }
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

afterEach(async (ctx) => {
  await screenshotOnFailure(ctx.task.result?.state, page, ctx.task.name);
  await context?.close();
});

const resultRows = () => page.locator('table[aria-label="results"] tbody tr');

/**
 * A page script recording the latency chart's percentile captions as drawn (`window.captions`,
 * `Caption`s): the span each covers on its canvas by its text alignment, and the x of the line it
 * captions (the last `moveTo` before it). Plain JavaScript: it runs in the page.
 */
const CAPTION_PROBE = `
  window.captions = [];
  let lineX = NaN;
  const proto = CanvasRenderingContext2D.prototype;
  const { fillText, moveTo } = proto;
  proto.moveTo = function (x, y) {
    lineX = x;
    return moveTo.call(this, x, y);
  };
  proto.fillText = function (text, x, y, maxWidth) {
    if (/^p(50|90|99) /.test(text)) {
      const width = this.measureText(text).width;
      const align = this.textAlign;
      const from = align === 'right' || align === 'end' ? x - width : align === 'center' ? x - width / 2 : x;
      window.captions.push({ text, from, to: from + width, lineX, canvasWidth: this.canvas.width });
    }
    return fillText.call(this, text, x, y, maxWidth);
  };
`;

/** A percentile caption of the latency chart as drawn (`CAPTION_PROBE`): its span and its line's x, canvas px. */
interface Caption {
  text: string;
  from: number;
  to: number;
  lineX: number;
  canvasWidth: number;
}

describe('dashboard pages', () => {
  it('a submitted run shows its progress reaching 100% with exact counters', async () => {
    const run = await submit(mixedItems(150), { name: 'progress run' });
    await page.addInitScript({ content: CAPTION_PROBE });
    const streams: string[] = [];
    page.on('request', (req) => {
      if (req.url().endsWith(`/v1/runs/${run.id}/events`)) streams.push(req.url());
    });
    await page.goto(`${api.url}/runs/${run.id}`);
    await expect
      .poll(
        () => page.getByRole('progressbar', { name: 'run progress' }).getAttribute('aria-valuenow'),
        {
          timeout: 30_000,
        },
      )
      .toBe('100');
    await expect
      .poll(() => page.getByTestId('counters').textContent(), { timeout: 10_000 })
      .toBe('40 / 40 items · 30 succeeded · 10 failed · 0 cancelled');
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('completed');
    // completed with failed items: not in the ok tone, its title says how many
    expect(await page.locator('h1 .badge').getAttribute('class')).toBe(
      'badge badge-completed badge-some-failed',
    );
    expect(await page.locator('h1 .badge').getAttribute('title')).toBe(
      'completed: 10 of 40 items failed',
    );
    expect(streams.length).toBeGreaterThan(0); // followed live through the run's event stream
    // exact_match: 25 of the 40 items pass (the 10 that failed to execute count as not passed);
    // 25 of the 30 scored ones
    const card = page.locator('.card[data-scorer="exact_match"]');
    expect(await card.locator('.big').textContent()).toBe('62.5%');
    expect(await card.getByTestId('of-scored').textContent()).toContain('83.3% of scored');
    // the latency histogram (uPlot draws on a canvas), its p50 / p90 / p99 captioned inside it
    await expect.poll(() => page.getByTestId('latency-chart').locator('canvas').count()).toBe(1);
    const captions = async () => ((await page.evaluate('window.captions')) as Caption[]).slice(-3);
    await expect
      .poll(async () => (await captions()).map((c) => c.text.split(' ')[0]))
      .toEqual(['p50', 'p90', 'p99']);
    for (const caption of await captions()) {
      // on the canvas, and beside its line, not across it
      expect(caption.from, caption.text).toBeGreaterThanOrEqual(0);
      expect(caption.to, caption.text).toBeLessThanOrEqual(caption.canvasWidth);
      expect(caption.from > caption.lineX || caption.to < caption.lineX, caption.text).toBe(true);
    }
    // the runs list shows it too
    await page.goto(`${api.url}/runs`);
    await expect.poll(() => page.locator(`tr[data-run-id="${run.id}"]`).count()).toBe(1);
    expect(await page.locator(`tr[data-run-id="${run.id}"]`).textContent()).toContain(
      'progress run',
    );
  });

  it('the failed filter shows exactly the failed items, and an item shows its diff', async () => {
    const run = await submit(mixedItems());
    await waitForStatus(run.id, 'completed');
    await page.goto(`${api.url}/runs/${run.id}`);
    const table = page.locator('table[aria-label="results"]');
    await expect.poll(() => table.getAttribute('aria-rowcount')).toBe('40');
    // web-echo reports tokens and no model: the cost says what it leaves out
    expect(await page.getByTestId('unpriced').textContent()).toBe(
      ' · 30 results with token usage have no price and no model to price by (the target reports none)',
    );
    // virtualised: only the rows on screen (and a few more) exist
    await expect.poll(() => resultRows().locator('.badge').count()).toBeGreaterThan(10);
    expect(await resultRows().count()).toBeLessThan(40);
    await page.getByRole('button', { name: /^failed/ }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('failed');
    await expect
      .poll(async () => (await resultRows().locator('td:nth-child(2)').allTextContents()).join(','))
      .toBe(Array.from({ length: 10 }, (_, i) => `q${30 + i}`).join(','));
    expect(await resultRows().locator('.badge').allTextContents()).toEqual(
      Array(10).fill('failed'),
    );

    // a wrongly answered item: keyboard j then Enter opens the row in the side panel
    await page.getByRole('button', { name: /^all/ }).click();
    await expect.poll(() => table.getAttribute('aria-rowcount')).toBe('40');
    for (let i = 0; i < 28; i++) await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('item')).toBe('q27');
    const panel = page.getByTestId('item-panel');
    await expect.poll(() => panel.getByTestId('output').textContent()).toBe('the wrong answer 27');
    expect(await panel.getByTestId('expected').textContent()).toBe('answer 27');
    const diff = panel.getByTestId('diff').locator('.diff-body');
    expect(await diff.locator('del').count()).toBe(0); // "answer 27" is all in the output
    expect((await diff.locator('ins').allTextContents()).join('')).toContain('the wrong');
    // web-echo's tokens have no model: the item's cost says why there is none
    expect(await panel.locator('dl.facts').textContent()).toContain('Cost– (no model to price by)');
    // the run's failures by type
    await page.goto(`${api.url}/runs/${run.id}`);
    await expect
      .poll(() => page.locator('table[aria-label="errors by type"]').textContent())
      .toMatch(/scripted_failure\s*10\s*boom/);
    // a failed item shows its error
    await page.goto(`${api.url}/runs/${run.id}/items/q33`);
    await expect
      .poll(() => page.getByTestId('item-error').textContent())
      .toContain('scripted_failure');
    expect(await page.getByTestId('item-error').textContent()).toContain('boom 33');
    // Esc goes back to the run
    await page.keyboard.press('Escape');
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/runs/${run.id}`);
    // `/` focuses the results search: an item id finds that item, Enter on its row opens it
    await page.locator('tr[data-index="0"]').waitFor();
    await page.keyboard.press('/');
    await page.keyboard.type('q12');
    await expect
      .poll(async () => (await resultRows().locator('td:nth-child(2)').allTextContents()).join(','))
      .toBe('q12');
    await resultRows().first().click();
    await expect.poll(() => panel.getByTestId('output').textContent()).toBe('answer 12');
  });

  it('a large run scrolls by fetching only the pages on screen', async () => {
    const total = 3000;
    const items = Array.from({ length: total }, (_, i) => ({
      id: `big${i}`,
      input: { answer: `a${i}` },
      expectedOutput: `a${i}`,
    }));
    const run = await submit(items, { name: 'large' });
    await waitForStatus(run.id, 'completed', 60_000);
    const pagesRead: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes(`/v1/runs/${run.id}/results`)) pagesRead.push(req.url());
    });
    await page.goto(`${api.url}/runs/${run.id}`);
    const table = page.locator('table[aria-label="results"]');
    await expect.poll(() => table.getAttribute('aria-rowcount')).toBe(String(total));
    await expect.poll(() => page.locator('tr[data-index="0"]').textContent()).toContain('big0');
    // scrolls the table to row `index` (36 px rows) and waits for its item, big<index>
    const scrollTo = async (index: number) => {
      await page.locator('.vtable').evaluate((el, top) => {
        el.scrollTop = top;
      }, index * 36);
      await expect
        .poll(() => page.locator(`tr[data-index="${index}"]`).textContent())
        .toContain(`big${index}`);
    };
    // jump to the middle, then near the end
    for (const index of [1500, 2990]) await scrollTo(index);
    // a few pages of 100, not the 3000 results; only the rows on screen are in the DOM
    expect(pagesRead.length).toBeLessThanOrEqual(8);
    expect(pagesRead.every((u) => new URL(u).searchParams.get('limit') === '100')).toBe(true);
    expect(await resultRows().count()).toBeLessThan(80);
    // the table keeps the pages on screen and the 2 seen last, and drops the rest: back to the
    // middle needs no request, back to the top reads page 0 again
    const reads = (cursor: number) =>
      pagesRead.filter((u) => new URL(u).searchParams.get('cursor') === String(cursor)).length;
    expect(reads(0)).toBe(1);
    expect(reads(1500)).toBe(1);
    for (const index of [1500, 0]) await scrollTo(index);
    expect(reads(1500)).toBe(1);
    expect(reads(0)).toBe(2);
  });

  it('comparing two runs shows the regressions first', async () => {
    const items = mixedItems().slice(0, 20);
    const a = await submit(items, { name: 'baseline' });
    const b = await submit(items, {
      name: 'candidate',
      target: { name: 'web-echo', config: { wrong: ['q3', 'q7'] } },
    });
    await waitForStatus(a.id, 'completed');
    await waitForStatus(b.id, 'completed');
    await page.goto(`${api.url}/compare/${a.id}/${b.id}`);
    await expect.poll(() => page.getByTestId('regressed').locator('.big').textContent()).toBe('2');
    expect(await page.getByTestId('improved').locator('.big').textContent()).toBe('0');
    expect(await page.getByTestId('diff-card').textContent()).toContain('100.0% → 90.0%');
    // what sets b apart: its target's config
    expect(await page.locator('ul[aria-label="differences"] li').allTextContents()).toEqual([
      'wrong (none) → ["q3","q7"]',
    ]);
    const rows = page.locator('table[aria-label="compared items"] tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.locator('td:first-child').allTextContents()).toEqual(['q3', 'q7']);
    expect(await rows.first().textContent()).toContain('wrong');
    // b's page shows its target's config under the target's name
    await page.goto(`${api.url}/runs/${b.id}`);
    await expect
      .poll(() => page.locator('.target-config').allTextContents())
      .toEqual(['wrong ["q3","q7"]']);

    // a run over other items: the API's 409 reason is shown
    const other = await submit([{ id: 'x', input: { answer: 'x' }, expectedOutput: 'x' }]);
    await page.goto(`${api.url}/compare/${a.id}/${other.id}`);
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('different dataset versions');
  });

  it('cancels a running run from its page', async () => {
    const run = await submit(slowItems(200, 'slow', 300), { name: 'to cancel' });
    await page.goto(`${api.url}/runs/${run.id}`);
    // while it runs, once items finished: the time left at its pace so far
    await expect
      .poll(() => page.getByTestId('counters').textContent(), { timeout: 15_000 })
      .toMatch(/^\d+ \/ 200 items · .* · about (\d+s|\d+m\d\ds|\d+h\d\dm) left$/);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await expect
      .poll(() => page.locator('h1 .badge').textContent(), { timeout: 15_000 })
      .toBe('cancelled');
    const { body } = await http<Run>('GET', `/v1/runs/${run.id}`);
    expect(body.status).toBe('cancelled');
    expect(body.succeededCount).toBeLessThan(200);
    // said as a cancel, not as an error; the rerun button names what it reruns
    const ended = page.getByTestId('run-ended');
    await expect.poll(() => ended.textContent()).toBe('Cancelled: cancelled by request');
    expect(await ended.getAttribute('class')).toBe('notice');
    const rerun = body.failedCount === 0 ? 'cancelled' : 'failed or cancelled';
    await expect
      .poll(() => page.getByRole('button', { name: /^Rerun \d+ / }).textContent())
      .toBe(`Rerun ${body.failedCount + body.cancelledCount} ${rerun}`);
  });

  it('shows a run being ended between its slices, then as cancelled', async () => {
    const run = await submit(slowItems(40, 'end', 200), { name: 'being ended' });
    // one slice of 5 items, as a cancel of a large run leaves it between two of its calls
    const redis = stack!.redis;
    const store = new RunStore(redis, { prefix: config.RUNLEDGER_PREFIX });
    const cancelled = store.codec.encodeResult({
      status: 'cancelled',
      attempts: 0,
      error: { message: 'stop', type: 'cancelled' },
      completedAt: Date.now(),
    });
    const slice = await redis.rlFinishRun(
      ...store.keys.runKeyList(run.id),
      Date.now(),
      100,
      'cancelled',
      'stop',
      cancelled,
      5,
    );
    // OK, and this call began the ending (its items 0..4 have a result now, some maybe recorded
    // by the worker before it)
    expect([slice[0], slice[2], slice[3]]).toEqual([1, 5, 1]);
    await page.goto(`${api.url}/runs/${run.id}`);
    const ending = page.getByTestId('run-ending');
    await expect
      .poll(() => ending.textContent())
      .toMatch(/^Cancelling: recording the remaining \d+ items as cancelled; no item starts\.$/);
    const cancelButton = page.getByRole('button', { name: 'Cancelling…' });
    expect(await cancelButton.isDisabled()).toBe(true);
    expect(await page.locator('h1 .badge').textContent()).toMatch(/^(queued|running)$/);
    // the rest of the ending, as the reconciler or a second cancel does it
    expect(await store.execution.finishRun(run.id, 'cancelled')).toEqual({
      state: 'terminal',
      status: 'cancelled',
    });
    await expect
      .poll(() => page.locator('h1 .badge').textContent(), { timeout: 15_000 })
      .toBe('cancelled');
    expect(await ending.count()).toBe(0);
    await expect.poll(() => page.getByTestId('run-ended').textContent()).toBe('Cancelled: stop');
    const { body } = await http<Run>('GET', `/v1/runs/${run.id}`);
    expect(body).toMatchObject({ status: 'cancelled', ending: null, error: 'stop' });
    expect(body.succeededCount + body.failedCount + body.cancelledCount).toBe(40);
  });

  it('renders hostile items as text and runs none of them', async () => {
    const img = '<img src=x onerror=alert(1)>';
    const script = '<script>window.__xss = 1; alert(2)</script>';
    const run = await submit([
      { id: 'xss-img', input: { answer: img }, expectedOutput: script },
      { id: 'xss-script', input: { answer: script }, expectedOutput: img },
    ]);
    await waitForStatus(run.id, 'completed');
    await page.goto(`${api.url}/runs/${run.id}`);
    await expect.poll(() => resultRows().first().textContent()).toContain(img);
    await page.goto(`${api.url}/runs/${run.id}/items/xss-script`);
    await expect.poll(() => page.getByTestId('output').textContent()).toBe(script);
    expect(await page.getByTestId('expected').textContent()).toBe(img);
    const diffText = await page.getByTestId('diff').locator('.diff-body').textContent();
    expect(diffText).toContain('script>');
    expect(diffText).toContain('<img src');
    await page.goto(`${api.url}/runs/${run.id}/items/xss-img`);
    await expect.poll(() => page.getByTestId('output').textContent()).toBe(img);
    await delay(300);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("shows an item's masked counts per kind and the run's privacy policy", async () => {
    const run = await submit(
      [
        {
          id: 'pii',
          input: {
            answer: 'write to ann@example.com or bob@example.org',
            note: 'or call +1 415 555 0100',
          },
          expectedOutput: 'done',
        },
        { id: 'clean', input: { answer: 'nothing to hide' }, expectedOutput: 'nothing to hide' },
      ],
      { name: 'private run', privacy: { scrub: ['email', 'phone'] } },
    );
    await waitForStatus(run.id, 'completed');
    // the API's counts: 2 emails and 1 phone in the input at submission (the target echoed the
    // masked text: nothing more in the output)
    const { body } = await http<{ results: { itemId: string; masked: Record<string, number> }[] }>(
      'GET',
      `/v1/runs/${run.id}/results`,
    );
    expect(body.results.map((r) => [r.itemId, r.masked])).toEqual([
      ['pii', { email: 2, phone: 1 }],
      ['clean', {}],
    ]);
    await page.goto(`${api.url}/runs/${run.id}`);
    await expect
      .poll(() => page.getByTestId('privacy').textContent())
      .toBe('Privacy: masks email, phone (region US)');
    await page.goto(`${api.url}/runs/${run.id}/items/pii`);
    await expect
      .poll(() => page.getByTestId('masked-counts').textContent())
      .toBe('email 2 · phone 1');
    expect(await page.getByTestId('output').textContent()).toBe('write to [email] or [email]');
    // an item with nothing masked says nothing about masks
    await page.goto(`${api.url}/runs/${run.id}/items/clean`);
    await expect.poll(() => page.getByTestId('output').textContent()).toBe('nothing to hide');
    expect(await page.getByTestId('masked').count()).toBe(0);
    // a run without a policy shows none
    const plain = await submit(mixedItems().slice(0, 1));
    await page.goto(`${api.url}/runs/${plain.id}`);
    await expect.poll(() => page.locator('h1 .badge').count()).toBe(1);
    expect(await page.getByTestId('privacy').count()).toBe(0);
  });

  it('deep links load on reload; unknown paths show the not-found page', async () => {
    const run = await submit(mixedItems().slice(0, 5), { name: 'deep link' });
    await waitForStatus(run.id, 'completed');
    for (const path of [
      `/runs/${run.id}?status=succeeded`,
      `/runs/${run.id}/items/q2`,
      '/runs',
      '/runs?status=completed&since=2020-01-01',
      '/experiments',
      '/datasets',
      '/workers',
    ]) {
      const res = await page.goto(`${api.url}${path}`);
      expect(res?.status(), path).toBe(200);
      await page.reload();
      await expect
        .poll(() => page.locator('main h1').count(), { message: path })
        .toBeGreaterThan(0);
    }
    await page.goto(`${api.url}/runs/${run.id}/items/q2`);
    await expect.poll(() => page.getByTestId('output').textContent()).toBe('answer 2');
    expect(await page.title()).toBe('Item q2 · runledger');
    await page.goto(`${api.url}/`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/runs');
    const missing = await page.goto(`${api.url}/no/such/page`);
    expect(missing?.status()).toBe(404);
    await expect.poll(() => page.getByTestId('not-found').count()).toBe(1);
    // a run that does not exist (or was deleted) says so
    await page.goto(`${api.url}/runs/01JZ8X6T2M3N4P5Q6R7S8T9V0W`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not found');
    // the workers page lists the test worker
    await page.goto(`${api.url}/workers`);
    await expect
      .poll(() => page.locator('table[aria-label="workers"]').textContent())
      .toContain('web-echo');
  });

  it('exports results and reruns the failed items as a new run', async () => {
    const run = await submit(mixedItems(), { name: 'to rerun' });
    await waitForStatus(run.id, 'completed');
    await page.goto(`${api.url}/runs/${run.id}`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSONL' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${run.id}.jsonl`);
    const path = await download.path();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(40);
    await page.getByRole('button', { name: 'Rerun 10 failed' }).click();
    await expect.poll(() => new URL(page.url()).pathname).not.toBe(`/runs/${run.id}`);
    await expect
      .poll(() => page.getByTestId('counters').textContent(), { timeout: 15_000 })
      .toBe('10 / 10 items · 0 succeeded · 10 failed · 0 cancelled');
    expect(await page.locator('h1 .badge').getAttribute('class')).toBe(
      'badge badge-completed badge-all-failed',
    );
    expect(await page.locator('dl.facts').textContent()).toMatch(
      new RegExp(`rerun of\\s*${run.id}`),
    );
    // the original lists its rerun
    const rerunId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await page.goto(`${api.url}/runs/${run.id}`);
    await expect.poll(() => page.locator('dl.facts').textContent()).toContain(`reruns: ${rerunId}`);
  });

  it("an openai item's page shows the messages it sent the model", async () => {
    const { status, body: run } = await http<Run>('POST', '/v1/runs', {
      target: {
        name: 'openai',
        // nothing listens on port 9: the item fails, its request is still what was sent
        config: {
          baseUrl: 'http://127.0.0.1:9/v1',
          model: 'toy-1',
          system: 'Answer with the number only.',
          params: { temperature: 0 },
        },
      },
      dataset: { items: [{ id: 'sum', input: 'What is 2 + 2?', expectedOutput: '4' }] },
      execution: { maxAttempts: 1 },
    });
    expect(status).toBe(201);
    await waitForStatus(run.id, 'completed');
    await page.goto(`${api.url}/runs/${run.id}/items/sum`);
    const request = page.getByTestId('model-request');
    await expect.poll(() => request.getByTestId('message').count()).toBe(2);
    expect(await request.getByTestId('message').allTextContents()).toEqual([
      'systemAnswer with the number only.',
      'userWhat is 2 + 2?',
    ]);
    expect(await request.locator('p').textContent()).toBe(
      'POST http://127.0.0.1:9/v1/chat/completions · model toy-1',
    );
    expect(await request.getByTestId('request-params').textContent()).toBe(
      JSON.stringify({ temperature: 0 }, null, 2),
    );
    // web-echo runs have no such section
    const echo = await submit([{ id: 'e', input: { answer: 'a' }, expectedOutput: 'a' }]);
    await waitForStatus(echo.id, 'completed');
    await page.goto(`${api.url}/runs/${echo.id}/items/e`);
    await expect.poll(() => page.getByTestId('output').textContent()).toBe('a');
    expect(await page.getByTestId('model-request').count()).toBe(0);
  });

  it('deletes a run after confirmation; its page then says not found', async () => {
    const run = await submit(mixedItems().slice(0, 3));
    await waitForStatus(run.id, 'completed');
    await page.goto(`${api.url}/runs/${run.id}`);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete run' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/runs');
    expect((await http('GET', `/v1/runs/${run.id}`)).status).toBe(404);
    await page.goto(`${api.url}/runs/${run.id}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not found');
  });
});

describe('experiments and datasets pages', () => {
  it('show an experiment as variants x trials and a stored dataset with its versions and runs', async () => {
    const items = mixedItems(5).slice(0, 6);
    const dataset = await http('POST', '/v1/datasets', { id: 'web-qa', name: 'Web QA', items });
    expect(dataset.status, JSON.stringify(dataset.body)).toBe(201);
    const run = await submit([], { dataset: { id: 'web-qa' }, name: 'over the stored set' });
    const created = await http<{ id: string }>('POST', '/v1/experiments', {
      name: 'web experiment',
      dataset: { items },
      variants: [
        { name: 'good', target: { name: 'web-echo' } },
        { name: 'bad', target: { name: 'web-echo', config: { wrong: ['q0', 'q1'] } } },
      ],
      scorers: [{ name: 'exact_match' }],
      execution: { maxAttempts: 1 },
      trials: 2,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitForStatus(run.id, 'completed');

    await page.goto(`${api.url}/experiments`);
    await page.getByRole('link', { name: 'web experiment' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/experiments/${created.body.id}`);
    const variants = page.locator('table[aria-label="variants"]');
    await expect.poll(() => variants.locator('tbody tr').count()).toBe(2);
    expect(await variants.getByRole('link', { name: /^trial/ }).count()).toBe(4);
    expect(await variants.getByRole('link', { name: 'vs good' }).count()).toBe(2);
    // under each variant's name, what sets it apart (its config fields that differ)
    expect(await variants.locator('tbody tr .variant-difference').allTextContents()).toEqual([
      'wrong (none)',
      'wrong ["q0","q1"]',
    ]);
    await expect.poll(() => variants.textContent(), { timeout: 15_000 }).toContain('completed');
    // web-echo reports tokens and no model: each variant's cost says how many results it leaves out
    await expect
      .poll(() => variants.getByTestId('unpriced').allTextContents(), { timeout: 15_000 })
      .toEqual([' · 12 unpriced', ' · 12 unpriced']);
    expect(await variants.getByTestId('unpriced').first().getAttribute('title')).toBe(
      '12 results with token usage have no price and no model to price by (the target reports none)',
    );

    await page.goto(`${api.url}/datasets`);
    await page.getByRole('link', { name: 'Web QA' }).click();
    await expect.poll(() => page.locator('table[aria-label="versions"] tbody tr').count()).toBe(1);
    expect(await page.locator('table[aria-label="versions"]').textContent()).toContain('sha256:');
    await expect.poll(() => page.locator('table[aria-label="items"] tbody tr').count()).toBe(6);
    await expect
      .poll(() => page.locator('table[aria-label="dataset runs"]').textContent())
      .toContain('over the stored set');
  });
});

describe('dashboard serving', () => {
  it('sends a CSP without inline scripts, caches hashed assets, keeps /v1 problems', async () => {
    const res = await fetch(`${api.url}/runs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain("unsafe-inline'; script");
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${api.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${api.url}/assets/nope.js`)).status).toBe(404);
    for (const path of ['/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e/%2e%2e/package.json']) {
      const res = await fetch(`${api.url}${path}`);
      expect(await res.text(), path).not.toContain('"name": "@runledger/web"');
    }
    const problem = await fetch(`${api.url}/v1/nope`);
    expect(problem.status).toBe(404);
    expect(problem.headers.get('content-type')).toContain('application/problem+json');
  });

  it('without a build, / says to run npm run build', async () => {
    const bare = await startApi({ config, logger, webDir: '/nonexistent/runledger-web-dist' });
    try {
      const res = await fetch(`${bare.url}/runs`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await bare.close();
    }
  });
});

describe('dashboard with API keys', () => {
  let keyed: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    keyed = await startApi({
      config: loadConfig({
        REDIS_URL: redisUrl(),
        RUNLEDGER_PREFIX: config.RUNLEDGER_PREFIX,
        PORT: '0',
        LOG_LEVEL: 'silent',
        RUNLEDGER_API_KEYS:
          'default:web-test-key-0123456789,default:web-read-key-0123456789:read,default:web-write-key-0123456789:write',
      }),
      logger,
    });
  });

  afterAll(async () => {
    await keyed?.close();
  });

  it('asks for a key, refuses a wrong one, shows the runs with the right one', async () => {
    await page.goto(`${keyed.url}/runs`);
    const form = page.getByRole('form', { name: 'API key' });
    await expect.poll(() => form.count()).toBe(1);
    expect(await page.locator('table[aria-label="runs"]').count()).toBe(0);
    await form.locator('input').fill('not-the-key');
    await form.getByRole('button', { name: 'Use key' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('refused');
    expect(await page.locator('table[aria-label="runs"]').count()).toBe(0);
    await form.locator('input').fill('web-test-key-0123456789');
    await form.getByRole('button', { name: 'Use key' }).click();
    await expect.poll(() => page.locator('table[aria-label="runs"]').count()).toBe(1);
    // the key stays for the tab: a reload needs no prompt
    await page.reload();
    await expect.poll(() => page.locator('table[aria-label="runs"]').count()).toBe(1);
    expect(await form.count()).toBe(0);
    // a key the API stops accepting brings the prompt back
    await page.evaluate("sessionStorage.setItem('runledger.apiKey', 'revoked')");
    await page.reload();
    await expect.poll(() => form.count()).toBe(1);
    expect(await page.locator('table[aria-label="runs"]').count()).toBe(0);
  });

  it("a key whose role is too low sees the API's 403 reason on Delete and Cancel", async () => {
    const done = await submit(mixedItems().slice(0, 2), { name: 'not yours to delete' });
    await waitForStatus(done.id, 'completed');
    // enter the read key in the prompt once it shows (setting sessionStorage while the page still
    // handles a 401 of the previous key raced with the page clearing it)
    await page.goto(`${keyed.url}/runs`);
    const form = page.getByRole('form', { name: 'API key' });
    await expect.poll(() => form.count()).toBe(1);
    await form.locator('input').fill('web-read-key-0123456789');
    await form.getByRole('button', { name: 'Use key' }).click();
    await expect.poll(() => page.locator('table[aria-label="runs"]').count()).toBe(1);
    await page.goto(`${keyed.url}/runs/${done.id}`);
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('completed');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete run' }).click();
    const alert = page.locator('.run-actions').getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Forbidden (403)');
    expect(await alert.textContent()).toContain(
      'this call needs an API key with role "admin" (or higher); this key has role "read"',
    );
    // still there, and the page did not move
    expect(new URL(page.url()).pathname).toBe(`/runs/${done.id}`);
    expect((await http<Run>('GET', `/v1/runs/${done.id}`)).status).toBe(200);

    // Cancel with a read key on a run in flight: the same, naming the role it needs
    const slow = await submit(slowItems(40, 's', 200), { name: 'not yours to cancel' });
    await page.goto(`${keyed.url}/runs/${slow.id}`);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await expect
      .poll(() => page.locator('.run-actions').getByRole('alert').textContent())
      .toContain(
        'this call needs an API key with role "write" (or higher); this key has role "read"',
      );
    expect(await page.getByRole('form', { name: 'API key' }).count()).toBe(0); // no key prompt
    const { body } = await http<Run>('POST', `/v1/runs/${slow.id}/cancel`);
    expect(body.status).toBe('cancelled');
  });
});
