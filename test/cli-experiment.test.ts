import { defineTarget, type ExperimentSummary, z } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import { useCliServices } from './helpers/cli.js';

/** `yes` when `input % config.mod === 0`, else `no`. */
const modulo = defineTarget({
  name: 'modulo',
  description: 'yes when input % mod === 0',
  configSchema: z.object({ mod: z.number().int().min(1).default(1) }).strict(),
  async run(input, { config }) {
    return { output: Number(input) % config.mod === 0 ? 'yes' : 'no' };
  },
});

const { cli, file } = useCliServices('cli-exp', {
  env: { RUNLEDGER_TARGETS: '' },
  targets: [modulo],
});

let experimentId = '';

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
    expect(run.stderr).toMatch(
      /^created experiment ([0-9A-Z]{26}) \(2 variants, 2 runs\), live at http:\/\/127\.0\.0\.1:\d+\/experiments\/\1\n$/,
    );
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/"mod test": completed, dataset six@sha256:[0-9a-f]{16}, 1 trial/);
    expect(lines[1]).toMatch(
      /^VARIANT\s+exact_match \[95% CI\]\s+P50\/P90\/P99 MS.*\s{2}DIFFERS IN$/,
    );
    expect(lines[2]).toMatch(/^mod1\s+100\.0% \[61\.0%, 100\.0%\] \(6\/6\)\s.*\s{2}mod=1$/);
    expect(lines[3]).toMatch(/^mod2\s+50\.0% \[18\.8%, 81\.2%\] \(3\/6\)\s.*\s{2}mod=2$/);
    // each variant against the first: the paired bootstrap difference and the changed items
    expect(lines[4]).toBe('');
    expect(lines[5]).toMatch(
      /^mod2 vs mod1: compare [0-9A-Z]{26} against [0-9A-Z]{26} by exact_match \(dataset sha256:[0-9a-f]{16}, 6 items\)$/,
    );
    expect(lines[6]).toBe('differs in    mod 1 -> 2');
    expect(lines[7]).toMatch(
      /^pass rate {3}a 100\.0% {3}b 50\.0% {3}b - a -50\.0 pts \[95% CI -?\d+\.\d pts, -?\d+\.\d pts; paired bootstrap, \d+ resamples, seed \d+\]$/,
    );
    expect(lines[8]).toBe('by pass/fail  improved 0, regressed 3, unchanged 3');
    expect(lines.slice(10)).toEqual(['improved:  -', 'regressed: n1, n3, n5']);

    const id = /experiment ([0-9A-Z]{26})/.exec(run.stderr)![1]!;
    experimentId = id;
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

