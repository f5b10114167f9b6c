/**
 * Headless Chromium for the dashboard tests (scripts/chromium.ts), and the check that the
 * dashboard build (apps/web/dist) is there and current.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { findChromium, launchChromium } from '../../scripts/chromium.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built dashboard the API serves. */
export const WEB_DIST = join(ROOT, 'apps/web/dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure apps/web/dist holds a build of the current sources: fails clearly when it is
 * missing (`npm ci` / `npm run build` make it), rebuilds once when a source is newer.
 */
export function ensureDashboardBuilt(): void {
  const index = join(WEB_DIST, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`${index} is missing: run \`npm run build\` (npm ci does it) before the tests`);
  }
  const sources = Math.max(
    newestMtime(join(ROOT, 'apps/web/src')),
    newestMtime(join(ROOT, 'packages/client/src')), // bundled into the dashboard
    statSync(join(ROOT, 'apps/web/index.html')).mtimeMs,
  );
  if (sources > statSync(index).mtimeMs) {
    execFileSync('npm', ['run', 'build', '-w', 'apps/web'], { cwd: ROOT, stdio: 'ignore' });
  }
}
