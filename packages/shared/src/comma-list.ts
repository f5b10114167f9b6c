/**
 * The entries of a comma-separated setting (`RUNLEDGER_API_KEYS`, `RUNLEDGER_ENCRYPTION_KEYS`):
 * each entry trimmed, blank ones skipped, with `where` = `entry <n>` (n 1-based over all the
 * entries, blank ones included) for the parser's error messages. Never throws.
 * @example commaEntries(' a:1, ,b:2') // [{ entry: 'a:1', where: 'entry 1' }, { entry: 'b:2', where: 'entry 3' }]
 */
export function commaEntries(value: string): { entry: string; where: string }[] {
  return value
    .split(',')
    .map((raw, index) => ({ entry: raw.trim(), where: `entry ${index + 1}` }))
    .filter(({ entry }) => entry !== '');
}
