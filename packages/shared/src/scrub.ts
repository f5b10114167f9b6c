/**
 * PII scrubbing: finds personal data and secrets in JSON values and replaces each with a mask
 * (`[email]`, `[phone]`, `[card]`, `[ip]`, `[secret]`, `[<custom name>]`), counting the masks by
 * kind. Pure: no I/O, no state besides the compiled policy.
 *
 * Where it runs (README "Lifecycle and privacy"): the API scrubs items (input, expectedOutput,
 * metadata) before they are staged in Redis, and dataset items before they are pushed; the worker
 * scrubs a result's output and error right before `store.execution.recordResults` (scorers score the
 * original output first), and the error fields of its log lines and attempt spans.
 *
 * Detection: candidates are found with small linear or bounded patterns and confirmed by
 * well-kept validators: `validator` (`isEmail`, `isCreditCard`: Luhn plus issuer prefixes,
 * `isIP`, `isJWT`) and `libphonenumber-js` (`findPhoneNumbersInText`: valid numbers only, in
 * international form or in the national form of `phoneRegion`). Secrets are PEM private keys,
 * JWTs, `Bearer <token>`, and API keys with a well-known prefix (`sk-`, `sk_live_`, `ghp_`,
 * `github_pat_`, `xox?-`, `AKIA`, `AIza`, `glpat-`). Detectors run in the order of
 * `SCRUB_KINDS` (secrets first), then the custom patterns, each over the text left by the
 * previous ones.
 *
 * Custom patterns are refused at submit (400) when longer than `MAX_PATTERN_LENGTH`, when they
 * do not compile, match the empty string, or have nested quantifiers (`safe-regex2`'s star
 * height check): a guard against catastrophic backtracking, not a proof.
 */
import { z } from '@hono/zod-openapi';
import { type CountryCode, findPhoneNumbersInText, isSupportedCountry } from 'libphonenumber-js';
import safeRegex from 'safe-regex2';
import validator from 'validator';

/** Built-in detectors, in the order they run. */
export const SCRUB_KINDS = ['secret', 'email', 'card', 'ip', 'phone'] as const;
/** A built-in detector. */
export type ScrubKind = (typeof SCRUB_KINDS)[number];

/** Max characters of a custom pattern's source. */
export const MAX_PATTERN_LENGTH = 200;
/** Max custom patterns of one policy. */
export const MAX_PATTERNS = 20;
/** Names of custom patterns (their mask is `[<name>]`): 1-32 lowercase letters, digits, `_`, `-`. */
export const PATTERN_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
/** Flags a custom pattern may carry (`g` is always added). */
const PATTERN_FLAGS = /^[imsu]*$/;

/** Masked values per kind (`email`, ..., or a custom pattern's name), e.g. `{ email: 2 }`. */
export type MaskCounts = Record<string, number>;

/** One custom pattern: matches are masked as `[<name>]`. */
export interface ScrubPattern {
  name: string;
  regex: string;
  flags?: string | undefined;
}

/** A policy as stored with a run (`spec.privacy`) and as the worker applies it. */
export interface ScrubPolicy {
  /** Built-in detectors on, in `SCRUB_KINDS` order. */
  scrub: ScrubKind[];
  patterns: ScrubPattern[];
  /** ISO 3166 region whose national phone format is recognised besides `+<code>` numbers. */
  phoneRegion: string;
}

/** Region of national phone numbers when a policy names none. */
export const DEFAULT_PHONE_REGION = 'US';

/**
 * Why `pattern` (with `flags`) cannot be a custom pattern, or null when it can: too long, does
 * not compile, matches the empty string, or may backtrack catastrophically (nested quantifiers).
 */
export function customPatternProblem(pattern: string, flags = ''): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `is ${pattern.length} characters, at most ${MAX_PATTERN_LENGTH}`;
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch (err) {
    return `does not compile: ${(err as Error).message}`;
  }
  if (re.test('')) return 'matches the empty string';
  if (!safeRegex(re)) {
    return 'may backtrack catastrophically (nested quantifiers such as (a+)+): rewrite it without them';
  }
  return null;
}

