/** Helpers for reading experiment answers, shared by the CLI and the dashboard. */

/**
 * A variant's `differences` (dotted target paths -> its values, see `VariantSummary`) as
 * `[path, value]` lines for people: the target's `name` is left out (shown on its own), `config.`
 * is dropped from paths, strings are shown as they are, other values as JSON, and a field the
 * variant lacks as `(none)`. `{ "config.params.temperature": 0.8 }` -> `[["params.temperature",
 * "0.8"]]`.
 */
export function differenceLines(differences: Record<string, unknown>): [string, string][] {
  return Object.entries(differences)
    .filter(([path]) => path !== 'name')
    .map(([path, value]) => [
      path.replace(/^config\./, ''),
      value === null ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value),
    ]);
}
