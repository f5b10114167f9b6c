/**
 * Headless Chromium for the dashboard tests (playwright-core driving Debian's chromium), and the
 * check that the dashboard build (apps/web/dist) is there and current.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built dashboard the API serves. */
export const WEB_DIST = join(ROOT, 'apps/web/dist');

/**
 * The Chromium to drive: `CHROMIUM_PATH`, else `chromium` (or `chromium-browser`) on the PATH.
 * @throws with the one-line install instruction when there is none (the tests fail, never skip).
 */
export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execSync(`command -v ${name}`, { encoding: 'utf8', shell: '/bin/sh' }).trim();
      if (path) return path;
    } catch {
      // not on the PATH
    }
  }
  throw new Error(
    'No Chromium for the dashboard tests: apt-get install -y chromium (or set CHROMIUM_PATH)',
  );
}

/** Launches headless Chromium (root needs --no-sandbox). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
    ],
  });
}

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
    statSync(join(ROOT, 'apps/web/index.html')).mtimeMs,
  );
  if (sources > statSync(index).mtimeMs) {
    execFileSync('npm', ['run', 'build', '-w', 'apps/web'], { cwd: ROOT, stdio: 'ignore' });
  }
}