const unknownKinds = (kinds: readonly string[]) =>
  kinds.filter((k) => !(SCRUB_KINDS as readonly string[]).includes(k));

const ScrubKindsSchema = z
  .union([z.literal('all'), z.array(z.string()).max(SCRUB_KINDS.length * 2)])
  .superRefine((value, ctx) => {
    if (value === 'all') return;
    value.forEach((kind, index) => {
      if (unknownKinds([kind]).length === 0) return;
      ctx.addIssue({
        code: 'custom',
        path: [index],
        message: `unknown scrub kind "${kind}" (known: ${SCRUB_KINDS.join(', ')}, or "all")`,
      });
    });
  });

/**
 * A custom pattern as submitted: `name` (`PATTERN_NAME`), `regex` (JavaScript source, checked by
 * `customPatternProblem`: 400 at `...patterns.<i>.regex`), optional `flags` among `i m s u`.
 */
export const ScrubPatternSchema = z
  .strictObject({
    name: z
      .string()
      .regex(PATTERN_NAME, 'must be 1-32 lowercase letters, digits, "_" or "-", first a letter'),
    regex: z.string().min(1),
    flags: z.string().regex(PATTERN_FLAGS, 'may hold only the flags i, m, s, u').optional(),
  })
  .superRefine((p, ctx) => {
    const problem = customPatternProblem(p.regex, p.flags ?? '');
    if (problem) ctx.addIssue({ code: 'custom', path: ['regex'], message: `pattern ${problem}` });
  })
  .openapi('ScrubPattern', {
    description: `A custom detector: matches of \`regex\` (JavaScript syntax, at most ${MAX_PATTERN_LENGTH} characters, no nested quantifiers, must not match "") are masked as \`[<name>]\`.`,
    example: { name: 'employee_id', regex: 'EMP-\\d{6}' },
  });

/** The `privacy` option of a run spec, an experiment (or variant) and a dataset push. */
export const PrivacySchema = z
  .strictObject({
    scrub: ScrubKindsSchema.optional().openapi({
      description: `Detectors to run: "all" or a list of ${SCRUB_KINDS.map((k) => `\`${k}\``).join(', ')}. Default: \`RUNLEDGER_SCRUB\`; \`[]\` turns that default off.`,
      example: ['email', 'card'],
    }),
    patterns: z
      .array(ScrubPatternSchema)
      .max(MAX_PATTERNS)
      .optional()
      .superRefine((patterns, ctx) => {
        const seen = new Set<string>();
        patterns?.forEach((p, index) => {
          if (seen.has(p.name)) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `duplicate pattern name "${p.name}"`,
            });
          }
          seen.add(p.name);
        });
      }),
    phoneRegion: z
      .string()
      .refine(
        (r) => isSupportedCountry(r),
        'must be an ISO 3166 region code libphonenumber knows, e.g. US, GB, DE',
      )
      .optional()
      .openapi({
        description: `Region whose national phone format is recognised besides +<code> numbers. Default ${DEFAULT_PHONE_REGION}.`,
      }),
  })
  .openapi('Privacy', {
    description:
      'PII scrubbing before anything is stored: matches are replaced by `[email]`, `[phone]`, `[card]`, `[ip]`, `[secret]` or `[<pattern name>]`.',
    example: { scrub: ['email', 'card'], patterns: [{ name: 'employee_id', regex: 'EMP-\\d{6}' }] },
  });
/** The `privacy` option as submitted. */
export type PrivacyOption = z.infer<typeof PrivacySchema>;

/**
 * A run's scrub policy as the API returns it (`Run.privacy`; null: nothing is scrubbed): the
 * `ScrubPolicy` resolved at submit, kinds in `SCRUB_KINDS` order.
 */
