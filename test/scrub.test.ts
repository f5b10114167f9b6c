/**
 * The PII scrubber (packages/shared/src/scrub.ts): each detector's true positives and the near
 * misses it must leave alone, custom patterns, JSON values, policy validation and resolution.
 */
import {
  loadConfig,
  type MaskCounts,
  PrivacySchema,
  parseScrubKinds,
  resolvePrivacy,
  SCRUB_KINDS,
  Scrubber,
  type ScrubKind,
  scrubberFor,
} from '@runledger/shared';
import { describe, expect, it } from 'vitest';

const only = (kind: ScrubKind) => new Scrubber({ scrub: [kind], patterns: [], phoneRegion: 'US' });
const all = new Scrubber({ scrub: [...SCRUB_KINDS], patterns: [], phoneRegion: 'US' });

/** `text` scrubbed by `scrubber` and the masks it counted. */
function scrub(scrubber: Scrubber, text: string): [string, MaskCounts] {
  const counts: MaskCounts = {};
  return [scrubber.text(text, counts), counts];
}

/**
 * The table tests of detector `kind`, in the enclosing describe, on a scrubber of `kind` alone:
 * each `[text, want]` of `masks` comes out as `want`, counted as one `kind` mask per `[kind]` in
 * `want` (and no other count); each text of `leaves` comes out as is, with no count.
 */
function detectorCases(kind: ScrubKind, masks: [string, string][], leaves: string[]): void {
  const s = only(kind);
  const mask = `[${kind}]`;
  it.each(masks)('masks %j', (text, want) => {
    const [out, counts] = scrub(s, text);
    expect(out).toBe(want);
    expect(counts).toEqual({ [kind]: want.split(mask).length - 1 });
  });
  it.each(leaves)('leaves %j', (text) => {
    expect(scrub(s, text)).toEqual([text, {}]);
  });
}

describe('email', () => {
  detectorCases(
    'email',
    [
      ['mail ann.lee+x@example.co.uk now', 'mail [email] now'],
      ['bob@test.io.', '[email].'],
      ['<carol_o@mail.example.org>', '<[email]>'],
      ['a@b.com,c@d.org', '[email],[email]'],
      ['reply to x@y.com.5', 'reply to [email].5'],
    ],
    ['a@b', 'user@localhost', 'follow @runledger', 'foo@bar', 'x @ y.com', '@@'],
  );
});

describe('card (Luhn and issuer checked)', () => {
  const s = only('card');
  detectorCases(
    'card',
    [
      ['card 4111 1111 1111 1111 ok', 'card [card] ok'],
      ['4111111111111111', '[card]'],
      ['mc 5500-0000-0000-0004.', 'mc [card].'],
      ['amex 378282246310005', 'amex [card]'],
      ['4111 1111 1111 1111 2024', '[card] 2024'],
      ['id 12 4111 1111 1111 1111', 'id 12 [card]'],
      ['7 4111-1111-1111-1111 9', '7 [card] 9'],
    ],
    [
      '4111111111111112', // fails Luhn
      '4111 1111 1111 1112',
      '1234567812345670', // passes Luhn, no card issuer starts so
      'order 123456789012',
      'phone 4155552671',
      '41111111111111111111111', // 23 digits: no card
    ],
  );
  it('masks two cards in one run of digit groups', () => {
    expect(scrub(s, '4111111111111111 5500000000000004')).toEqual(['[card] [card]', { card: 2 }]);
    expect(scrub(s, '4111 1111 1111 1111 5500 0000 0000 0004')).toEqual([
      '[card] [card]',
      { card: 2 },
    ]);
  });
  it('masks a card number given as a JSON number, not other numbers', () => {
    const counts: MaskCounts = {};
    expect(s.value({ a: 4111111111111111, b: 4111111111111112, c: 42 }, counts)).toEqual({
      a: '[card]',
      b: 4111111111111112,
      c: 42,
    });
    expect(counts).toEqual({ card: 1 });
  });
});

describe('ip', () => {
  detectorCases(
    'ip',
    [
      ['from 192.168.1.10 at noon', 'from [ip] at noon'],
      ['host 8.8.8.8.', 'host [ip].'],
      ['v6 2001:db8::8a2e:370:7334 up', 'v6 [ip] up'],
      ['loopback ::1', 'loopback [ip]'],
      ['fe80::1ff:fe23:4567:890a', '[ip]'],
    ],
    [
      'version 1.2.3.4.5',
      '999.1.1.1',
      'v1.2.3',
      'at 12:30:45',
      'ratio 3.14',
      'std::vector',
      'cafe:babe',
    ],
  );
});

