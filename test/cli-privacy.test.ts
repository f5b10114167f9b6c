/**
 * `runledger submit --scrub ... --scrub-pattern name=regex`: the run's privacy option from the
 * command line (in-process API and worker on a fresh prefix of the test Redis).
 */
import type { Result, Run } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import { jsonl, submitEcho, useCliServices } from './helpers/cli.js';

const { cli, file, apiUrl } = useCliServices('cli-privacy');

describe('submit --scrub', () => {
  it('masks the chosen kinds and custom patterns before the run is stored', async () => {
    const data = file(
      'contacts.jsonl',
      jsonl([{ id: 'a', input: 'ann@example.com EMP-123456 from 10.0.0.1' }]),
    );
    const res = await cli(
      submitEcho(
        data,
        '--scrub',
        'email,ip',
        '--scrub-pattern',
        'employee_id=EMP-\\d{6}',
        '--watch',
        '--json',
      ),
    );
    expect(res.stderr).toContain('created run');
    expect(res.code).toBe(0);
    const run = JSON.parse(res.stdout) as Run;
    expect(run.privacy).toEqual({
      scrub: ['email', 'ip'],
      patterns: [{ name: 'employee_id', regex: 'EMP-\\d{6}' }],
      phoneRegion: 'US',
    });
    const page = (await (await fetch(`${apiUrl()}/v1/runs/${run.id}/results`)).json()) as {
      results: Result[];
    };
    expect(page.results.map((r) => [r.input, r.output, r.masked])).toEqual([
      [
        '[email] [employee_id] from [ip]',
        '[email] [employee_id] from [ip]',
        { email: 1, ip: 1, employee_id: 1 },
      ],
    ]);
  });

  it('refuses an unknown kind before sending anything, and a bad pattern with the API 400', async () => {
    const data = file('one.jsonl', jsonl([{ input: 'x' }]));
    const kind = await cli(['submit', data, '--target', 'echo', '--scrub', 'email,ssn']);
    expect(kind.code).not.toBe(0);
    expect(kind.stderr).toContain('unknown scrub kind "ssn"');
    const pattern = await cli(['submit', data, '--target', 'echo', '--scrub-pattern', 'p=(a+)+b']);
    expect(pattern.code).not.toBe(0);
    expect(pattern.stderr).toContain('privacy.patterns.0.regex');
    expect(pattern.stderr).toContain('may backtrack catastrophically');
  });
});
