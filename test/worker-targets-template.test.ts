/**
 * Request templates and target config schemas: placeholder syntax checked at config validation
 * (the expected output is never reachable, `{{env.*}}` only in headers), rendering (exact vs
 * embedded placeholders, missing paths, env variables), the JSON Schemas workers advertise
 * (rebuilt by the API with `z.fromJSONSchema`), the plugin contract's required `configSchema`,
 * and the worker parsing a run's config before calling a target.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BUILTIN_TARGET_CONFIGS,
  createLogger,
  EchoConfigSchema,
  HttpTargetConfigSchema,
  NonRetryableError,
  OpenAiTargetConfigSchema,
  parsePlaceholder,
  type TargetContext,
  type TargetDefinition,
  z,
} from '@runledger/shared';
import {
  compileTemplate,
  describeTargets,
  executeItem,
  loadPluginModules,
  renderTemplate,
  renderText,
  Semaphore,
  type TemplateScope,
  targetConfig,
} from '@runledger/worker';
import { describe, expect, it } from 'vitest';
import { createSlots } from '../apps/worker/src/concurrency.js';
import { IrisKnnConfigSchema } from '../examples/iris/targets.js';

const logger = createLogger({ level: 'silent' });

const scope: TemplateScope = {
  input: { question: 'What is 2+3?', nums: [2, 3], nested: { a: { b: 'deep' } }, zero: 0 },
  itemId: 'q-7',
  itemIndex: 6,
  metadata: { lang: 'en', tags: ['math'] },
  runId: '01RUN',
  attempt: 2,
  env: { API_TOKEN: 'tok-123' },
};

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error & { type?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { type?: string };
  }
  throw new Error('did not throw');
}

/** `{ path: message }` of every issue of a failed parse. */
function issues(schema: z.ZodType, value: unknown): Record<string, string> {
  const parsed = schema.safeParse(value);
  expect(parsed.success).toBe(false);
  return Object.fromEntries(
    (parsed.error?.issues ?? []).map((i) => [i.path.map(String).join('.'), i.message]),
  );
}

