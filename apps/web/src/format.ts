/**
 * Formatters of the dashboard: numbers, percentages, durations, money and times, as text.
 * Missing values (null/undefined/NaN) print as an en dash.
 */

const DASH = '–';
const missing = (v: number | null | undefined): v is null | undefined =>
  v === null || v === undefined || Number.isNaN(v);

/** `0.8333` -> `83.3%`. */
export function fmtPct(v: number | null | undefined, digits = 1): string {
  return missing(v) ? DASH : `${(v * 100).toFixed(digits)}%`;
}

/** Integers with thousands separators: `12345` -> `12,345`. */
export function fmtInt(v: number | null | undefined): string {
  return missing(v) ? DASH : Math.round(v).toLocaleString('en-US');
}

/**
 * Milliseconds: `0.034` -> `0.034 ms`, `2.46` -> `2.5 ms`, `840` -> `840 ms`, `1520` -> `1.52 s`,
 * `125000` -> `2m 5s` (two significant digits below 10 ms, so a sub-millisecond run does not
 * read `0 ms`).
 */
export function fmtMs(v: number | null | undefined): string {
  if (missing(v)) return DASH;
  if (v < 10) return `${Number(v.toPrecision(2))} ms`;
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
  const s = Math.round(v / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

/**
 * Labels of a chart's latency ticks (ms; null: a tick left unlabelled, answered ''): `fmtMs`,
 * or, where that makes two ticks read the same (1, 1.02 and 1.04 ms all read `1 ms`), the fewest
 * decimals (up to 6) that tell every tick apart, in ms below one second, in s above.
 */
export function fmtMsTicks(ticks: readonly (number | null)[]): string[] {
  const labels = (format: (v: number) => string) => ticks.map((v) => (v === null ? '' : format(v)));
  const shown = ticks.filter((v) => v !== null).length;
  const distinct = (ls: string[]) => new Set(ls.filter((l) => l !== '')).size === shown;
  let out = labels(fmtMs);
  for (let digits = 1; digits <= 6 && !distinct(out); digits++) {
    out = labels((v) =>
      v < 1000 ? `${Number(v.toFixed(digits))} ms` : `${Number((v / 1000).toFixed(digits))} s`,
    );
  }
  return out;
}

/** US dollars with enough digits for small costs: `0.00042` -> `$0.00042`. */
export function fmtUsd(v: number | null | undefined): string {
  if (missing(v)) return DASH;
  if (v === 0) return '$0';
  if (Math.abs(v) < 0.01) return `$${v.toPrecision(2)}`;
  return `$${v.toFixed(2)}`;
}

/** A signed difference in percentage points: `0.05` -> `+5.0 pp`. */
export function fmtPp(v: number | null | undefined): string {
  if (missing(v)) return DASH;
  const pp = v * 100;
  return `${pp > 0 ? '+' : ''}${pp.toFixed(1)} pp`;
}

/** An ISO time as local `YYYY-MM-DD HH:MM:SS`. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** How long ago `iso` was, relative to `now`: `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return DASH;
  const ms = now - new Date(iso).getTime();
  if (Number.isNaN(ms)) return iso;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** Duration between two ISO times (to `now` when `to` is null). */
export function fmtDuration(
  from: string | null | undefined,
  to: string | null | undefined,
  now = Date.now(),
): string {
  if (!from) return DASH;
  const end = to ? new Date(to).getTime() : now;
  return fmtMs(end - new Date(from).getTime());
}

/** Any JSON value as text: strings as they are, everything else pretty-printed JSON. */
export function toText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A one-line preview of a value, cut at `max` characters (tables only; detail views show all). */
export function preview(value: unknown, max = 160): string {
  const text = (typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).replace(
    /\s+/g,
    ' ',
  );
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A dataset version as shown: numeric versions as `v3`, other labels as they are. */
export function fmtVersion(version: string | number | null | undefined): string {
  if (version === null || version === undefined || version === '') return '';
  return /^\d+$/.test(String(version)) ? `v${version}` : String(version);
}

/** An interval of differences in percentage points: `[-2.0, +0.7] pp`. */
export function fmtPpInterval(ci: readonly [number, number] | null | undefined): string {
  if (!ci) return DASH;
  const one = (v: number) => `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)}`;
  return `[${one(ci[0])}, ${one(ci[1])}] pp`;
}

/**
 * Masks counted per kind (`Result.masked`: `{ email: 2, phone: 1 }`) as `email 2 · phone 1`, in
 * the order given, kinds with a count of 0 left out; null when nothing was masked.
 */
export function fmtMasked(masked: Record<string, number> | null | undefined): string | null {
  const parts = Object.entries(masked ?? {})
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${fmtInt(n)}`);
  return parts.length > 0 ? parts.join(' · ') : null;
}

/**
 * A run's privacy policy (`Run.privacy`: what is masked before its data is stored) in one line:
 * `masks email, phone (region US); patterns employee_id`; null when the run has none.
 */
export function fmtPrivacy(
  policy:
    | {
        scrub: readonly string[];
        patterns: readonly { name: string }[];
        phoneRegion: string;
      }
    | null
    | undefined,
): string | null {
  if (!policy) return null;
  const kinds = policy.scrub.map((k) =>
    k === 'phone' ? `phone (region ${policy.phoneRegion})` : k,
  );
  const parts: string[] = [];
  if (kinds.length > 0) parts.push(`masks ${kinds.join(', ')}`);
  if (policy.patterns.length > 0)
    parts.push(`patterns ${policy.patterns.map((p) => p.name).join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'masks nothing';
}