describe('phone', () => {
  detectorCases(
    'phone',
    [
      ['call +1 415 555 2671 today', 'call [phone] today'],
      ['call (415) 555-2671', 'call [phone]'],
      ['london +44 20 7946 0958', 'london [phone]'],
    ],
    ['order 12345678', 'on 2024-01-02', 'version 1.2.3.4.5', 'pi 3.14159265', 'id 123456'],
  );
  it('reads national numbers of the policy region', () => {
    const de = new Scrubber({ scrub: ['phone'], patterns: [], phoneRegion: 'DE' });
    expect(scrub(de, 'ruf 030 901820 an')).toEqual(['ruf [phone] an', { phone: 1 }]);
  });
});

describe('secret', () => {
  const jwt =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  detectorCases(
    'secret',
    [
      [`token ${jwt} end`, 'token [secret] end'],
      ['Authorization: Bearer abcdef123456.xyz', 'Authorization: Bearer [secret]'],
      ['key sk-proj-abcdefghijklmnopqrstuv1234', 'key [secret]'],
      ['sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWX', '[secret]'],
      ['stripe sk_live_abcdefghijklmnop1234', 'stripe [secret]'],
      ['gh ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'gh [secret]'],
      ['aws AKIAIOSFODNN7EXAMPLE', 'aws [secret]'],
      [
        'k=-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----;',
        'k=[secret];',
      ],
      ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk (truncated', '[secret]'],
    ],
    [
      'sk-short',
      'task-management-system-design',
      'eyJhbGciOiJIUzI1NiJ9',
      'the bearer instructions',
      'Bearer of bad news',
      '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----',
    ],
  );
});

describe('custom patterns and order', () => {
  it('masks matches as [<name>], with flags', () => {
    const s = new Scrubber({
      scrub: [],
      patterns: [
        { name: 'employee_id', regex: 'EMP-\\d{6}' },
        { name: 'project', regex: 'project (apollo|gemini)', flags: 'i' },
      ],
      phoneRegion: 'US',
    });
    expect(scrub(s, 'EMP-123456 on PROJECT Apollo, EMP-654321; emp-111111')).toEqual([
      '[employee_id] on [project], [employee_id]; emp-111111',
      { employee_id: 2, project: 1 },
    ]);
  });
  it('runs secrets first, then email, card, ip, phone, then custom patterns', () => {
    const s = new Scrubber({
      scrub: [...SCRUB_KINDS],
      patterns: [{ name: 'mask', regex: '\\[email\\]' }],
      phoneRegion: 'US',
    });
    // the email is masked before the custom pattern sees the text
    expect(scrub(s, 'ann@example.com')).toEqual(['[mask]', { email: 1, mask: 1 }]);
    expect(
      scrub(all, 'Bearer sk-abcdefghijklmnop12345 ann@example.com 4111111111111111 10.0.0.1'),
    ).toEqual(['Bearer [secret] [email] [card] [ip]', { secret: 1, email: 1, card: 1, ip: 1 }]);
  });
});

describe('JSON values', () => {
  it('scrubs strings at any depth and object keys, counts every mask, leaves the input alone', () => {
    const input = {
      'ann@example.com': { cards: ['4111111111111111', 7], note: 'ip 10.1.2.3' },
      'bob@example.com': null,
      list: [[['call +1 415 555 2671']], true, 1.5],
    };
    const copy = structuredClone(input);
    const counts: MaskCounts = {};
    const out = all.value(input, counts);
    expect(out).toEqual({
      '[email]': { cards: ['[card]', 7], note: 'ip [ip]' },
      '[email]#2': null,
      list: [[['call [phone]']], true, 1.5],
    });
    expect(counts).toEqual({ email: 2, card: 1, ip: 1, phone: 1 });
    expect(input).toEqual(copy);
  });
  it('walks JSON nested deeper than the call stack, shared and cyclic objects, toJSON', () => {
    const depth = 100_000;
    const deep = JSON.parse(`${'['.repeat(depth)}"ann@example.com"${']'.repeat(depth)}`);
    const counts: MaskCounts = {};
    let node = all.value(deep, counts) as unknown;
    for (let i = 0; i < depth; i++) node = (node as unknown[])[0];
    expect(node).toBe('[email]');
    expect(counts).toEqual({ email: 1 });
    const shared = { m: 'bob@example.com' };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    // a cycle ends (past 500 levels the walk keeps one copy per object)
    let copy = all.value(cyclic, {}) as Record<string, unknown>;
    for (let i = 0; i < 1000; i++) {
      expect(copy.a).toEqual({ m: '[email]' });
      expect(copy.b).toEqual({ m: '[email]' });
      copy = copy.self as Record<string, unknown>;
    }
    expect(all.value({ at: new Date(0), n: [undefined, 1] }, {})).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      n: [undefined, 1],
    });
  });
  it('scrubberFor gives null when nothing is scrubbed', () => {
    expect(scrubberFor(null)).toBeNull();
    expect(scrubberFor({ scrub: [], patterns: [], phoneRegion: 'US' })).toBeNull();
    expect(scrubberFor({ scrub: ['email'], patterns: [], phoneRegion: 'US' })).not.toBeNull();
  });
  it('scrubs a 56 kB text with every detector on', () => {
    const text = `${'lorem 12.5 2024-01-02 ipsum '.repeat(2000)} ann@example.com`;
    const [out, counts] = scrub(all, text);
    expect(out.endsWith(' [email]')).toBe(true);
    expect(counts).toEqual({ email: 1 });
  });
});