describe('placeholders', () => {
  it('parses every root, with whitespace inside the braces', () => {
    const env = { env: true };
    expect(parsePlaceholder('input', env)).toEqual({
      root: 'input',
      path: [],
      source: '{{input}}',
    });
    expect(parsePlaceholder(' input.a.0.b ', env)).toEqual({
      root: 'input',
      path: ['a', '0', 'b'],
      source: '{{ input.a.0.b }}',
    });
    expect(parsePlaceholder('metadata.lang', env)).toMatchObject({
      root: 'metadata',
      path: ['lang'],
    });
    for (const root of ['item.id', 'item.index', 'run.id', 'attempt'] as const) {
      expect(parsePlaceholder(root, env)).toEqual({ root, source: `{{${root}}}` });
    }
    expect(parsePlaceholder('env.API_TOKEN', env)).toEqual({
      root: 'env',
      name: 'API_TOKEN',
      source: '{{env.API_TOKEN}}',
    });
  });

  it('refuses the expected output, unknown roots, env outside headers and malformed paths', () => {
    expect(parsePlaceholder('expectedOutput', { env: false })).toBe(
      'unknown placeholder {{expectedOutput}}: the expected output is never sent to the target (known: {{input}}, {{input.<path>}}, {{item.id}}, {{item.index}}, {{metadata.<path>}}, {{run.id}}, {{attempt}})',
    );
    expect(parsePlaceholder('expected', { env: false })).toMatch(
      /^unknown placeholder \{\{expected\}\}: the expected output is never sent/,
    );
    expect(parsePlaceholder('item', { env: false })).toMatch(/^unknown placeholder \{\{item\}\}/);
    expect(parsePlaceholder('item.expectedOutput', { env: false })).toMatch(
      /^unknown placeholder \{\{item.expectedOutput\}\}/,
    );
    expect(parsePlaceholder('env.TOKEN', { env: false })).toBe(
      'placeholder {{env.TOKEN}}: environment variables may only be used in headers',
    );
    expect(parsePlaceholder('env.1BAD', { env: true })).toMatch(/^invalid placeholder/);
    expect(parsePlaceholder('input..a', { env: false })).toMatch(/^invalid placeholder/);
    expect(parsePlaceholder('', { env: false })).toMatch(/^invalid placeholder \{\{\}\}/);
  });

  it('http config: refused at validation with the field path of the string', () => {
    expect(
      issues(HttpTargetConfigSchema, {
        url: 'http://llm.example/v1/chat/completions',
        headers: { authorization: 'Bearer {{env.API_TOKEN}}', 'x-run': '{{run.id}}' },
        query: { q: '{{input.q}}', leak: '{{env.API_TOKEN}}' },
        body: {
          model: 'm',
          messages: [{ role: 'user', content: 'Q: {{input.q}} A: {{expected}}' }],
          extra: '{{ expectedOutput }}',
        },
      }),
    ).toEqual({
      'query.leak':
        'placeholder {{env.API_TOKEN}}: environment variables may only be used in headers',
      'body.messages.0.content': expect.stringMatching(
        /^unknown placeholder \{\{expected\}\}: the expected output is never sent/,
      ) as unknown as string,
      'body.extra': expect.stringMatching(
        /^unknown placeholder \{\{ expectedOutput \}\}/,
      ) as unknown as string,
    });
    expect(
      issues(HttpTargetConfigSchema, { url: 'http://a.example/', method: 'GET', body: {} }),
    ).toEqual({ body: 'a GET request carries no body (use query)' });
    expect(
      issues(HttpTargetConfigSchema, { url: 'http://a.example/', headers: { 'bad name': 'x' } }),
    ).toEqual({ 'headers.bad name': 'Invalid key in record' });
    expect(HttpTargetConfigSchema.parse({ url: 'http://a.example/' })).toEqual({
      url: 'http://a.example/',
      method: 'POST',
    });
  });

  it('openai config: messages exclusive with prompt/system, reserved params, templates checked', () => {
    const base = { baseUrl: 'http://llm.example/v1', model: 'm' };
    expect(
      issues(OpenAiTargetConfigSchema, {
        ...base,
        prompt: '{{input}}',
        messages: [{ role: 'user', content: '{{input}}' }],
        params: { model: 'other', stream: true, temperature: 0 },
      }),
    ).toEqual({
      prompt: 'set either messages or prompt/system, not both',
      'params.model': 'set model with its own config field, not in params',
      'params.stream': 'streaming responses are not supported',
    });
    expect(
      issues(OpenAiTargetConfigSchema, {
        ...base,
        system: 'Answer {{env.KEY}}',
        prompt: '{{input.q}} ({{expectedOutput}})',
      }),
    ).toEqual({
      system: 'placeholder {{env.KEY}}: environment variables may only be used in headers',
      prompt: expect.stringMatching(
        /^unknown placeholder \{\{expectedOutput\}\}/,
      ) as unknown as string,
    });
    expect(
      issues(OpenAiTargetConfigSchema, {
        ...base,
        messages: [{ role: 'user', content: [{ type: 'text', text: '{{expectedOutput}}' }] }],
      }),
    ).toEqual({ 'messages.0.content.0.text': expect.any(String) as unknown as string });
    expect(issues(OpenAiTargetConfigSchema, { ...base, apiKeyEnv: 'not valid' })).toEqual({
      apiKeyEnv: 'must be an environment variable name',
    });
  });
});

