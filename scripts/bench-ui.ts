/**
 * `npm run bench:ui`: the dashboard's performance in a real headless Chromium (playwright-core,
 * Debian's chromium), on its production build (`vite build` of apps/web into a private temp dir,
 * so a concurrent build of apps/web/dist cannot change it mid-run) served by a real API with an
 * in-process worker, over a private redis-server (or `REDIS_URL`).
 *
 * Scenarios: a completed 100,000-item run (`echo`, submitted as NDJSON) and a run in progress
 * (100,000 items of `bench-slow`, each answering after `--slow-ms`, so results keep landing and
 * the page follows live progress; measured once `--done` items have a result; cancelled at the
 * end), and a completed run of `--large-items` items whose input and output are `--large-kb` kB
 * each (what made other viewers run out of memory). For each it measures
 *  - first rows: ms from navigation start (`performance.now()` in the page) to the first loaded
 *    row of the results table on `/runs/:id` (its status shown: a badge, or `pending` for an item
 *    without a result yet), median of `--repeat` fresh browser contexts,
 *  - heap: JS heap used (CDP `Runtime.getHeapUsage` after `HeapProfiler.collectGarbage`) after
 *    scrolling the results table through `--scroll-rows` rows, one screen per frame,
 * and, once, the dashboard's initial JS + CSS (the files index.html loads) gzipped with node:zlib
 * (level 9, as a server's static gzip would). Prints a table with PASS/FAIL against the goals
 * (first rows < 1 s, heap < 80 MB, initial JS+CSS < 250 kB gzip) and exits 1 on a FAIL.
 *
 * Usage: npm run bench:ui -- [--items 100000] [--slow-ms 1000] [--done 2000]
 *        [--large-items 10000] [--large-kb 4] [--scroll-rows 5000] [--repeat 3]
 * `BENCH_UI_DEBUG=1` also prints the heap 3, 10 and 35 s after each scroll (is what was scrolled
 * past ever released?).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startApi } from '@runledger/api';
import { createLogger, loadConfig, type Run, type TargetDefinition, z } from '@runledger/shared';
import { startWorker } from '@runledger/worker';
import type { Browser } from 'playwright-core';
import { benchFlags, benchRedis } from '../bench/bench-setup.js';
import { launchChromium } from './chromium.js';

const flags = benchFlags({
  items: 100_000,
  slowMs: 1000,
  done: 2000,
  largeItems: 10_000,
  largeKb: 4,
  scrollRows: 5000,
  repeat: 3,
});

/** Goals of issue 8. */
const GOALS = { firstRowsMs: 1000, heapMb: 80, initialGzipKb: 250 };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROWS = 'table[aria-label="results"] tbody tr';

/** `bench-slow`: answers `input.q` after `config.ms` (aborted at once by a cancel). */
const slowTarget: TargetDefinition<{ ms: number }> = {
  name: 'bench-slow',
  description: 'answers input.q after config.ms',
  configSchema: z.object({ ms: z.number().int().min(0) }).strict(),
  async run(input, context) {
    await sleep(context.config.ms, undefined, { signal: context.signal });
    return { output: (input as { q: string }).q };
  },
};

// In-page functions (serialised by Playwright; the page's CSP forbids evaluating strings). This
// program is typed without the DOM library: the page's globals, for those functions only.
// biome-ignore lint/suspicious/noExplicitAny: DOM globals of the page
declare const document: any;
declare const requestAnimationFrame: (cb: () => void) => number;

/** In the page: a row matching `selector` is loaded (its status cell is not `…`). */
function rowLoaded(selector: string): boolean {
  // biome-ignore lint/suspicious/noExplicitAny: DOM element
  return [...document.querySelectorAll(selector)].some((tr: any) => {
    const text = tr.querySelector('td:nth-child(3)')?.textContent ?? '';
    return text !== '' && text !== '…';
  });
}

