/**
 * The CPU-heavy half of an NDJSON submission, in batches: each item line is parsed
 * (`JSON.parse`), validated (`ItemSchema`), put in stored form (default id, scrubbed by the
 * run's privacy policy) and encoded (`JSON.stringify`). Pure and plain-data in and out, so that
 * `ItemLineEncoder` (./item-line-encoder.ts) runs it in a worker thread (./item-lines-thread.ts)
 * or inline, with the same answers. What depends on the items before a line (duplicate ids, the
 * item limit, where the JSON goes) stays with the caller, in line order (`takeItem`).
 */
// the light entry: this module is all a worker thread loads (no Redis, BullMQ or tracing)
import {
  type FieldError,
  type Item,
  ItemSchema,
  PayloadTooLargeError,
  type Scrubber,
  type ScrubPolicy,
  type StoredItem,
  scrubberFor,
  toStoredItem,
  ValidationError,
} from '@runledger/shared/items';
import { fieldErrors } from './field-errors.js';

/**
 * `item` (stored form) with its input, expectedOutput and metadata scrubbed by `scrubber`;
 * with `count`, the masks made are added to its `masked` (kept from an earlier scrub, e.g. the
 * item of a rerun). The same object when `scrubber` is null.
 */
export function scrubItem(item: StoredItem, scrubber: Scrubber | null, count: boolean): StoredItem {
  if (!scrubber) return item;
  const counts: Record<string, number> = { ...(item.masked ?? {}) };
  const out: StoredItem = { id: item.id, input: scrubber.value(item.input, counts) };
  if (item.expectedOutput !== undefined) {
    out.expectedOutput = scrubber.value(item.expectedOutput, counts);
  }
  if (item.metadata !== undefined) out.metadata = scrubber.value(item.metadata, counts);
  if (count && Object.keys(counts).length > 0) out.masked = counts;
  return out;
}

/**
 * Item number `index` in stored form (`toStoredItem`: its id defaults to `String(index)`) and as
 * JSON; with `privacy`, scrubbed first (`scrubItem`; ids are not scrubbed), its masks counted on
 * it when `privacy.count`. `bytes` is the JSON's UTF-8 length when it may exceed `maxBytes`, else
 * 0 (short JSON is not measured: a UTF-16 code unit is at most 3 UTF-8 bytes).
 */
export function prepareItem(
  item: Item | StoredItem,
  index: number,
  maxBytes: number,
  privacy?: { scrubber: Scrubber | null; count: boolean },
): { stored: StoredItem; json: string; bytes: number } {
  const plain = toStoredItem(item, index);
  if (privacy && 'masked' in item && item.masked) plain.masked = item.masked;
  const stored = privacy ? scrubItem(plain, privacy.scrubber, privacy.count) : plain;
  const json = JSON.stringify(stored);
  return { stored, json, bytes: json.length * 3 <= maxBytes ? 0 : Buffer.byteLength(json) };
}

/** The end of an item's error messages naming its NDJSON line (` (line 7)`), `''` without one. */
export const lineSuffix = (line: number | undefined): string =>
  line === undefined ? '' : ` (line ${line})`;

/**
 * Where an item is, for `takeItem`'s errors: `path` locates the item, `firstOf` follows the
 * index of the first item with the same id and `suffix` ends each message (`(line 7)`).
 */
export interface ItemAt {
  path: string;
  firstOf?: string;
  suffix?: string;
}

/**
 * Takes item number `index` (its `id`, and `bytes` as `prepareItem` measured it) once its id is
 * new in `ids` (then recorded there) and it holds at most `maxBytes`. `where` says where the item
 * is (called only for an error: no strings built per item).
 * @throws ValidationError 400 (duplicate id, at `<path>.id`); PayloadTooLargeError 413 (too
 *   large, at `<path>`).
 */
export function takeItem(
  id: string,
  bytes: number,
  index: number,
  ids: Map<string, number>,
  maxBytes: number,
  where: () => ItemAt,
): void {
  const first = ids.get(id);
  if (first !== undefined) {
    const at = where();
    const message = `duplicate item id "${id}" (first at index ${first}${at.firstOf ?? ''})${at.suffix ?? ''}`;
    throw new ValidationError(message, [{ path: `${at.path}.id`, message }]);
  }
  if (bytes > maxBytes) {
    const at = where();
    const message = `item is ${bytes} bytes, at most ${maxBytes}${at.suffix ?? ''}`;
    throw new PayloadTooLargeError(message, [{ path: at.path, message }]);
  }
  ids.set(id, index);
}

