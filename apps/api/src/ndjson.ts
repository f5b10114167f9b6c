/**
 * NDJSON request bodies. `readNdjsonItems` reads a header line and then one item a line, as a
 * stream, with the line numbers in every error. Under it, `readLineBatches` splits a byte stream
 * chunk by chunk and yields the lines each chunk completes, as one batch, never holding more
 * than one chunk plus the line it leaves incomplete in memory.
 */
import {
  type Item,
  ItemSchema,
  PayloadTooLargeError,
  ValidationError,
  type z,
} from '@runledger/shared';
import { fieldErrors } from './problem.js';

/** The media type of NDJSON request bodies. */
export const NDJSON = 'application/x-ndjson';

/** True when `contentType` (a `Content-Type` header) is `application/x-ndjson`, parameters aside. */
export const isNdjson = (contentType: string | undefined): boolean =>
  contentType?.split(';')[0]?.trim().toLowerCase() === NDJSON;

/**
 * One line of the body: `number` is 1-based; `text` has no `\n` and no trailing `\r`; `bytes`
 * is its length in UTF-8 bytes (without the line ending).
 */
export interface NdjsonLine {
  number: number;
  text: string;
  bytes: number;
}

/** A line longer than the limit `readLineBatches` was given for it. */
export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
  constructor(
    readonly lineNumber: number,
    readonly maxBytes: number,
  ) {
    super(`line ${lineNumber} exceeds ${maxBytes} bytes`);
  }
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits `body` into lines, yielded in batches: the lines each chunk of the body completes (one
 * UTF-8 decode per chunk, not per line). Handles lines split across chunks, `\r\n` endings and a
 * last line without a newline. Empty lines are yielded too (callers skip them). A line's `bytes`
 * is checked by the caller (`checkLineBytes`) as it takes the line: its limit may depend on the
 * lines before it, which the caller has not seen when the batch is cut.
 * @param maxLineBytes max bytes of line `number` (without its line ending), asked for a line
 *   still incomplete once the caller took every line before it.
 * @throws LineTooLongError as soon as an incomplete line grows past its limit (the rest is not read).
 */
export async function* readLineBatches(
  body: ReadableStream<Uint8Array>,
  maxLineBytes: (lineNumber: number) => number,
): AsyncGenerator<NdjsonLine[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let number = 1;
  /** Line `number`: the pending bytes plus `tail` (its `\r` ending dropped). */
  const take = (tail: Uint8Array): NdjsonLine => {
    let bytes: Uint8Array;
    if (pending.length === 0) bytes = tail;
    else {
      bytes = new Uint8Array(pendingBytes + tail.length);
      let at = 0;
      for (const part of pending) {
        bytes.set(part, at);
        at += part.length;
      }
      bytes.set(tail, at);
    }
    pending = [];
    pendingBytes = 0;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    return { number, text: decoder.decode(bytes.subarray(0, end)), bytes: end };
  };
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const lines: NdjsonLine[] = [];
      let start = 0;
      let nl = value.indexOf(NEWLINE, 0);
      if (nl !== -1 && pending.length > 0) {
        // the line the previous chunks began
        lines.push(take(value.subarray(0, nl)));
        number++;
        start = nl + 1;
        nl = value.indexOf(NEWLINE, start);
      }
      // the lines wholly inside this chunk: measured one by one, decoded at once
      const blockStart = start;
      const sizes: number[] = [];
      while (nl !== -1) {
        sizes.push((nl > start && value[nl - 1] === CR ? nl - 1 : nl) - start);
        start = nl + 1;
        nl = value.indexOf(NEWLINE, start);
      }
      if (sizes.length > 0) {
        const texts = decoder.decode(value.subarray(blockStart, start - 1)).split('\n');
        for (let k = 0; k < texts.length; k++) {
          const text = texts[k] as string;
          lines.push({
            number: number + k,
            text: text.endsWith('\r') ? text.slice(0, -1) : text,
            bytes: sizes[k] as number,
          });
        }
        number += sizes.length;
      }
      if (lines.length > 0) yield lines;
      if (start < value.length) {
        const rest = value.subarray(start);
        pending.push(rest);
        pendingBytes += rest.length;
        // +1: the line may still end with a `\r` that is not part of it
        if (pendingBytes > maxLineBytes(number) + 1) {
          throw new LineTooLongError(number, maxLineBytes(number));
        }
      }
    }
    if (pendingBytes > 0) yield [take(new Uint8Array(0))];
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Throws when `line` is longer than `maxBytes`. @throws LineTooLongError */
export function checkLineBytes(line: NdjsonLine, maxBytes: number): void {
  if (line.bytes > maxBytes) throw new LineTooLongError(line.number, maxBytes);
}