export const ScrubPolicySchema = z
  .object({
    scrub: z.array(z.enum(SCRUB_KINDS)),
    patterns: z.array(
      z.object({ name: z.string(), regex: z.string(), flags: z.string().optional() }),
    ),
    phoneRegion: z.string(),
  })
  .openapi('ScrubPolicy');

/**
 * Parses `RUNLEDGER_SCRUB`: `all`, `none` or empty (nothing), or a comma-separated list of kinds
 * (`email,card`). Returns the kinds in `SCRUB_KINDS` order.
 * @throws Error naming an unknown kind.
 */
export function parseScrubKinds(value: string): ScrubKind[] {
  const list = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (list.length === 0 || (list.length === 1 && list[0] === 'none')) return [];
  if (list.includes('all')) return [...SCRUB_KINDS];
  const unknown = unknownKinds(list);
  if (unknown.length > 0) {
    throw new Error(
      `unknown scrub kind "${unknown[0]}" (known: ${SCRUB_KINDS.join(', ')}, all, none)`,
    );
  }
  return SCRUB_KINDS.filter((k) => list.includes(k));
}

/**
 * The policy a submission gets: `option.scrub` (`all` or a list) else the `defaults` (the kinds
 * of `RUNLEDGER_SCRUB`), plus `option.patterns`. Null when nothing would be scrubbed.
 */
export function resolvePrivacy(
  option: PrivacyOption | undefined,
  defaults: readonly ScrubKind[],
): ScrubPolicy | null {
  const chosen = option?.scrub;
  const scrub =
    chosen === undefined
      ? [...defaults]
      : chosen === 'all'
        ? [...SCRUB_KINDS]
        : SCRUB_KINDS.filter((k) => chosen.includes(k));
  const patterns = (option?.patterns ?? []).map((p) => ({
    name: p.name,
    regex: p.regex,
    ...(p.flags ? { flags: p.flags } : {}),
  }));
  if (scrub.length === 0 && patterns.length === 0) return null;
  return { scrub, patterns, phoneRegion: option?.phoneRegion ?? DEFAULT_PHONE_REGION };
}

/** Adds `more` into `into` (per kind); returns `into`. */
export function addMaskCounts(into: MaskCounts, more: MaskCounts | undefined): MaskCounts {
  if (more) for (const [kind, n] of Object.entries(more)) into[kind] = (into[kind] ?? 0) + n;
  return into;
}

// ------------------------------------------------------------------------------ detectors

/** Replaces spans of `text`; `find` yields `[start, end)` spans in order, not overlapping. */
type SpanFinder = (text: string) => Iterable<[number, number]>;

function replaceSpans(
  text: string,
  find: SpanFinder,
  mask: string,
  kind: string,
  counts: MaskCounts,
): string {
  let out = '';
  let at = 0;
  let n = 0;
  for (const [start, end] of find(text)) {
    if (start < at) continue;
    out += text.slice(at, start) + mask;
    at = end;
    n++;
  }
  if (n === 0) return text;
  counts[kind] = (counts[kind] ?? 0) + n;
  return out + text.slice(at);
}

/** Spans of the global regex `re` whose match (or group `group`) `accept` confirms. */
function* regexSpans(
  text: string,
  re: RegExp,
  accept: (match: string) => boolean = () => true,
  group = 0,
): Iterable<[number, number]> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    const value = m[group];
    if (value === undefined || !accept(value)) continue;
    const start = m.index + m[0].indexOf(value);
    yield [start, start + value.length];
  }
}

const PEM_PRIVATE_KEY =
  /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----|$)/g;
const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const BEARER = /\b[Bb]earer\s+([A-Za-z0-9._~+/-]{8,}=*)/g;
/** API keys with a well-known prefix (OpenAI/Anthropic, Stripe, GitHub, Slack, AWS, Google, GitLab). */
const API_KEY =
  /\b(?:sk-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}|xox[abeprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,})/g;