/** A batch of item lines to encode (`encodeItemLines`): plain data, cloned to a worker thread. */
export interface ItemLinesTask {
  /** The lines' texts, in body order (no empty line, no line ending). */
  texts: string[];
  /** Their 1-based line numbers in the body (for messages). */
  lines: number[];
  /** The request's index of the batch's first item (error paths `<itemsPath>.<index>`). */
  firstIndex: number;
  /** The default id of the batch's first item (`String(idBase + k)` for item k without an id). */
  idBase: number;
  /** The dotted path of the items in error paths: `dataset.items` (runs), `items` (datasets). */
  itemsPath: string;
  /** Max UTF-8 bytes of an item's stored JSON (`RUNLEDGER_MAX_ITEM_BYTES`): longer ones are measured. */
  maxItemBytes: number;
  /** The privacy policy the items are scrubbed by; null: none. */
  policy: ScrubPolicy | null;
  /** Count the masks made on each item (`masked`): runs do, dataset versions do not. */
  countMasks: boolean;
  /** UTF-8 bytes of `texts` in all (where the batch is encoded: `ItemLineEncoder`). */
  bytes: number;
}

/**
 * The encoded items of an `ItemLinesTask`, one entry per line up to the first bad one: `ids`
 * (stored ids), `jsons` (stored JSON), `bytes` (as `prepareItem` gives them) and `expected` (the
 * item has an `expectedOutput`). `error`: the first bad line (invalid JSON or a bad field), as a
 * 400 problem's message and field errors; the lines after it are not read.
 */
export interface ItemLinesResult {
  ids: string[];
  jsons: string[];
  bytes: number[];
  expected: boolean[];
  error: { message: string; errors: FieldError[] } | null;
}

/**
 * Parses, validates and encodes the item lines of `task` (see `ItemLinesTask`), stopping at the
 * first bad line. Never throws for bad input: the error is in the answer (it crosses threads as
 * data). Scrubbing compiles `task.policy` once per call.
 */
export function encodeItemLines(task: ItemLinesTask): ItemLinesResult {
  const { texts, lines } = task;
  const scrubber = scrubberFor(task.policy);
  const privacy = { scrubber, count: task.countMasks };
  const out: ItemLinesResult = { ids: [], jsons: [], bytes: [], expected: [], error: null };
  // a line's place in messages (`line N`, `<itemsPath>.<i>`) is built only on an error
  const where = (k: number) => `line ${lines[k]}`;
  for (let k = 0; k < texts.length; k++) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(texts[k] as string);
    } catch (err) {
      out.error = invalidJson(err, `${task.itemsPath}.${task.firstIndex + k}`, where(k));
      return out;
    }
    const result = ItemSchema.safeParse(parsed);
    if (!result.success) {
      const prefix = [...task.itemsPath.split('.'), task.firstIndex + k];
      out.error = lineProblem(fieldErrors(result.error, prefix), where(k));
      return out;
    }
    const { stored, json, bytes } = prepareItem(
      result.data,
      task.idBase + k,
      task.maxItemBytes,
      privacy,
    );
    out.ids.push(stored.id);
    out.jsons.push(json);
    out.bytes.push(bytes);
    out.expected.push(stored.expectedOutput !== undefined);
  }
  return out;
}

/**
 * A 400's message and field errors for `errors` of one line, each message prefixed with `where`
 * (`line 7`). `lineError` turns them into the ValidationError thrown.
 */
export function lineProblem(
  errors: FieldError[],
  where: string,
): { message: string; errors: FieldError[] } {
  return {
    message: `invalid NDJSON ${where}: ${errors.map((e) => `${e.path || '(line)'}: ${e.message}`).join('; ')}`,
    errors: errors.map((e) => ({ path: e.path, message: `${where}: ${e.message}` })),
  };
}

/** The `lineProblem` of a line `JSON.parse` refused with `err`; `path`: where its value goes. */
export const invalidJson = (err: unknown, path: string, where: string) =>
  lineProblem([{ path, message: `invalid JSON: ${(err as Error).message}` }], where);

/** The ValidationError (400) of a `lineProblem`. */
export const lineError = (problem: { message: string; errors: FieldError[] }): ValidationError =>
  new ValidationError(problem.message, problem.errors);
