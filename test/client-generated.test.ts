/**
 * The checked-in types of @runledger/client (packages/client/src/generated/openapi.ts) are what
 * the generator makes of the API's current OpenAPI document: regenerated here (no server, no
 * network) and compared. When this fails, run `npm run generate -w @runledger/client`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, renderGeneratedTypes } from '../packages/client/scripts/generate.js';

describe('@runledger/client generated types', () => {
  it('match the API document (else: npm run generate -w @runledger/client)', async () => {
    const fresh = await renderGeneratedTypes();
    const stored = readFileSync(GENERATED_FILE, 'utf8');
    expect(stored === fresh, 'stale: run npm run generate -w @runledger/client').toBe(true);
  });

  it('keep request fields with defaults optional', async () => {
    const stored = readFileSync(GENERATED_FILE, 'utf8');
    // RunSpec.scorers/tags/metadata and Execution.maxAttempts have defaults: optional in requests
    expect(stored).toMatch(/\/\*\* @default 3 \*\/\s+maxAttempts\?: number;/);
    expect(stored).toMatch(/\/\*\* @default \[\] \*\/\s+scorers\?:/);
  });
});
