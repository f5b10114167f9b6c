/**
 * `npm run screenshots`: the README's pictures of the dashboard, taken from the real UI. Starts
 * an API and workers (a private Redis when none is given, as `npm run demo` does), runs the Iris
 * k-NN demo twice (k = 5 and k = 1, the same 150 flowers), and saves the run page and the compare
 * page from headless Chromium as docs/dashboard-run.png and docs/dashboard-compare.png.
 */
import { mkdirSync } from 'node:fs';
import { createClient, watchRun } from '@runledger/cli';
import { irisRunSpec } from '../examples/iris/dataset.js';
import { connectOrStart } from '../examples/iris/services.js';
import { launchChromium } from './chromium.js';

const OUT_DIR = 'docs';

async function main(): Promise<void> {
  const { baseUrl, services } = await connectOrStart({
    env: process.env,
    remote: undefined,
    workers: 2,
    name: 'screenshots',
  });
  const browser = await launchChromium();
  try {
    const client = createClient({ baseUrl });
    const submit = (k: number) => client.runs.create(irisRunSpec(k));
    const a = await submit(5);
    const b = await submit(1);
    await watchRun(client, a.id, { progress: null });
    await watchRun(client, b.id, { progress: null });

    mkdirSync(OUT_DIR, { recursive: true });
    const context = await browser.newContext({
      viewport: { width: 1440, height: 1000 },
      colorScheme: 'light',
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();

    await page.goto(`${baseUrl}/runs/${a.id}`);
    await page.locator('table[aria-label="results"] tbody tr .badge').first().waitFor();
    await page.screenshot({ path: `${OUT_DIR}/dashboard-run.png` });

    await page.goto(`${baseUrl}/compare/${a.id}/${b.id}`);
    await page.locator('table[aria-label="compared items"] tbody tr').first().waitFor();
    await page.screenshot({ path: `${OUT_DIR}/dashboard-compare.png` });

    process.stdout.write(
      `Saved ${OUT_DIR}/dashboard-run.png (run ${a.id}) and ${OUT_DIR}/dashboard-compare.png (${a.id} vs ${b.id}).\n`,
    );
  } finally {
    await browser.close();
    await services?.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