describe('rendering', () => {
  const render = (template: unknown, where = 'body', env = false) =>
    renderTemplate(compileTemplate(template, where, { env }), scope);

  it('an exact placeholder becomes the JSON value; an embedded one its text', () => {
    expect(
      render({
        whole: '{{input}}',
        nums: '{{input.nums}}',
        first: '{{ input.nums.0 }}',
        deep: '{{input.nested.a.b}}',
        zero: '{{input.zero}}',
        id: '{{item.id}}',
        index: '{{item.index}}',
        run: '{{run.id}}',
        attempt: '{{attempt}}',
        meta: '{{metadata}}',
        lang: '{{metadata.lang}}',
        text: 'item {{item.id}} #{{item.index}} try {{attempt}}: {{input.nums}} / {{input.nested}}',
        spaced: ' {{input.zero}}',
        list: ['{{metadata.tags.0}}', 1, null, true, 'plain'],
      }),
    ).toEqual({
      whole: scope.input,
      nums: [2, 3],
      first: 2,
      deep: 'deep',
      zero: 0,
      id: 'q-7',
      index: 6,
      run: '01RUN',
      attempt: 2,
      meta: { lang: 'en', tags: ['math'] },
      lang: 'en',
      text: 'item q-7 #6 try 2: [2,3] / {"a":{"b":"deep"}}',
      spaced: ' 0',
      list: ['math', 1, null, true, 'plain'],
    });
  });

  it('text templates render even a lone placeholder as text', () => {
    const text = (t: string) => renderText(compileTemplate(t, 'prompt', { env: false }), scope);
    expect(text('{{input.question}}')).toBe('What is 2+3?');
    expect(text('{{input.nums}}')).toBe('[2,3]');
    expect(text('{{item.index}}')).toBe('6');
    expect(text('no placeholder')).toBe('no placeholder');
  });

  it('a template without placeholders is left as it is', () => {
    const template = { model: 'm', params: [1, { a: 'b' }] };
    expect(compileTemplate(template, 'body', { env: false })).toEqual({
      kind: 'literal',
      value: template,
    });
  });

  it('a path with no value fails the item invalid_input naming the placeholder and the item', () => {
    const err = thrown(() =>
      render({ messages: [{ role: 'user', content: 'Q: {{ input.answer }}' }] }),
    );
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.type).toBe('invalid_input');
    expect(err.message).toBe(
      'config.body.messages.0.content: placeholder {{ input.answer }} has no value for item "q-7" (index 6)',
    );
    expect(thrown(() => render('{{input.nums.5}}')).type).toBe('invalid_input');
    expect(thrown(() => render('{{metadata.missing}}')).type).toBe('invalid_input');
    // never the prototype chain
    expect(thrown(() => render('{{input.constructor}}')).type).toBe('invalid_input');
    expect(thrown(() => render('{{input.question.length}}')).type).toBe('invalid_input');
  });

  it('env variables: only in headers, read from the scope env, unset ones fail invalid_config', () => {
    expect(render('Bearer {{env.API_TOKEN}}', 'headers.authorization', true)).toBe(
      'Bearer tok-123',
    );
    const unset = thrown(() => render('{{env.NOPE}}', 'headers.x-key', true));
    expect(unset.type).toBe('invalid_config');
    expect(unset.message).toBe(
      'config.headers.x-key: environment variable NOPE (placeholder {{env.NOPE}}) is not set on this worker',
    );
    const inBody = thrown(() => render({ key: '{{env.API_TOKEN}}' }));
    expect(inBody.type).toBe('invalid_config');
    expect(inBody.message).toContain('environment variables may only be used in headers');
  });
});