/**
 * `n` NDJSON item lines: a question-like input and its expected answer (~120 bytes a line); with
 * `padBytes`, the input also carries a text of that size (echoed: the output is as large).
 */
function ndjsonItems(n: number, padBytes = 0): string {
  const lines: string[] = [];
  const words = 'the quick brown fox jumps over the lazy dog while the model writes a long answer ';
  for (let i = 0; i < n; i++) {
    const q = `What is item ${i} of the benchmark dataset, in words?`;
    const input: Record<string, unknown> = { i, q };
    if (padBytes > 0)
      input.text = `${i} ${words.repeat(Math.ceil(padBytes / words.length))}`.slice(0, padBytes);
    lines.push(JSON.stringify({ id: `item-${i}`, input, expectedOutput: { i, q } }));
  }
  return lines.join('\n');
}

/** Submits an NDJSON run (spec line, then the items); returns the run. */
async function submitNdjson(
  base: string,
  spec: Record<string, unknown>,
  n: number,
  padBytes = 0,
): Promise<Run> {
  const body = `${JSON.stringify(spec)}\n${ndjsonItems(n, padBytes)}\n`;
  const res = await fetch(`${base}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return (await res.json()) as Run;
}

async function getRun(base: string, id: string): Promise<Run> {
  return (await (await fetch(`${base}/v1/runs/${id}`)).json()) as Run;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** ms from navigation start to the first result row with its status badge, in a fresh context. */
async function firstRowsMs(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(
      (selector: string) => {
        // self-contained (serialised into the page): the test of rowLoaded
        // biome-ignore lint/suspicious/noExplicitAny: DOM element
        const loaded = [...document.querySelectorAll(selector)].some((tr: any) => {
          const text = tr.querySelector('td:nth-child(3)')?.textContent ?? '';
          return text !== '' && text !== '…';
        });
        return loaded ? performance.now() : false;
      },
      ROWS,
      { polling: 'raf', timeout: 30_000 },
    );
    return Math.round(Number(await handle.jsonValue()));
  } finally {
    await context.close();
  }
}

/**
 * Opens `url`, scrolls the results table one screen per frame (plus a 16 ms pause, so pages of
 * results are fetched as they come into view) until row `rows` is on screen and loaded, then
 * forces a GC and reads the heap. Returns MB (10^6 bytes) before scrolling and after.
 */
async function heapAfterScroll(
  browser: Browser,
  url: string,
  rows: number,
): Promise<{ beforeMb: number; afterMb: number; reachedRow: number; pageRequests: number }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    let pageRequests = 0;
    page.on('request', (req) => {
      if (/\/v1\/runs\/[^/]+\/results\?/.test(req.url())) pageRequests++;
    });
    const cdp = await context.newCDPSession(page);
    const heapMb = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      return Math.round(usedSize / 1e5) / 10;
    };
    await page.goto(url);
    await page.waitForFunction(rowLoaded, ROWS, { timeout: 30_000 });
    const beforeMb = await heapMb();
    await page.evaluate(async (target: number) => {
      const table = document.querySelector('table[aria-label="results"]');
      const scroller = table?.closest('.vtable');
      if (!scroller) throw new Error('no results table scroller');
      const end = target * (table.querySelector('tbody tr')?.offsetHeight || 36);
      while (scroller.scrollTop + scroller.clientHeight < end) {
        const before = scroller.scrollTop;
        scroller.scrollTop += scroller.clientHeight;
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 16)));
        if (scroller.scrollTop === before) break; // the end of the table
      }
    }, rows);
    // the rows now on screen are loaded (their badges shown)
    await page.waitForFunction(rowLoaded, `${ROWS}[data-index="${rows - 1}"]`, {
      timeout: 30_000,
    });
    const reachedRow = Number(await page.locator(ROWS).last().getAttribute('data-index'));
    const afterMb = await heapMb();
    if (process.env.BENCH_UI_DEBUG) {
      for (const wait of [3000, 10000, 35000]) {
        await page.waitForTimeout(wait);
        process.stdout.write(`  heap ${wait} ms later: ${await heapMb()} MB\n`);
      }
    }
    return { beforeMb, afterMb, reachedRow, pageRequests };
  } finally {
    await context.close();
  }
}

/** The files index.html loads at start (scripts, module preloads, stylesheets), gzipped. */
function initialAssets(dist: string): {
  files: { file: string; bytes: number; gzip: number }[];
  gzipKb: number;
} {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const refs = new Set<string>();
  for (const m of html.matchAll(/<(?:script|link)\b[^>]*>/g)) {
    const tag = m[0];
    const isScript = tag.startsWith('<script');
    const rel = /rel="([^"]+)"/.exec(tag)?.[1] ?? '';
    if (!isScript && !['stylesheet', 'modulepreload'].includes(rel)) continue;
    const ref = /(?:src|href)="([^"]+)"/.exec(tag)?.[1];
    if (ref && !/^https?:/.test(ref)) refs.add(ref.replace(/^\//, ''));
  }
  const files = [...refs].map((file) => {
    const data = readFileSync(join(dist, file));
    return { file, bytes: data.length, gzip: gzipSync(data, { level: 9 }).length };
  });
  const gzipKb = Math.round(files.reduce((s, f) => s + f.gzip, 0) / 100) / 10;
  return { files, gzipKb };
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  const webDir = mkdtempSync(join(tmpdir(), 'runledger-bench-ui-'));
  execFileSync(
    'npx',
    ['vite', 'build', '--outDir', webDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: join(ROOT, 'apps/web'),
      stdio: 'inherit',
    },
  );
  const bench = await benchRedis();
  const config = loadConfig({
    ...process.env,
    REDIS_URL: bench.url,
    RUNLEDGER_PREFIX: `bench-ui-${Date.now()}`,
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_CONCURRENCY: '200',
    LOG_LEVEL: 'warn',
  });
  const logger = createLogger({ level: 'warn', name: 'bench-ui' });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`redis ${config.REDIS_URL}; starting the API, a worker and chromium`);
  const api = await startApi({ config, logger, webDir });
  const worker = await startWorker({ config, logger, targets: [slowTarget] });
  const browser = await launchChromium();
  let failed = false;
  let inProgressId: string | null = null;
  try {
    const base = api.url;
    // 1. a completed run
    let t = performance.now();
    const done = await submitNdjson(
      base,
      { name: 'bench-ui completed', target: { name: 'echo' }, scorers: [{ name: 'json_equal' }] },
      flags.items,
    );
    const submitS = (performance.now() - t) / 1000;
    say(
      `submitted ${done.id} (${flags.items} items) in ${submitS.toFixed(1)} s; waiting for it to complete`,
    );
    t = performance.now();
    await waitUntil(
      'the completed run',
      async () => (await getRun(base, done.id)).status === 'completed',
    );
    const runS = (performance.now() - t) / 1000;
    process.stdout.write(
      `completed run ${done.id}: ${flags.items} items submitted as NDJSON in ${submitS.toFixed(1)} s, ran in ${runS.toFixed(1)} s\n`,
    );
    // 2. a run in progress: items answered after flags.slowMs each
    const live = await submitNdjson(
      base,
      {
        name: 'bench-ui in progress',
        target: { name: 'bench-slow', config: { ms: flags.slowMs } },
        scorers: [{ name: 'json_equal' }],
        execution: { maxAttempts: 1 },
      },
      flags.items,
    );
    inProgressId = live.id;
    await waitUntil(`${flags.done} results of the run in progress`, async () => {
      const r = await getRun(base, live.id);
      return r.status === 'running' && r.succeededCount >= flags.done;
    });
    say(
      `run in progress ${live.id}: ${flags.done}+ of ${flags.items} items done, ${flags.slowMs} ms per item`,
    );
    // 3. a completed run of large items (input and output flags.largeKb each)
    const large = await submitNdjson(
      base,
      { name: 'bench-ui large items', target: { name: 'echo' }, scorers: [{ name: 'json_equal' }] },
      flags.largeItems,
      flags.largeKb * 1000,
    );
    await waitUntil(
      'the large-item run',
      async () => (await getRun(base, large.id)).status === 'completed',
    );
    say(
      `completed run ${large.id}: ${flags.largeItems} items of ${flags.largeKb} kB input and output\n`,
    );

    const rows: string[][] = [];
    for (const [label, run] of [
      [`completed, ${flags.items.toLocaleString('en-US')} items`, done],
      [`in progress, ${flags.slowMs} ms/item`, live],
      [
        `completed, ${flags.largeItems.toLocaleString('en-US')} items of ${flags.largeKb} kB`,
        large,
      ],
    ] as const) {
      const url = `${base}/runs/${run.id}`;
      const times: number[] = [];
      for (let i = 0; i < flags.repeat; i++) times.push(await firstRowsMs(browser, url));
      const first = median(times);
      const heap = await heapAfterScroll(browser, url, Math.min(flags.scrollRows, run.totalItems));
      const okFirst = first < GOALS.firstRowsMs;
      const okHeap = heap.afterMb < GOALS.heapMb;
      failed ||= !okFirst || !okHeap;
      rows.push([
        label,
        `${first} ms (${times.join(', ')}) ${verdict(okFirst)}`,
        `${heap.afterMb} MB (${heap.beforeMb} MB at first rows) ${verdict(okHeap)}`,
        `${heap.reachedRow.toLocaleString('en-US')}, ${heap.pageRequests} result pages fetched`,
      ]);
    }
    const assets = initialAssets(webDir);
    const okAssets = assets.gzipKb < GOALS.initialGzipKb;
    failed ||= !okAssets;

    const head = [
      'scenario',
      `first rows visible (median of ${flags.repeat}; goal < ${GOALS.firstRowsMs} ms)`,
      `JS heap after ${flags.scrollRows.toLocaleString('en-US')} rows (after GC; goal < ${GOALS.heapMb} MB)`,
      'last row rendered, requests',
    ];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const line = (cells: string[]) =>
      `| ${cells.map((x, c) => x.padEnd(widths[c]!)).join(' | ')} |`;
    process.stdout.write(`${line(head)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
    for (const r of rows) process.stdout.write(`${line(r)}\n`);
    process.stdout.write(
      `\ndashboard initial JS+CSS: ${assets.gzipKb} kB gzip (goal < ${GOALS.initialGzipKb} kB) ${verdict(okAssets)}\n`,
    );
    for (const f of assets.files) {
      process.stdout.write(
        `  ${f.file}: ${(f.bytes / 1000).toFixed(1)} kB, ${(f.gzip / 1000).toFixed(1)} kB gzip\n`,
      );
    }
    process.stdout.write(
      `\nchromium ${browser.version()}, node ${process.version}; reproduce: npm run bench:ui` +
        ` -- --items ${flags.items} --slow-ms ${flags.slowMs} --done ${flags.done} --large-items ${flags.largeItems}` +
        ` --large-kb ${flags.largeKb} --scroll-rows ${flags.scrollRows} --repeat ${flags.repeat}\n` +
        `(vite build of apps/web into a temp dir first; REDIS_URL when set, else a private redis-server)\n`,
    );
  } finally {
    if (inProgressId) await fetch(`${api.url}/v1/runs/${inProgressId}/cancel`, { method: 'POST' });
    await browser.close();
    await worker.close(5000);
    await api.close();
    // a shared Redis: remove what the benchmark wrote
    await bench.close(config.RUNLEDGER_PREFIX);
    rmSync(webDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:ui failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