describe('privacy option', () => {
  const issues = (value: unknown) => {
    const parsed = PrivacySchema.safeParse(value);
    return parsed.success
      ? []
      : parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  };
  it('accepts "all", kinds, patterns and a region', () => {
    expect(issues({ scrub: 'all' })).toEqual([]);
    expect(
      issues({
        scrub: ['email', 'card'],
        patterns: [{ name: 'emp', regex: 'EMP-\\d{6}', flags: 'i' }],
        phoneRegion: 'GB',
      }),
    ).toEqual([]);
  });
  it('names an unknown kind', () => {
    expect(issues({ scrub: ['email', 'ssn'] })).toEqual([
      {
        path: 'scrub.1',
        message: 'unknown scrub kind "ssn" (known: secret, email, card, ip, phone, or "all")',
      },
    ]);
  });
  it('refuses patterns that do not compile, match "", nest quantifiers or are too long', () => {
    const pattern = (regex: string) => issues({ patterns: [{ name: 'p', regex }] });
    expect(pattern('a(b')[0]?.message).toMatch(/^pattern does not compile: /);
    expect(pattern('x*')).toEqual([
      { path: 'patterns.0.regex', message: 'pattern matches the empty string' },
    ]);
    expect(pattern('(a+)+$')[0]?.message).toMatch(/^pattern may backtrack catastrophically/);
    expect(pattern('a'.repeat(201))).toEqual([
      { path: 'patterns.0.regex', message: 'pattern is 201 characters, at most 200' },
    ]);
  });
  it('refuses bad names, flags, duplicate names and regions', () => {
    expect(issues({ patterns: [{ name: 'Bad Name', regex: 'x' }] })[0]?.path).toBe(
      'patterns.0.name',
    );
    expect(issues({ patterns: [{ name: 'p', regex: 'x', flags: 'g' }] })[0]?.path).toBe(
      'patterns.0.flags',
    );
    expect(
      issues({
        patterns: [
          { name: 'p', regex: 'x' },
          { name: 'p', regex: 'y' },
        ],
      }),
    ).toEqual([{ path: 'patterns.1.name', message: 'duplicate pattern name "p"' }]);
    expect(issues({ phoneRegion: 'XX' })[0]?.path).toBe('phoneRegion');
  });
});

describe('RUNLEDGER_SCRUB and resolution', () => {
  it('parses all, none, lists; refuses unknown kinds', () => {
    expect(parseScrubKinds('')).toEqual([]);
    expect(parseScrubKinds('none')).toEqual([]);
    expect(parseScrubKinds('all')).toEqual([...SCRUB_KINDS]);
    expect(parseScrubKinds(' card, EMAIL ')).toEqual(['email', 'card']);
    expect(() => parseScrubKinds('email,ssn')).toThrow('unknown scrub kind "ssn"');
  });
  it('a bad RUNLEDGER_SCRUB stops the process at start (loadConfig)', () => {
    expect(() => loadConfig({ RUNLEDGER_SCRUB: 'email,ssn' })).toThrow(
      /RUNLEDGER_SCRUB: unknown scrub kind "ssn"/,
    );
    expect(loadConfig({ RUNLEDGER_SCRUB: 'all' }).RUNLEDGER_SCRUB).toBe('all');
  });
  it('takes the option, else the default; [] turns the default off', () => {
    expect(resolvePrivacy(undefined, [])).toBeNull();
    expect(resolvePrivacy(undefined, ['email'])).toEqual({
      scrub: ['email'],
      patterns: [],
      phoneRegion: 'US',
    });
    expect(resolvePrivacy({ scrub: [] }, ['email'])).toBeNull();
    expect(resolvePrivacy({ scrub: 'all' }, [])?.scrub).toEqual([...SCRUB_KINDS]);
    expect(resolvePrivacy({ scrub: ['card', 'email'], phoneRegion: 'DE' }, ['ip'])).toEqual({
      scrub: ['email', 'card'],
      patterns: [],
      phoneRegion: 'DE',
    });
    expect(resolvePrivacy({ patterns: [{ name: 'p', regex: 'x' }] }, [])).toEqual({
      scrub: [],
      patterns: [{ name: 'p', regex: 'x' }],
      phoneRegion: 'US',
    });
  });
});