describe('advertised config schemas', () => {
  const schemas: [string, z.ZodType, unknown[], unknown[]][] = [
    ['echo', EchoConfigSchema, [{}, { delayMs: 5 }], [{ delayMs: -1 }, { delayMs: 'x' }]],
    [
      'http',
      HttpTargetConfigSchema,
      [
        { url: 'http://a.example/' },
        {
          url: 'http://a.example/',
          method: 'PUT',
          headers: { authorization: 'Bearer {{env.T}}' },
          query: { q: '{{input}}' },
          body: { messages: [{ role: 'user', content: '{{input}}' }] },
          outputPath: 'choices.0.message.content',
        },
      ],
      [
        { url: 'not a url' },
        { url: 'http://a.example/', method: 'TRACE' },
        { url: 'http://a.example/', headers: { a: 1 } },
        { url: 'http://a.example/', temperature: 0 },
        {},
      ],
    ],
    [
      'openai',
      OpenAiTargetConfigSchema,
      [
        { baseUrl: 'http://127.0.0.1:8000/v1', model: 'm' },
        {
          baseUrl: 'http://127.0.0.1:8000/v1',
          model: 'm',
          params: { temperature: 0.7, max_tokens: 16, seed: 1 },
          system: 'Be brief.',
          prompt: 'Q: {{input.q}}',
          apiKeyEnv: 'MY_KEY',
        },
        {
          baseUrl: 'http://127.0.0.1:8000/v1',
          model: 'm',
          messages: [{ role: 'user', content: '{{input}}' }],
        },
      ],
      [
        { baseUrl: 'http://127.0.0.1:8000/v1' },
        { baseUrl: 'http://127.0.0.1:8000/v1', model: 'm', temperature: 0 },
        { baseUrl: 'http://127.0.0.1:8000/v1', model: 'm', params: [] },
        { baseUrl: 'http://127.0.0.1:8000/v1', model: 'm', messages: [] },
        { baseUrl: 'http://127.0.0.1:8000/v1', model: 'm', messages: [{ content: 'x' }] },
        { baseUrl: 'http://127.0.0.1:8000/v1', model: 7 },
      ],
    ],
    ['iris-knn', IrisKnnConfigSchema, [{}, { k: 1 }, { k: 149 }], [{ k: 0 }, { k: 2.5 }, { j: 1 }]],
  ];

  it('the built-ins are echo, http and openai', () => {
    expect(Object.keys(BUILTIN_TARGET_CONFIGS).sort()).toEqual(['echo', 'http', 'openai']);
  });

  for (const [name, schema, valid, invalid] of schemas) {
    it(`${name}: z.fromJSONSchema(z.toJSONSchema(schema)) accepts valid configs, refuses unknown keys and wrong types`, () => {
      const rebuilt = z.fromJSONSchema(z.toJSONSchema(schema, { io: 'input' }));
      for (const config of valid) {
        expect(schema.safeParse(config).success, JSON.stringify(config)).toBe(true);
        expect(rebuilt.safeParse(config).success, JSON.stringify(config)).toBe(true);
      }
      for (const config of invalid) {
        expect(schema.safeParse(config).success, JSON.stringify(config)).toBe(false);
        expect(rebuilt.safeParse(config).success, JSON.stringify(config)).toBe(false);
      }
      expect(rebuilt.safeParse({ ...(valid[0] as object), unknownKey: 1 }).success).toBe(false);
    });
  }

  it('describeTargets advertises each JSON Schema; an unconvertible one is left out and logged once', () => {
    const warnings: unknown[] = [];
    const run = async () => ({ output: null });
    const targets: TargetDefinition[] = [
      { name: 'plain', description: 'p', configSchema: z.object({}).strict(), run },
      {
        name: 'odd',
        description: 'o',
        configSchema: z.object({ when: z.date() }) as unknown as z.ZodType<Record<string, unknown>>,
        run,
      },
    ];
    const described = describeTargets(targets, {
      warn: (...args: unknown[]) => warnings.push(args),
    });
    expect(described).toEqual([
      {
        name: 'plain',
        description: 'p',
        configSchema: {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'object',
          properties: {},
          additionalProperties: false,
        },
      },
      { name: 'odd', description: 'o' },
    ]);
    expect(warnings).toHaveLength(1);
  });
});

