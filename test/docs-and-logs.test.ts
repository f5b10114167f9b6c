/**
 * `/docs` works offline (Swagger UI assets served by the API from swagger-ui-dist, no CDN) and
 * logs are readable on a terminal (pino-pretty on a TTY) while staying JSON lines otherwise.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createLogger } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import { docsPage, useAppHarness } from './helpers/app.js';

const run = promisify(execFile);

describe('/docs offline', () => {
  const h = useAppHarness('docs');

  it('references only same-origin assets, and each answers 200 with its content type', async () => {
    const html = await docsPage(h().app);
    expect(html).toContain('"/openapi.json"');
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(urls.sort()).toEqual([
      '/docs/assets/favicon-32x32.png',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/swagger-ui-standalone-preset.js',
      '/docs/assets/swagger-ui.css',
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    const dist = dirname(
      createRequire(join(process.cwd(), 'apps/api/package.json')).resolve(
        'swagger-ui-dist/package.json',
      ),
    );
    const types: Record<string, RegExp> = {
      js: /^text\/javascript/,
      css: /^text\/css/,
      png: /^image\/png$/,
    };
    for (const url of urls) {
      const asset = await h().app.request(url);
      expect(asset.status, url).toBe(200);
      expect(asset.headers.get('content-type'), url).toMatch(types[url.split('.').pop()!]!);
      const body = Buffer.from(await asset.arrayBuffer());
      expect(body.equals(readFileSync(join(dist, url.split('/').pop()!))), url).toBe(true);
    }
  });

  it('answers 404 for a file that is not one of the assets', async () => {
    for (const path of ['/docs/assets/package.json', '/docs/assets/..%2Fpackage.json']) {
      expect((await h().app.request(path)).status, path).toBe(404);
    }
  });
});

/** A stream that keeps what is written. */
function capture(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const LOG_SCRIPT = `import { createLogger } from '@runledger/shared';
createLogger({ name: 'api' }).info({ n: 1 }, 'hello');`;
const nodeArgs = [
  '--conditions=@runledger/source',
  '--import',
  'tsx',
  '--input-type=module',
  '-e',
  LOG_SCRIPT,
];

describe('logs', () => {
  it('are JSON lines when stdout is not a terminal (as before)', async () => {
    const { stdout } = await run(process.execPath, nodeArgs);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, name: 'api', n: 1, msg: 'hello' });
    expect(Object.keys(entry)).toEqual(['level', 'time', 'pid', 'name', 'n', 'msg']);
  });

  it('are pretty on a terminal', async () => {
    // `script` gives the process a pseudo-terminal as stdout
    const command = [process.execPath, ...nodeArgs]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const { stdout } = await run('script', ['-qec', command, '/dev/null']);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI color codes
    const plain = stdout.replace(/\u001b\[\d+m/g, '').replace(/\r/g, '');
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(api\): hello\n {4}n: 1\n$/);
  });

  it('pretty: true formats lines for a given destination, secrets still redacted', () => {
    const out = capture();
    const logger = createLogger({ name: 'worker', pretty: true, destination: out.stream });
    logger.info({ headers: { authorization: 'Bearer s3cret' } }, 'calling');
    const text = out.text();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(worker\): calling\n/);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('"level"');
  });

  it('a destination alone gets JSON lines', () => {
    const out = capture();
    createLogger({ name: 'cli', destination: out.stream }).warn('careful');
    expect(JSON.parse(out.text())).toMatchObject({ level: 40, name: 'cli', msg: 'careful' });
  });
});
