/**
 * Regenerates packages/client/src/generated/openapi.ts from the API's OpenAPI document (built by
 * scripts/openapi.ts: no server, no Redis, no network): `npm run generate -w @runledger/client`.
 * The file is checked in; test/client-generated.test.ts fails when it is stale.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTypes } from '@runledger/client-gen';
import { buildOpenApiDocument } from '../../../scripts/openapi.js';

/** Where the generated types live. */
export const GENERATED_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'src',
  'generated',
  'openapi.ts',
);

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The generated file's content for the current API: the document dumped from the app, typed by
 * openapi-typescript, formatted with the repo's Biome (so lint stays clean).
 * @throws when the document cannot be dumped or Biome fails.
 */
export async function renderGeneratedTypes(): Promise<string> {
  const source = await generateTypes(await buildOpenApiDocument());
  const biome = createRequire(join(ROOT, 'package.json')).resolve('@biomejs/biome/bin/biome');
  const formatted = spawnSync(
    process.execPath,
    [biome, 'format', `--stdin-file-path=${relative(ROOT, GENERATED_FILE)}`],
    { cwd: ROOT, input: source, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (formatted.status !== 0) throw new Error(`biome format failed: ${formatted.stderr}`);
  return formatted.stdout;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(GENERATED_FILE, await renderGeneratedTypes());
  console.log(`wrote ${relative(process.cwd(), GENERATED_FILE)}`);
}