/** What `readNdjsonItems` reads an NDJSON request body with: its header line, where its items go. */
export interface NdjsonItemsOptions<H> {
  /** Schema of the first non-empty line (strict: an unknown field is a 400 naming it). */
  header: z.ZodType<H>;
  /** What that line is, in messages: `the run spec`, `the dataset header`. */
  headerName: string;
  /** The dotted path of the items in error paths: `dataset.items` (runs), `items` (datasets). */
  itemsPath: string;
  /** Max UTF-8 bytes of the header line and of an item line (without its line ending). */
  maxHeaderBytes: number;
  maxItemBytes: number;
  /** Items taken so far (the next item's index in error paths). */
  count(): number;
  /** Called once with the header before any item (checks, privacy, the writer); may throw. */
  onHeader(header: H, where: string): Promise<void>;
  /**
   * Takes the next item, read from line `line` (1-based, for messages); when it filled a batch,
   * a promise to await before reading on (back-pressure), else nothing (no promise per item).
   */
  onItem(item: Item, line: number): Promise<void> | undefined;
}

/**
 * Reads an `application/x-ndjson` request body as a stream: the first non-empty line is the
 * header (`options.header`), every other non-empty line one `Item`; returns the header once every
 * item was handed to `options.onItem`. Used by run submission (`POST /v1/runs`) and dataset
 * versions (`POST /v1/datasets`, `POST /v1/datasets/:id/items`).
 * @throws ValidationError 400: an empty body, invalid JSON or a bad field on a line (path
 *   `<itemsPath>.<i>.<field>`, the line number in the message); PayloadTooLargeError 413: the
 *   header line over `maxHeaderBytes`, an item line over `maxItemBytes`; what the callbacks throw.
 */
export async function readNdjsonItems<H>(
  body: ReadableStream<Uint8Array> | null,
  options: NdjsonItemsOptions<H>,
): Promise<H> {
  if (!body) throw emptyNdjsonBody(options.headerName);
  const prefix = options.itemsPath.split('.');
  let header: H | null = null;
  let headerLine = 0;
  const limitFor = (line: number) =>
    headerLine === 0 || line === headerLine ? options.maxHeaderBytes : options.maxItemBytes;
  try {
    for await (const lines of readLineBatches(body, limitFor)) {
      for (const line of lines) {
        checkLineBytes(line, limitFor(line.number));
        if (line.text.trim() === '') continue;
        if (header === null) {
          const where = `line ${line.number}`;
          headerLine = line.number;
          const result = options.header.safeParse(parseLine(line.text, line.number, ''));
          if (!result.success) throw lineProblem(fieldErrors(result.error), where);
          header = result.data;
          await options.onHeader(header, where);
          continue;
        }
        // an item line: its place in messages (`line N`, `<itemsPath>.<i>`) only on an error
        const index = options.count();
        const parsed = parseLine(line.text, line.number, `${options.itemsPath}.${index}`);
        const result = ItemSchema.safeParse(parsed);
        if (!result.success) {
          throw lineProblem(fieldErrors(result.error, [...prefix, index]), `line ${line.number}`);
        }
        const taken = options.onItem(result.data, line.number);
        if (taken) await taken;
      }
    }
  } catch (err) {
    if (!(err instanceof LineTooLongError)) throw err;
    if (header === null || err.lineNumber === headerLine) {
      throw new PayloadTooLargeError(`${err.message}: ${options.headerName} line is too large`);
    }
    const message = `item exceeds ${err.maxBytes} bytes (line ${err.lineNumber})`;
    throw new PayloadTooLargeError(message, [
      { path: `${options.itemsPath}.${options.count()}`, message },
    ]);
  }
  if (header === null) throw emptyNdjsonBody(options.headerName);
  return header;
}

/** 400 for an NDJSON body without its header line (`headerName`: `the run spec`). */
const emptyNdjsonBody = (headerName: string) =>
  new ValidationError(`empty body: the first line must be ${headerName}`, [
    { path: '', message: `the first line must be ${headerName}` },
  ]);

/**
 * The JSON value of NDJSON line `lineNumber` (`path`: where its value goes, `''` for a header).
 * @throws ValidationError 400 (invalid JSON, at `path`).
 */
function parseLine(text: string, lineNumber: number, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw lineProblem(
      [{ path, message: `invalid JSON: ${(err as Error).message}` }],
      `line ${lineNumber}`,
    );
  }
}

/** A 400 listing `errors` of one line, each message prefixed with `where` (`line 7`). */
function lineProblem(errors: { path: string; message: string }[], where: string): ValidationError {
  const withLine = errors.map((e) => ({ path: e.path, message: `${where}: ${e.message}` }));
  return new ValidationError(
    `invalid NDJSON ${where}: ${errors.map((e) => `${e.path || '(line)'}: ${e.message}`).join('; ')}`,
    withLine,
  );
}
