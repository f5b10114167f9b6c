import { type RunningServices, startServices } from '@runledger/cli';
import {
  createLogger,
  createRedis,
  defineTarget,
  type ExperimentSummary,
  loadConfig,
} from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliOutcome, createTempDir, runCliCaptured } from './helpers/cli.js';
import { deletePrefix, redisUrl, uniquePrefix } from './helpers/context.js';

const prefix = uniquePrefix('cli-exp');
const tmp = createTempDir('cli-exp');
let services: RunningServices;
let apiUrl: string;

/** `yes` when `input % config.mod === 0`, else `no`. */
const modulo = defineTarget({
  name: 'modulo',
  description: 'yes when input % mod === 0',
  async run(input, { config }) {
    return { output: Number(input) % Number(config.mod ?? 1) === 0 ? 'yes' : 'no' };
  },
});

beforeAll(async () => {
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: prefix,
    PORT: '0',
    LOG_LEVEL: 'silent',
    RUNLEDGER_TARGETS: '',
  });
  services = await startServices({
    config,
    logger: createLogger({ level: 'silent' }),
    workers: 1,
    redisUrlGiven: true,
    targets: [modulo],
  });
  apiUrl = services.apiUrl ?? '';
});

afterAll(async () => {
  await services?.close();
  const redis = createRedis(redisUrl());
  await deletePrefix(redis, prefix);
  redis.disconnect();
  tmp.remove();
});

/** Runs the CLI in-process; returns its exit code and what it wrote. */
function cli(args: string[]): Promise<CliOutcome> {
  return runCliCaptured(args, { RUNLEDGER_URL: apiUrl });
}

const file = (name: string, text: string) => tmp.file(name, text);

describe('runledger experiment / compare', () => {
  it('creates an experiment from YAML, watches it, prints the table; compare prints the changes', async () => {
    file(
      'six.jsonl',
      Array.from({ length: 6 }, (_, i) =>
        JSON.stringify({ id: `n${i}`, input: i, expectedOutput: 'yes' }),
      ).join('\n'),
    );
    const yaml = file(
      'exp.yaml',
      [
        'name: mod test',
        'dataset: { file: six.jsonl }',
        'variants:',
        '  - { name: mod1, target: { name: modulo, config: { mod: 1 } } }',
        '  - { name: mod2, target: { name: modulo, config: { mod: 2 } } }',
        'scorers: [ { name: exact_match } ]',
        '',
      ].join('\n'),
    );
    const run = await cli(['experiment', yaml, '--watch']);
    expect(run.stderr).toMatch(/^created experiment [0-9A-Z]{26} \(2 variants, 2 runs\)\n$/);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /"mod test": completed, dataset six\.jsonl@sha256:[0-9a-f]{16}, 1 trial/,
    );
    expect(lines[1]).toMatch(/^VARIANT\s+exact_match \[95% CI\]\s+P50\/P90\/P99 MS/);
    expect(lines[2]).toMatch(/^mod1\s+100\.0% \[61\.0%, 100\.0%\] \(6\/6\)\s/);
    expect(lines[3]).toMatch(/^mod2\s+50\.0% \[18\.8%, 81\.2%\] \(3\/6\)\s/);
    expect(lines).toHaveLength(4);

    const id = /experiment ([0-9A-Z]{26})/.exec(run.stderr)![1]!;
    const status = await cli(['experiment-status', id, '--json']);
    expect(status.code).toBe(0);
    const summary = JSON.parse(status.stdout) as ExperimentSummary;
    expect(summary.variants.map((v) => v.scores.exact_match!.passed)).toEqual([6, 3]);

    const [a, b] = summary.variants.map((v) => v.runIds[0]!);
    const cmp = await cli(['compare', a!, b!]);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toContain('pass rate   a 100.0%   b 50.0%   b - a -50.0 pts [95% CI');
    expect(cmp.stdout).toContain('by pass/fail  improved 0, regressed 3, unchanged 3');
    expect(cmp.stdout).toContain('regressed: n1, n3, n5');
  });

  it('reports bad files and bad specs on one line with exit code 1', async () => {
    const bad = await cli(['experiment', file('bad.yaml', 'name: [unclosed')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid YAML');
    const dup = await cli([
      'experiment',
      file(
        'dup.yaml',
        'name: dup\ndataset: { items: [ { input: 1 } ] }\nvariants:\n  - { name: a, target: { name: echo } }\n  - { name: a, target: { name: echo } }\n',
      ),
    ]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('variants.1.name: duplicate variant name "a" (first at index 0)');
    const cmp = await cli(['compare', '01JZ8X6T2M3N4P5Q6R7S8T9V0W', '01JZ8X6T2M3N4P5Q6R7S8T9V0X']);
    expect(cmp.code).toBe(1);
    expect(cmp.stderr).toContain('404');
  });
});
