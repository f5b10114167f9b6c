/**
 * The OpenAPI document `GET /openapi.json` serves, as third-party tools need it: a stable
 * operationId, a summary, tags, security and a 4xx problem response on every operation;
 * `servers`, `info.version`; request bodies whose defaulted fields are optional; the SSE stream
 * and the NDJSON body described, and checked against what the API really sends and accepts
 * (a real run on a real worker). Then the CI lint itself: `npm run lint:openapi` (redocly,
 * recommended rules, warnings fail) exits 0, and fails on a document missing an operationId.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { API_VERSION } from '@runledger/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness } from './helpers/app.js';
import { waitForRunStatus } from './helpers/run-checks.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');

/** The JSON Schema subset this test reads. */
interface Schema {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  prefixItems?: Schema[];
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  additionalProperties?: Schema | boolean;
  default?: unknown;
  contentMediaType?: string;
  contentSchema?: Schema;
  minItems?: number;
  example?: unknown;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<
    string,
    { content?: Record<string, { schema: Schema }>; headers?: Record<string, unknown> }
  >;
}
interface Doc {
  openapi: string;
  info: { version: string; license?: { name: string }; description?: string };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
}

/** Every operation of the document, documented as `METHOD path -> operationId`. */
const EXPECTED_OPERATION_IDS: Record<string, string> = {
  'POST /v1/runs': 'createRun',
  'GET /v1/runs': 'listRuns',
  'GET /v1/runs/{id}': 'getRun',
  'DELETE /v1/runs/{id}': 'deleteRun',
  'GET /v1/runs/{id}/results': 'listRunResults',
  'POST /v1/runs/{id}/cancel': 'cancelRun',
  'GET /v1/runs/{id}/events': 'streamRunEvents',
  'GET /v1/runs/{id}/latency': 'getRunLatencyHistogram',
  'GET /v1/runs/{id}/items/{index}/request': 'getItemRequest',
  'GET /v1/runs/aggregate': 'aggregateRuns',
  'GET /v1/runs/{a}/compare/{b}': 'compareRuns',
  'POST /v1/runs/{id}/rerun': 'rerunRun',
  'POST /v1/runs/{id}/replay': 'replayRun',
  'GET /v1/runs/{id}/results.jsonl': 'exportRunResultsJsonl',
  'GET /v1/runs/{id}/results.csv': 'exportRunResultsCsv',
  'POST /v1/runs/cleanup': 'cleanupRuns',
  'GET /v1/runs/{id}/snapshot': 'snapshotRun',
  'POST /v1/runs/import': 'importRun',
  'POST /v1/datasets': 'createDataset',
  'GET /v1/datasets': 'listDatasets',
  'GET /v1/datasets/{id}': 'getDataset',
  'DELETE /v1/datasets/{id}': 'deleteDataset',
  'GET /v1/datasets/{id}/versions/{version}/items': 'listDatasetVersionItems',
  'POST /v1/datasets/{id}/items': 'addDatasetVersion',
  'POST /v1/experiments': 'createExperiment',
  'GET /v1/experiments': 'listExperiments',
  'GET /v1/experiments/{id}': 'getExperiment',
  'DELETE /v1/experiments/{id}': 'deleteExperiment',
  'GET /v1/experiments/{id}/report': 'getExperimentReport',
  'GET /healthz': 'health',
  'GET /readyz': 'ready',
  'GET /metrics': 'metrics',
  'GET /v1/workers': 'listWorkers',
  'GET /v1/queues': 'listQueues',
  'GET /v1/audit': 'listAudit',
  'GET /v1/keys': 'listApiKeys',
  'POST /v1/keys': 'createApiKey',
  'DELETE /v1/keys/{id}': 'revokeApiKey',
};

let h: AppHarness;
let doc: Doc;

