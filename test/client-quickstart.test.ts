/**
 * The "Use from TypeScript" example (examples/client/quickstart.ts, the same code as the README
 * and packages/client/README.md) compiles with the repo's TypeScript and runs against a real
 * API + worker + Redis.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientApi, startClientApi } from './helpers/client-api.js';

const ROOT = join(import.meta.dirname, '..');

/** Runs a command in the repo root; resolves to its exit code and output. */
function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let api: ClientApi;
beforeAll(async () => {
  api = await startClientApi('client-quickstart');
});
afterAll(() => api.close());

describe('examples/client/quickstart.ts', () => {
  it.each([
    ['packages/client/README.md', /```ts\n([\s\S]*?)```/],
    ['README.md', /## Use from TypeScript\n[\s\S]*?```ts\n([\s\S]*?)```/],
  ])('is the example of %s (minus its two header comment lines)', (file, pattern) => {
    const example = readFileSync(join(ROOT, 'examples/client/quickstart.ts'), 'utf8');
    const readme = readFileSync(join(ROOT, file), 'utf8');
    const block = pattern.exec(readme)?.[1];
    expect(block).toBe(example.split('\n').slice(2).join('\n'));
  });

  it('compiles', async () => {
    const tsc = await run(join(ROOT, 'node_modules/.bin/tsc'), [
      '-p',
      'examples/client/tsconfig.json',
    ]);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('runs against a real API and worker', async () => {
    const out = await run(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['--conditions=@runledger/source', 'examples/client/quickstart.ts'],
      { RUNLEDGER_URL: api.url, RUNLEDGER_API_KEY: '' },
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^created [0-9A-Z]{26} \((queued|running|completed)\)$/);
    expect(lines.at(-1)).toMatch(/^refused \(400\): dataset/);
    expect(lines).toContain('progress 1000/1000');
    expect(lines).toContain('completed: 1000 items, pass rate 1');
    expect(lines).toContain('passed 1000');
  });
});