describe('plugin contract', () => {
  /** The ESM entry of the repo's zod, importable from a module written outside the repo. */
  const zodUrl = pathToFileURL(
    join(dirname(createRequire(import.meta.url).resolve('zod/package.json')), 'index.js'),
  ).href;

  it('loadPluginModules refuses a target without a zod configSchema, naming module and target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-schema-'));
    try {
      const without = join(dir, 'without.mjs');
      writeFileSync(
        without,
        `export const targets = [{ name: 'bare', description: 'b', async run() { return { output: 1 }; } }];\n`,
      );
      await expect(loadPluginModules([without])).rejects.toThrow(
        `module ${without}: target "bare" has no configSchema: declare its config as a zod 4 schema`,
      );
      const notZod = join(dir, 'not-zod.mjs');
      writeFileSync(
        notZod,
        `export const targets = [{ name: 'json', description: 'j', configSchema: { type: 'object' }, async run() { return { output: 1 }; } }];\n`,
      );
      await expect(loadPluginModules([notZod])).rejects.toThrow(
        'target "json" has no configSchema',
      );
      const withSchema = join(dir, 'with.mjs');
      writeFileSync(
        withSchema,
        `import { z } from ${JSON.stringify(zodUrl)};
export const targets = [{ name: 'typed', description: 't', configSchema: z.object({ k: z.number() }).strict(), async run() { return { output: 1 }; } }];\n`,
      );
      const loaded = await loadPluginModules([withSchema]);
      expect(loaded.targets.map((t) => t.name)).toEqual(['typed']);
      expect(describeTargets(loaded.targets)[0]?.configSchema).toMatchObject({
        properties: { k: { type: 'number' } },
        required: ['k'],
        additionalProperties: false,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('targetConfig parses with defaults and lists every invalid field path', () => {
    const target: TargetDefinition<{ k: number; mode: string }> = {
      name: 'typed',
      description: 't',
      configSchema: z.object({ k: z.number().int().default(3), mode: z.string() }).strict(),
      run: async () => ({ output: null }),
    };
    expect(targetConfig(target, { mode: 'a' })).toEqual({ k: 3, mode: 'a' });
    const err = thrown(() => targetConfig(target, { k: 'x', extra: 1 }));
    expect(err.type).toBe('invalid_config');
    expect(err.message).toBe(
      'invalid typed target config: config.k: Invalid input: expected number, received string; config.mode: Invalid input: expected string, received undefined; config: Unrecognized key: "extra"',
    );
  });

  it('the worker hands the target its parsed config and the item metadata; an invalid config never reaches run', async () => {
    const seen: TargetContext<{ k: number }>[] = [];
    const target: TargetDefinition<{ k: number }> = {
      name: 'typed',
      description: 't',
      configSchema: z.object({ k: z.number().int().default(3) }).strict(),
      run: async (_input, context) => {
        seen.push(context);
        return { output: context.config.k };
      },
    };
    const execute = async (config: Record<string, unknown>) => {
      const sem = new Semaphore(1);
      await sem.acquire();
      const never = new AbortController().signal;
      return executeItem({
        target: target as unknown as TargetDefinition,
        runId: 'r1',
        index: 0,
        item: { id: 'a', input: 1, metadata: { lang: 'en' } },
        config,
        execution: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 0 }, timeoutMs: 5000 },
        logger,
        runSignal: never,
        stopSignal: never,
        shutdownSignal: never,
        slots: createSlots(sem, null),
        isCancelled: () => false,
        leaseHolds: () => true,
        reclaim: async () => true,
      });
    };
    const ok = await execute({});
    expect(ok).toMatchObject({ kind: 'result', result: { status: 'succeeded', output: 3 } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.config).toEqual({ k: 3 });
    expect(seen[0]?.metadata).toEqual({ lang: 'en' });
    const bad = await execute({ k: 'three', temperature: 0 });
    expect(bad).toMatchObject({
      kind: 'result',
      result: {
        status: 'failed',
        attempts: 1,
        error: {
          type: 'invalid_config',
          message:
            'invalid typed target config: config.k: Invalid input: expected number, received string; config: Unrecognized key: "temperature"',
        },
      },
    });
    expect(seen).toHaveLength(1);
  });
});
