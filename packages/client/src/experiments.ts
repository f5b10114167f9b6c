/** Helpers for reading target configs and experiment answers, shared by the CLI and the dashboard. */

/**
 * A variant's `differences` (dotted target paths -> its values, see `VariantSummary`) as
 * `[path, shown, full]` lines for people: the target's `name` is left out (shown on its own),
 * `config.` is dropped from paths; `full` is the value as text (a one-line string as it is,
 * anything else, a string with line breaks or tabs too, as JSON; a field the variant lacks
 * `(none)`), and `shown` is `full` cut to `maxChars` characters (an ellipsis `…` last), so a long
 * prompt does not swamp a table. `{ "config.params.temperature": 0.8 }` ->
 * `[["params.temperature", "0.8", "0.8"]]`.
 */
export function differenceLines(
  differences: Record<string, unknown>,
  maxChars = 80,
): [path: string, shown: string, full: string][] {
  return Object.entries(differences)
    .filter(([path]) => path !== 'name')
    .map(([path, value]) => [path.replace(/^config\./, ''), ...valueText(value, maxChars)]);
}

/**
 * `value` as text for people, `[shown, full]`: a one-line string as it is, anything else (a
 * string with line breaks or tabs too) as JSON, null as `(none)`; `shown` is `full` cut to
 * `maxChars` characters, an ellipsis `…` last.
 */
function valueText(value: unknown, maxChars: number): [shown: string, full: string] {
  const full =
    value === null
      ? '(none)'
      : typeof value === 'string' && !/[\r\n\t]/.test(value)
        ? value
        : JSON.stringify(value);
  return [full.length > maxChars ? `${full.slice(0, maxChars - 1)}…` : full, full];
}

/**
 * A target's config (as the API answers it: secret fields `[redacted]`) as `[path, shown, full]`
 * lines, one per leaf field in dotted form (`params.temperature`), values as
 * `differenceLines` shows them; arrays and empty objects are leaves. None without a config.
 * `{ model: "toy-1", params: { temperature: 0 } }` -> `[["model", "toy-1", "toy-1"],
 * ["params.temperature", "0", "0"]]`.
 */
export function configLines(
  config: Record<string, unknown> | undefined,
  maxChars = 80,
): [path: string, shown: string, full: string][] {
  const lines: [string, string, string][] = [];
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0 && path !== '') lines.push([path, ...valueText(value, maxChars)]);
      for (const [key, v] of entries) walk(v, path === '' ? key : `${path}.${key}`);
    } else lines.push([path, ...valueText(value, maxChars)]);
  };
  if (config) walk(config, '');
  return lines;
}

/** One value of a difference, for people: `shown` cut to a length, `full` whole. */
export interface DifferenceValue {
  shown: string;
  full: string;
}

/**
 * A comparison's `differences` (`{ a, b }`: the target fields in which runs a and b differ) as
 * `[path, a, b]` rows for people: the target name first when it differs (`target`), then each
 * field as `differenceLines` shows it (`(none)` where a run lacks it). No rows when the targets
 * are the same.
 */
export function differencePairs(
  differences: { a: Record<string, unknown>; b: Record<string, unknown> },
  maxChars = 80,
): [path: string, a: DifferenceValue, b: DifferenceValue][] {
  const none = { shown: '(none)', full: '(none)' };
  const ofB = new Map(
    differenceLines(differences.b, maxChars).map(([path, shown, full]) => [path, { shown, full }]),
  );
  const rows: [string, DifferenceValue, DifferenceValue][] = differenceLines(
    differences.a,
    maxChars,
  ).map(([path, shown, full]) => [path, { shown, full }, ofB.get(path) ?? none]);
  if ('name' in differences.a) {
    const name = (v: unknown) =>
      v === null || v === undefined ? none : { shown: String(v), full: String(v) };
    rows.unshift(['target', name(differences.a.name), name(differences.b.name)]);
  }
  return rows;
}

/**
 * A target as one short label for lists: its name, and its `config.model` in parentheses when
 * that is a non-empty string (the field runs are grouped by in `GET /v1/runs/aggregate`):
 * `{ name: "openai", config: { model: "toy-1" } }` -> `openai (toy-1)`; `{ name: "echo" }` -> `echo`.
 */
export function targetLabel(target: { name: string; config?: Record<string, unknown> }): string {
  const model = target.config?.model;
  return typeof model === 'string' && model !== '' ? `${target.name} (${model})` : target.name;
}