describe('experiments as users read them', () => {
  interface Row {
    itemId: string;
    input: unknown;
    expectedOutput: unknown;
    variants: Record<string, { trialIndex: number; status: string; output: unknown }[]>;
  }
  const rows = (stdout: string) =>
    stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);

  it('experiment-status --baseline compares against that variant', async () => {
    const status = await cli(['experiment-status', experimentId, '--baseline', 'mod2']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^mod1 vs mod2: compare /m);
    expect(status.stdout).toContain('b - a +50.0 pts [95% CI');
    expect(status.stdout).toContain('improved:  n1, n3, n5\n');
    const bad = await cli(['experiment-status', experimentId, '--baseline', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--baseline "nope" is not a variant');
  });

  it('--report rows carry input, expected and each variant output; --disagreements keeps the differing ones', async () => {
    const report = await cli(['experiment-status', experimentId, '--report']);
    expect(report.code).toBe(0);
    expect(report.stderr).toBe('6 items\n');
    const all = rows(report.stdout);
    expect(all.map((r) => r.itemId)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    expect(all[1]).toMatchObject({
      itemId: 'n1',
      input: 1,
      expectedOutput: 'yes',
      variants: {
        mod1: [{ trialIndex: 0, status: 'succeeded', output: 'yes' }],
        mod2: [{ trialIndex: 0, status: 'succeeded', output: 'no' }],
      },
    });
    const diff = await cli(['experiment-status', experimentId, '--report', '--disagreements']);
    expect(diff.code).toBe(0);
    expect(rows(diff.stdout).map((r) => r.itemId)).toEqual(['n1', 'n3', 'n5']);
    expect(diff.stderr).toBe('3 items where the variants disagree\n');
  });

  it('experiment --watch applies gates per variant (exit 4 names the variant)', async () => {
    const yaml = file(
      'gate.yaml',
      [
        'name: gated',
        'dataset: { file: six.jsonl }',
        'variants:',
        '  - { name: mod1, target: { name: modulo, config: { mod: 1 } } }',
        '  - { name: mod3, target: { name: modulo, config: { mod: 3 } } }',
        'scorers: [ { name: exact_match } ]',
        '',
      ].join('\n'),
    );
    const gated = await cli(['experiment', yaml, '--watch', '--min-pass-rate', '0.5']);
    expect(gated.code).toBe(4);
    expect(gated.stderr).toContain(
      'error: gate failed: variant mod3 exact_match pass rate 33.3% < 50.0% (short by 16.7 pts)\n',
    );
    expect(gated.stderr).not.toContain('variant mod1');
    // experiment-status --watch follows an existing experiment with the same gates and exit codes
    const id = /created experiment (\S+) /.exec(gated.stderr)?.[1] ?? '';
    const again = await cli(['experiment-status', id, '--watch', '--min-pass-rate', '0.5']);
    expect([again.code, again.stderr]).toEqual([
      4,
      'error: gate failed: variant mod3 exact_match pass rate 33.3% < 50.0% (short by 16.7 pts)\n',
    ]);
    expect(again.stdout).toBe(
      (await cli(['experiment-status', id])).stdout, // the same table and comparisons
    );
    // a gate on a scorer the experiment does not have is refused before watching
    const unknown = await cli(['experiment-status', id, '--watch', '--min-pass-rate', 'mod=0.1']);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      'error: --min-pass-rate names scorer "mod", which the run does not have (scorers: exact_match)\n',
    ]);
    const noWatch = await cli(['experiment-status', id, '--min-pass-rate', '0.5']);
    expect([noWatch.code, noWatch.stderr]).toEqual([
      1,
      'error: --max-failed and --min-pass-rate need --watch\n',
    ]);
  });

  it('experiments list|get|delete; a deleted run makes an experiment incomplete, with a warning', async () => {
    const yaml = file(
      'small.yaml',
      [
        'name: to delete',
        'dataset: { items: [ { id: a, input: 2, expectedOutput: "yes" } ] }',
        'variants:',
        '  - { name: m1, target: { name: modulo, config: { mod: 1 } } }',
        '  - { name: m2, target: { name: modulo, config: { mod: 2 } } }',
        'scorers: [ { name: exact_match } ]',
        '',
      ].join('\n'),
    );
    const created = await cli(['experiment', yaml, '--watch', '--json']);
    expect(created.code).toBe(0);
    const summary = JSON.parse(created.stdout) as ExperimentSummary;

    const list = await cli(['experiments', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID +CREATED +DATASET +TRIALS +VARIANTS +NAME$/);
    expect(list.stdout).toMatch(new RegExp(`^${summary.id} .* m1, m2 +to delete$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${experimentId} .* mod1, mod2 +mod test$`, 'm'));

    const get = await cli(['experiments', 'get', summary.id]);
    expect([get.code, get.stderr]).toEqual([0, '']);
    expect(get.stdout).toMatch(/^m2 vs m1: compare /m);

    // one run gone: the experiment says so and does not quietly show partial numbers
    const m2Run = summary.variants[1]!.runIds[0]!;
    expect((await cli(['runs', 'delete', m2Run])).code).toBe(0);
    const partial = await cli(['experiments', 'get', summary.id]);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toBe(
      `warning: experiment ${summary.id} is incomplete: run(s) ${m2Run} no longer exist (expired or deleted); its numbers cover the remaining runs only\n`,
    );
    expect(partial.stdout).toContain('m2 vs m1: not compared (a trial-0 run no longer exists)');

    const del = await cli(['experiments', 'delete', summary.id]);
    expect([del.code, del.stdout]).toEqual([0, `deleted experiment ${summary.id} and its runs\n`]);
    const gone = await cli(['experiments', 'get', summary.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('404');
    const m1Run = await cli(['runs', 'get', summary.variants[0]!.runIds[0]!]);
    expect(m1Run.code).toBe(1);
    expect(m1Run.stderr).toContain('404');
  });
});