beforeAll(async () => {
  h = await createAppHarness('openapi', {}, {}); // an in-process worker serving the built-ins
  const res = await h.app.request('/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});
afterAll(() => h.close());

/** Every operation as `[METHOD path, operation]`. */
const operations = (): [string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      op,
    ]),
  );

/** The component a `$ref` names. */
const deref = (schema: Schema): Schema => {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = doc.components.schemas[name];
  if (!target) throw new Error(`dangling $ref ${schema.$ref}`);
  return deref(target);
};

/**
 * Every object schema reachable from `schema` (through $ref, allOf/anyOf/oneOf, properties,
 * items, prefixItems, additionalProperties, contentSchema), each with its path.
 */
function objectSchemas(schema: Schema, path: string, seen = new Set<Schema>()): [string, Schema][] {
  const s = deref(schema);
  if (seen.has(s)) return [];
  seen.add(s);
  const found: [string, Schema][] = s.properties ? [[path, s]] : [];
  const walk = (child: Schema | boolean | undefined, at: string) => {
    if (child && typeof child === 'object') found.push(...objectSchemas(child, at, seen));
  };
  for (const [name, child] of Object.entries(s.properties ?? {})) walk(child, `${path}.${name}`);
  for (const key of ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const) {
    for (const [i, child] of (s[key] ?? []).entries()) walk(child, `${path}.${key}[${i}]`);
  }
  walk(s.items, `${path}[]`);
  walk(s.additionalProperties, `${path}{}`);
  walk(s.contentSchema, `${path}(content)`);
  return found;
}

/** `value` fits `schema` as far as this test needs: types, const/enum, required, no unknown keys. */
function problemsOf(value: unknown, schema: Schema, path = '$'): string[] {
  const s = deref(schema);
  if (s.oneOf) {
    const fits = s.oneOf.filter((option) => problemsOf(value, option, path).length === 0);
    return fits.length === 1 ? [] : [`${path}: fits ${fits.length} of the oneOf options`];
  }
  if (s.const !== undefined && value !== s.const) return [`${path}: not ${String(s.const)}`];
  if (s.enum && !s.enum.includes(value)) return [`${path}: ${String(value)} not in the enum`];
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const types = s.type === undefined ? [] : [s.type].flat();
  const fitsType = (t: string) => t === type || (t === 'integer' && Number.isInteger(value));
  if (types.length > 0 && !types.some(fitsType)) return [`${path}: ${type}, not ${types}`];
  if (type === 'string' && s.contentMediaType === 'application/json' && s.contentSchema) {
    return problemsOf(JSON.parse(value as string), s.contentSchema, `${path}(json)`);
  }
  if (type !== 'object' || !s.properties) return [];
  const record = value as Record<string, unknown>;
  const out: string[] = [];
  for (const key of s.required ?? []) if (!(key in record)) out.push(`${path}.${key}: missing`);
  for (const [key, v] of Object.entries(record)) {
    const prop = s.properties[key];
    if (!prop) out.push(`${path}.${key}: not documented`);
    else out.push(...problemsOf(v, prop, `${path}.${key}`));
  }
  return out;
}

/** Parses a `text/event-stream` body into its events (comments skipped). */
function parseSse(text: string): Record<string, string>[] {
  return text
    .split('\n\n')
    .map((block) => {
      const event: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        event[field] = event[field] === undefined ? value : `${event[field]}\n${value}`;
      }
      return event;
    })
    .filter((event) => Object.keys(event).length > 0);
}

