/**
 * Secrets in run specs: which config fields are secret, and how they are hidden in what the API
 * returns. The stored spec keeps the real values (workers need them); GET, list, create and
 * cancel answers show `[redacted]` instead.
 *
 * A field is secret when its name (case-insensitive) is one of `SECRET_FIELD_NAMES`
 * (`authorization`, `proxy-authorization`, `cookie`, `set-cookie`, `x-api-key`, `api-key`) or
 * matches `SECRET_FIELD_PATTERN` (`secret`, `password`, `passwd`, `credential`, `api_key` /
 * `apiKey` / `api-key`, `private_key`, `access_key`, or `token` not followed by `s`, so
 * `maxTokens` stays visible). Its whole value is replaced, whatever its type. A string field
 * named `url` keeps its shape but loses its user info and the values of secret query parameters.
 */

/** What a redacted value reads as. */
export const REDACTED = '[redacted]';

/** Field names that are always secret (compared lowercased). */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
]);

/** Field names matching this are secret too. */
export const SECRET_FIELD_PATTERN =
  /secret|password|passwd|credential|api[-_]?key|private[-_]?key|access[-_]?key|token(?!s)/i;

/** True when a field of this name holds a secret. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD_NAMES.has(name.toLowerCase()) || SECRET_FIELD_PATTERN.test(name);
}

/**
 * A deep copy of `value` with every secret field's value replaced by `[redacted]` (see the
 * module doc). Arrays and plain objects are walked up to `maxDepth` levels; deeper values are
 * replaced whole (a spec is never that deep).
 */
export function redactSecrets<T>(value: T, maxDepth = 32): T {
  return walk(value, maxDepth) as T;
}

function walk(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth <= 0) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => walk(v, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretField(key)) out[key] = REDACTED;
    else if (key.toLowerCase() === 'url' && typeof v === 'string') out[key] = redactUrl(v);
    else out[key] = walk(v, depth - 1);
  }
  return out;
}

/**
 * `url` without user info and with the values of secret query parameters redacted
 * (`https://u:p@h/x?api_key=1&q=2` -> `https://h/x?api_key=[redacted]&q=2`). Strings that are
 * not absolute URLs are returned unchanged.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  if (parsed.username || parsed.password) {
    parsed.username = '';
    parsed.password = '';
    changed = true;
  }
  for (const name of [...new Set(parsed.searchParams.keys())]) {
    if (isSecretField(name)) {
      parsed.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  return changed ? parsed.toString() : url;
}
