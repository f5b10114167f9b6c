/**
 * Headless Chromium for the dashboard's tests and scripts: playwright-core driving Debian's
 * chromium (`apt-get install -y chromium`); never a downloaded browser.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

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