/** A bearer token mixes letters and digits (`Bearer instructions` is prose). */
const isTokenLike = (token: string) => /\d/.test(token) && /[A-Za-z]/.test(token);

function secretFinder(text: string, counts: MaskCounts): string {
  let out = replaceSpans(text, (t) => regexSpans(t, PEM_PRIVATE_KEY), '[secret]', 'secret', counts);
  out = replaceSpans(
    out,
    (t) => regexSpans(t, JWT, (m) => validator.isJWT(m)),
    '[secret]',
    'secret',
    counts,
  );
  out = replaceSpans(
    out,
    (t) => regexSpans(t, BEARER, isTokenLike, 1),
    '[secret]',
    'secret',
    counts,
  );
  return replaceSpans(out, (t) => regexSpans(t, API_KEY), '[secret]', 'secret', counts);
}

const EMAIL_LOCAL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]/;
const EMAIL_DOMAIN = /[A-Za-z0-9.-]/;

/** Emails: around each `@`, the longest local part (<= 64) and domain (<= 253), confirmed by `isEmail`. */
function* emailSpans(text: string): Iterable<[number, number]> {
  let last = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > last && at - start < 64 && EMAIL_LOCAL.test(text[start - 1]!)) start--;
    while (start < at && text[start] === '.') start++;
    let end = at + 1;
    while (end < text.length && end - at <= 253 && EMAIL_DOMAIN.test(text[end]!)) end++;
    while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
    if (start === at || end === at + 1) continue;
    // text glued on either side (`x.5`, `.y`) may spoil it: shorten the domain at its dots
    while (!validator.isEmail(text.slice(start, end))) {
      const dot = text.lastIndexOf('.', end - 1);
      end = dot > at + 1 ? dot : at;
      if (end === at) break;
    }
    if (end === at) continue;
    yield [start, end];
    last = end;
  }
}

/** 13-19 digits, optionally grouped by single spaces or dashes. */
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?!\d)/g;

/**
 * Card numbers: in each candidate run, the digit groups that `isCreditCard` confirms (Luhn +
 * issuer), leftmost first, longest first: a run may hold other digits before or after a card
 * (`id 12 4111 1111 1111 1111`, `4111 1111 1111 1111 2024`). Spans start and end on group
 * boundaries.
 */
function* cardSpans(text: string): Iterable<[number, number]> {
  CARD_CANDIDATE.lastIndex = 0;
  for (let m = CARD_CANDIDATE.exec(text); m !== null; m = CARD_CANDIDATE.exec(text)) {
    const run = m[0];
    const starts = [0];
    const ends: number[] = [];
    for (let i = 0; i < run.length; i++) {
      if (run[i] === ' ' || run[i] === '-') {
        starts.push(i + 1);
        ends.push(i);
      }
    }
    ends.push(run.length);
    const digitsBefore = (i: number) => run.slice(0, i).replace(/\D/g, '').length;
    let from = 0;
    for (const start of starts) {
      if (start < from) continue;
      const offset = digitsBefore(start);
      for (let e = ends.length - 1; e >= 0; e--) {
        const end = ends[e]!;
        const digits = digitsBefore(end) - offset;
        if (end <= start || digits < 13) break;
        if (digits > 19 || !validator.isCreditCard(run.slice(start, end))) continue;
        yield [m.index + start, m.index + end];
        from = end;
        break;
      }
    }
  }
}

const IPV4_CANDIDATE = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)/g;
const IPV6_CANDIDATE = /(?<![0-9A-Za-z:.])[0-9A-Fa-f:][0-9A-Fa-f:.]{1,44}(?![0-9A-Za-z:])/g;

function* ipSpans(text: string): Iterable<[number, number]> {
  yield* regexSpans(text, IPV4_CANDIDATE, (m) => validator.isIP(m, 4));
}