describe('the OpenAPI document', () => {
  it('has servers, info.version (the package version), a license, a description and defined tags', () => {
    expect(doc.openapi).toBe('3.1.0');
    const apiPackage = JSON.parse(readFileSync(join(ROOT, 'apps/api/package.json'), 'utf8')) as {
      version: string;
    };
    expect(doc.info.version).toBe(apiPackage.version);
    expect(doc.info.version).toBe(API_VERSION);
    expect(doc.info.license?.name).toBe('MIT');
    expect(doc.info.description).toMatch(/problem/);
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const tags = (doc.tags ?? []).map((t) => t.name);
    expect(new Set(tags).size).toBe(tags.length);
    for (const [name, op] of operations()) {
      for (const tag of op.tags ?? []) expect(tags, `${name} tag ${tag}`).toContain(tag);
    }
  });

  it('gives every operation its stable operationId (camelCase, unique)', () => {
    const ids = Object.fromEntries(operations().map(([name, op]) => [name, op.operationId]));
    expect(ids).toEqual(EXPECTED_OPERATION_IDS);
    const all = Object.values(ids);
    expect(new Set(all).size).toBe(all.length);
    for (const id of all) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
  });

  it('gives every operation a summary, a tag, its security and 4xx problem responses', () => {
    for (const [name, op] of operations()) {
      expect(op.summary?.trim(), name).toBeTruthy();
      expect(op.tags?.length, name).toBeGreaterThan(0);
      const path = name.split(' ')[1]!;
      if (path.startsWith('/v1/')) {
        expect(op.security, name).toEqual([{ bearerAuth: [] }]);
        // every /v1 route passes the key check and the rate limit
        expect(Object.keys(op.responses), name).toEqual(expect.arrayContaining(['401', '429']));
        expect(op.responses['429']?.headers, name).toHaveProperty('Retry-After');
        expect(op.responses['401']?.headers, name).toHaveProperty('WWW-Authenticate');
      } else {
        expect(op.security, name).toEqual([]); // explicitly open
      }
      const clientErrors = Object.keys(op.responses).filter((code) => /^4(\d\d|XX)$/.test(code));
      expect(clientErrors.length, name).toBeGreaterThan(0);
      for (const code of clientErrors) {
        expect(op.responses[code]?.content, `${name} ${code}`).toEqual({
          'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
        });
      }
    }
  });

  it('leaves every request body field with a default out of `required`', () => {
    let checked = 0;
    for (const [name, op] of operations()) {
      for (const [type, { schema }] of Object.entries(op.requestBody?.content ?? {})) {
        for (const [path, object] of objectSchemas(schema, `${name} ${type}`)) {
          for (const [field, prop] of Object.entries(object.properties ?? {})) {
            // a default on the property itself, or on the component it refers to
            const hasDefault = prop.default !== undefined || deref(prop).default !== undefined;
            if (!hasDefault) continue;
            checked++;
            expect(object.required ?? [], `${path}.${field} has a default`).not.toContain(field);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    // and parameters with a default (limit, effective, seed) are optional
    let params = 0;
    for (const [name, op] of operations()) {
      for (const param of op.parameters ?? []) {
        if (param.schema?.default === undefined) continue;
        params++;
        expect(param.required ?? false, `${name} ${param.in}:${param.name}`).toBe(false);
      }
    }
    expect(params).toBeGreaterThanOrEqual(7);
    // the run spec, by name: execution and its fields are optional
    const spec = doc.components.schemas.RunSpec!;
    expect(spec.required).toEqual(['target', 'dataset']);
    expect(doc.components.schemas.Execution!.required ?? []).toEqual([]);
    expect(doc.components.schemas.Execution!.properties!.maxAttempts).toMatchObject({
      default: 3,
    });
    expect(doc.components.schemas.RunSpecHeader!.required).toEqual(['target']);
  });

  it('describes the SSE events and the NDJSON body', () => {
    const events = doc.paths['/v1/runs/{id}/events']!.get!.responses['200']!.content!;
    expect(Object.keys(events)).toEqual(['text/event-stream']);
    const options = events['text/event-stream']!.schema.oneOf!;
    expect(options.map((o) => o.properties?.event?.const)).toEqual(['status', 'progress']);
    expect(options.map((o) => o.properties?.data?.contentSchema?.$ref)).toEqual([
      '#/components/schemas/RunStatusEventData',
      '#/components/schemas/RunProgressEventData',
    ]);
    expect(doc.components.schemas.RunStatusEventData!.required).toEqual(['status', 'at']);
    expect(doc.components.schemas.RunProgressEventData!.required).toEqual([
      'done',
      'total',
      'succeeded',
      'failed',
      'cancelled',
    ]);
    const ndjson = doc.paths['/v1/runs']!.post!.requestBody!.content['application/x-ndjson']!;
    expect(ndjson.schema).toMatchObject({
      type: 'string',
      contentMediaType: 'application/x-ndjson',
      contentSchema: {
        type: 'array',
        minItems: 2,
        prefixItems: [{ $ref: '#/components/schemas/RunSpecHeader' }],
        items: { $ref: '#/components/schemas/Item' },
      },
    });
  });

  it("matches what the API accepts and sends: the NDJSON example runs, every SSE event fits the stream's schema", async () => {
    const ndjson = doc.paths['/v1/runs']!.post!.requestBody!.content['application/x-ndjson']!;
    const example = ndjson.schema.example as string;
    // the example, read as the sequence of its lines' JSON values, fits its own contentSchema
    const lines = example
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
    const content = ndjson.schema.contentSchema!;
    expect(lines.length).toBeGreaterThanOrEqual(content.minItems!);
    expect(problemsOf(lines[0], content.prefixItems![0]!)).toEqual([]);
    for (const item of lines.slice(1)) expect(problemsOf(item, content.items!)).toEqual([]);

    const created = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: example,
    });
    expect(created.status).toBe(201);
    const runBody = (await created.json()) as { id: string };
    expect(problemsOf(runBody, doc.components.schemas.Run!)).toEqual([]);
    const done = await waitForRunStatus(h.store, runBody.id, 'completed');
    expect(done.succeededCount).toBe(1);

    const res = await h.app.request(`/v1/runs/${runBody.id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const frames = parseSse(await res.text());
    expect(frames.map((f) => f.event)).toEqual(['status', 'status', 'progress', 'status']);
    const streamSchema =
      doc.paths['/v1/runs/{id}/events']!.get!.responses['200']!.content!['text/event-stream']!
        .schema;
    for (const frame of frames) expect(problemsOf(frame, streamSchema)).toEqual([]);
    // and a frame that breaks the documented payload does not fit
    const bad = { ...frames[0]!, data: JSON.stringify({ status: 'queued' }) };
    expect(problemsOf(bad, streamSchema)).toEqual(['$: fits 0 of the oneOf options']);
  });
});

describe('the CI lint (redocly, recommended rules, warnings fail)', () => {
  it('npm run lint:openapi passes on the served document', async () => {
    // rejects unless it exits 0; redocly reports on stderr
    const { stderr } = await run('npm', ['run', 'lint:openapi'], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stderr).toContain('Your API description is valid');
    // it lints the document the app serves, as written by scripts/openapi.ts
    const written = JSON.parse(readFileSync(join(ROOT, 'test-results/openapi.json'), 'utf8'));
    expect(written).toEqual(doc);
  }, 120_000);

  it('fails on what the recommended rules only warn about (an operation without an operationId)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-openapi-'));
    try {
      const broken = structuredClone(doc);
      delete broken.paths['/healthz']!.get!.operationId;
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(broken, null, 2));
      const outcome = await run(
        join(ROOT, 'node_modules/.bin/redocly'),
        ['lint', '--format=stylish', '--config', join(ROOT, 'redocly.yaml'), file],
        {
          cwd: ROOT,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).then(
        () => ({ code: 0, output: '' }),
        (err: { code: number; stdout: string; stderr: string }) => ({
          code: err.code,
          output: err.stdout + err.stderr,
        }),
      );
      expect(outcome.code).toBe(1);
      expect(outcome.output).toMatch(/error\s+operation-operationId/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
