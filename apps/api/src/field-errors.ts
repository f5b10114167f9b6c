/**
 * Zod issues as the field errors of a problem answer. A module of its own, without the HTTP
 * layer's imports: the item-line worker threads (./item-lines.ts) use it too.
 */
import type { FieldError } from '@runledger/shared/items';
import type { ZodError } from 'zod';

/** Dotted path of a zod issue path (`['dataset', 'items', 3, 'id']` -> `dataset.items.3.id`). */
export const dottedPath = (path: readonly PropertyKey[]) => path.map(String).join('.');

/**
 * Every issue of a zod error as a field error, `prefix` prepended to each path; a field a strict
 * request object does not know is `unknown <noun> "<key>"` at `<path>.<key>` (`field` in a
 * body, `query parameter` in a query).
 */
export function fieldErrors(
  error: ZodError,
  prefix: readonly PropertyKey[] = [],
  noun = 'field',
): FieldError[] {
  return error.issues.flatMap((issue) =>
    // a field a strict request object does not know: one error at its own path
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: dottedPath([...prefix, ...issue.path, key]),
          message: `unknown ${noun} "${key}"`,
        }))
      : [{ path: dottedPath([...prefix, ...issue.path]), message: issue.message }],
  );
}