function* ipv6Spans(text: string): Iterable<[number, number]> {
  IPV6_CANDIDATE.lastIndex = 0;
  for (let m = IPV6_CANDIDATE.exec(text); m !== null; m = IPV6_CANDIDATE.exec(text)) {
    let value = m[0];
    while (value.endsWith('.')) value = value.slice(0, -1);
    if ((value.match(/:/g)?.length ?? 0) < 2) continue;
    if (validator.isIP(value, 6)) yield [m.index, m.index + value.length];
  }
}

/** Digits with phone punctuation (7+ digits, <= 40 characters, not inside a word). */
const PHONE_CANDIDATE = /(?<![\w+])\+?\(?\d[\d ().\-/]{5,38}\d(?!\w)/g;

/**
 * Phone numbers: libphonenumber's text search over the whole text (it weighs the context), run
 * only when a cheap pattern finds a candidate; it costs about 1.2 us a character here.
 */
function phoneSpans(region: CountryCode): SpanFinder {
  return (text) => {
    const candidates = regexSpans(text, PHONE_CANDIDATE, (m) => (m.match(/\d/g)?.length ?? 0) >= 7)[
      Symbol.iterator
    ]();
    if (candidates.next().done) return [];
    return findPhoneNumbersInText(text, { defaultCountry: region }).map(
      (f) => [f.startsAt, f.endsAt] as [number, number],
    );
  };
}

// ------------------------------------------------------------------------------ scrubber

/**
 * A compiled `ScrubPolicy`.
 *
 * @example
 * const scrubber = new Scrubber({ scrub: ['email'], patterns: [], phoneRegion: 'US' });
 * const counts = {};
 * scrubber.value({ q: 'mail ann@example.com' }, counts); // { q: 'mail [email]' }, counts { email: 1 }
 */
export class Scrubber {
  private readonly steps: ((text: string, counts: MaskCounts) => string)[] = [];
  private readonly cards: boolean;

  constructor(readonly policy: ScrubPolicy) {
    const on = new Set(policy.scrub);
    this.cards = on.has('card');
    const region = (
      isSupportedCountry(policy.phoneRegion) ? policy.phoneRegion : DEFAULT_PHONE_REGION
    ) as CountryCode;
    for (const kind of SCRUB_KINDS) {
      if (!on.has(kind)) continue;
      if (kind === 'secret') this.steps.push(secretFinder);
      else if (kind === 'email') {
        this.steps.push((t, c) =>
          t.includes('@') ? replaceSpans(t, emailSpans, '[email]', 'email', c) : t,
        );
      } else if (kind === 'card') {
        this.steps.push((t, c) => replaceSpans(t, cardSpans, '[card]', 'card', c));
      } else if (kind === 'ip') {
        this.steps.push((t, c) =>
          replaceSpans(replaceSpans(t, ipSpans, '[ip]', 'ip', c), ipv6Spans, '[ip]', 'ip', c),
        );
      } else {
        const find = phoneSpans(region);
        this.steps.push((t, c) => replaceSpans(t, find, '[phone]', 'phone', c));
      }
    }
    for (const p of policy.patterns) {
      const re = new RegExp(p.regex, `g${(p.flags ?? '').replace(/g/g, '')}`);
      const mask = `[${p.name}]`;
      this.steps.push((t, c) => replaceSpans(t, (s) => regexSpans(s, re), mask, p.name, c));
    }
  }

  /** `text` with every detected value masked; adds the masks to `counts`. */
  text(text: string, counts: MaskCounts): string {
    let out = text;
    for (const step of this.steps) out = step(out, counts);
    return out;
  }

  /**
   * A copy of the JSON value `value` with every string (object keys included) scrubbed, and
   * integers that are card numbers replaced by `"[card]"`. Adds the masks to `counts`. Keys that
   * scrub to the same text get `#2`, `#3`, ... appended.
   */
  value<T>(value: T, counts: MaskCounts): T {
    return this.walk(value, counts, 0) as T;
  }

  /** Recursive (fast) up to `RECURSION_LIMIT` levels, then `deepValue` for the subtree. */
  private walk(value: unknown, counts: MaskCounts, depth: number): unknown {
    if (depth > RECURSION_LIMIT) return this.deepValue(value, counts);
    const leaf = this.leaf(value, counts);
    const node = leaf.node;
    if (node === null) return leaf.value;
    if (Array.isArray(node)) return node.map((v) => this.walk(v, counts, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(node as Record<string, unknown>)) {
      out[uniqueKey(out, key, this.text(key, counts))] = this.walk(v, counts, depth + 1);
    }
    return out;
  }

  /**
   * Iterative walk for JSON nested deeper than the call stack allows (JSON.parse takes 100,000
   * levels); `copies` keeps a shared or cyclic object one copy.
   */
  private deepValue(value: unknown, counts: MaskCounts): unknown {
    const top = this.leaf(value, counts);
    if (top.node === null) return top.value;
    const copies = new Map<object, unknown[] | Record<string, unknown>>();
    const copyOf = (node: object) => {
      let copy = copies.get(node);
      if (copy) return { copy, fresh: false };
      copy = Array.isArray(node) ? [] : {};
      copies.set(node, copy);
      return { copy, fresh: true };
    };
    const root = copyOf(top.node).copy;
    const stack: [object, unknown[] | Record<string, unknown>][] = [[top.node, root]];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const [node, copy] = next;
      const put = (slot: string | number, v: unknown) => {
        const leaf = this.leaf(v, counts);
        let out = leaf.value;
        if (leaf.node !== null) {
          const { copy: child, fresh } = copyOf(leaf.node);
          if (fresh) stack.push([leaf.node, child]);
          out = child;
        }
        (copy as Record<string | number, unknown>)[slot] = out;
      };
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) put(i, node[i]);
        continue;
      }
      const obj = copy as Record<string, unknown>;
      for (const [key, v] of Object.entries(node as Record<string, unknown>)) {
        put(uniqueKey(obj, key, this.text(key, counts)), v);
      }
    }
    return root;
  }

  /**
   * A scalar scrubbed (`node` null), or the object or array to walk (`toJSON` applied first, as
   * `JSON.stringify` would).
   */
  private leaf(value: unknown, counts: MaskCounts): { value: unknown; node: object | null } {
    let v = value;
    if (
      v !== null &&
      typeof v === 'object' &&
      typeof (v as { toJSON?: unknown }).toJSON === 'function'
    ) {
      v = (v as { toJSON(): unknown }).toJSON();
    }
    if (typeof v === 'string') return { value: this.text(v, counts), node: null };
    if (typeof v === 'number') {
      if (
        this.cards &&
        Number.isSafeInteger(v) &&
        v >= 1e12 &&
        this.text(String(v), {}) === '[card]'
      ) {
        counts.card = (counts.card ?? 0) + 1;
        return { value: '[card]', node: null };
      }
      return { value: v, node: null };
    }
    if (v === null || typeof v !== 'object') return { value: v, node: null };
    return { value: v, node: v };
  }
}

/** Levels `Scrubber.value` walks recursively before it goes on iteratively. */
const RECURSION_LIMIT = 500;

/** `scrubbed` (the scrubbed form of `key`), with `#2`, `#3`, ... when it collides in `out`. */
function uniqueKey(out: Record<string, unknown>, key: string, scrubbed: string): string {
  if (scrubbed === key || !Object.hasOwn(out, scrubbed)) return scrubbed;
  let n = 2;
  while (Object.hasOwn(out, `${scrubbed}#${n}`)) n++;
  return `${scrubbed}#${n}`;
}

/** The scrubber of `policy`, or null when there is none (nothing to scrub). */
export function scrubberFor(policy: ScrubPolicy | null | undefined): Scrubber | null {
  if (!policy || (policy.scrub.length === 0 && policy.patterns.length === 0)) return null;
  return new Scrubber(policy);
}
