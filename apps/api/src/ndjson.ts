/**
 * NDJSON request bodies. `readNdjsonItems` reads a header line and then one item a line, as a
 * stream, with the line numbers in every error. Under it, `readLineBatches` splits a byte stream
 * chunk by chunk and yields the lines each chunk completes, as one batch, never holding more
 * than one chunk plus the line it leaves incomplete in memory.
 */
import { PayloadTooLargeError, type ScrubPolicy, ValidationError, type z } from '@runledger/shared';
import { fieldErrors } from './field-errors.js';
import type { ItemLineEncoder } from './item-line-encoder.js';
import {
  type ItemLinesResult,
  invalidJson,
  lineError,
  lineProblem,
  lineSuffix,
} from './item-lines.js';

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

/** How the items of an NDJSON body are encoded, as its header decided (`onHeader`'s answer). */
export interface ItemEncoding {
  /** The privacy policy items are scrubbed by; null: none. */
  policy: ScrubPolicy | null;
  /** Count the masks made on each item (runs do, dataset versions do not). */
  countMasks: boolean;
  /** The default id of the body's first item (`String(idBase + i)` for item i without an id). */
  idBase: number;
}

/** What `readNdjsonItems` reads an NDJSON request body with: its header line, where its items go. */
export interface NdjsonItemsOptions<H> {
  /** Schema of the first non-empty line (strict: an unknown field is a 400 naming it). */
  header: z.ZodType<H>;
  /** What that line is, in messages: `the run spec`, `the dataset header`. */
  headerName: string;
  /** The dotted path of the items in error paths: `dataset.items` (runs), `items` (datasets). */
  itemsPath: string;
  /** Max UTF-8 bytes of the header line (without its line ending). */
  maxHeaderBytes: number;
  /**
   * Max UTF-8 bytes of an item line (without its line ending) and of an item's stored JSON
   * (`RUNLEDGER_MAX_ITEM_BYTES`; scrubbing and a default id change it).
   */
  maxItemBytes: number;
  /** Where item lines are parsed and encoded (`itemLineEncoder`). */
  encoder: ItemLineEncoder;
  /**
   * Called once with the header before any item (checks, privacy, the writer); answers how the
   * items are encoded. May throw.
   */
  onHeader(header: H, where: string): Promise<ItemEncoding>;
  /**
   * Takes the next item: entry `k` of `batch` (its stored id, JSON, measured bytes, whether it
   * has an expectedOutput), read from line `line` (1-based, for messages); when it filled a
   * batch of writes, a promise to await before taking more (back-pressure), else nothing (no
   * promise per item). May throw (duplicate id, too many items, too large).
   */
  onItem(batch: ItemLinesResult, k: number, line: number): Promise<void> | undefined;
}

/** Item lines per `ItemLineEncoder.encode` call, at most. */
export const ENCODE_BATCH_LINES = 1000;
/** UTF-8 bytes of the lines of one `ItemLineEncoder.encode` call, about (a batch ends at the line that reaches it). */
export const ENCODE_BATCH_BYTES = 1 << 20;
/** Batches encoding ahead of the item being taken (read ahead of the writes). */
const ENCODE_AHEAD = 3;

/**
 * Reads an `application/x-ndjson` request body as a stream: the first non-empty line is the
 * header (`options.header`), every other non-empty line one `Item`; returns the header once every
 * item was handed to `options.onItem`. Item lines are parsed, validated and encoded in batches of
 * `ENCODE_BATCH_LINES` lines or `ENCODE_BATCH_BYTES` by `options.encoder` (a worker thread for
 * all but small batches), up to
 * `ENCODE_AHEAD` batches ahead of the item taken, and taken in line order: the error answered is
 * always the first bad line's, whatever found it. Used by run submission (`POST /v1/runs`) and
 * dataset versions (`POST /v1/datasets`, `POST /v1/datasets/:id/items`).
 * @throws ValidationError 400: an empty body, invalid JSON or a bad field on a line (path
 *   `<itemsPath>.<i>.<field>`, the line number in the message); PayloadTooLargeError 413: the
 *   header line over `maxHeaderBytes`, an item line over `maxItemBytes`; what the callbacks throw.
 */
export async function readNdjsonItems<H>(
  body: ReadableStream<Uint8Array> | null,
  options: NdjsonItemsOptions<H>,
): Promise<H> {
  if (!body) throw emptyNdjsonBody(options.headerName);
  let header: H | null = null;
  let headerLine = 0;
  let encoding: ItemEncoding | null = null;
  const limitFor = (line: number) =>
    headerLine === 0 || line === headerLine ? options.maxHeaderBytes : options.maxItemBytes;
  /** Item lines read and not yet handed to the encoder. */
  let texts: string[] = [];
  let numbers: number[] = [];
  let bytes = 0;
  /** Item lines handed to the encoder so far. */
  let sent = 0;
  /** Batches being encoded, in line order, with their line numbers. */
  const ahead: { result: Promise<ItemLinesResult>; lines: number[] }[] = [];
  const send = () => {
    if (texts.length === 0 || encoding === null) return;
    const result = options.encoder.encode({
      texts,
      lines: numbers,
      firstIndex: sent,
      idBase: encoding.idBase + sent,
      itemsPath: options.itemsPath,
      maxItemBytes: options.maxItemBytes,
      policy: encoding.policy,
      countMasks: encoding.countMasks,
      bytes,
    });
    // awaited in order by `takeNext`; an error left behind (a line before it failed) is not unhandled
    result.catch(() => {});
    ahead.push({ result, lines: numbers });
    sent += texts.length;
    texts = [];
    numbers = [];
    bytes = 0;
  };
  /** Hands the oldest batch's items to `onItem`; throws its bad line's error after them. */
  const takeNext = async () => {
    const next = ahead.shift() as (typeof ahead)[number];
    const batch = await next.result;
    for (let k = 0; k < batch.ids.length; k++) {
      const taken = options.onItem(batch, k, next.lines[k] as number);
      if (taken) await taken;
    }
    if (batch.error) throw lineError(batch.error);
  };
  /** Encodes and takes every item line read so far. */
  const takeAll = async () => {
    send();
    while (ahead.length > 0) await takeNext();
  };
  try {
    for await (const lines of readLineBatches(body, limitFor)) {
      for (const line of lines) {
        checkLineBytes(line, limitFor(line.number));
        if (line.text.trim() === '') continue;
        if (header === null) {
          const where = `line ${line.number}`;
          headerLine = line.number;
          const result = options.header.safeParse(parseLine(line.text, line.number));
          if (!result.success) throw lineError(lineProblem(fieldErrors(result.error), where));
          header = result.data;
          encoding = await options.onHeader(header, where);
          continue;
        }
        texts.push(line.text);
        numbers.push(line.number);
        bytes += line.bytes;
        if (texts.length >= ENCODE_BATCH_LINES || bytes >= ENCODE_BATCH_BYTES) {
          send();
          if (ahead.length > ENCODE_AHEAD) await takeNext();
        }
      }
    }
    await takeAll();
  } catch (err) {
    if (!(err instanceof LineTooLongError)) throw err;
    if (header === null || err.lineNumber === headerLine) {
      throw new PayloadTooLargeError(`${err.message}: ${options.headerName} line is too large`);
    }
    // the lines before the long one come first: one of them may be bad
    await takeAll();
    const message = `item exceeds ${err.maxBytes} bytes${lineSuffix(err.lineNumber)}`;
    throw new PayloadTooLargeError(message, [{ path: `${options.itemsPath}.${sent}`, message }]);
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
 * The JSON value of the header line, line `lineNumber`.
 * @throws ValidationError 400 (invalid JSON).
 */
function parseLine(text: string, lineNumber: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw lineError(invalidJson(err, '', `line ${lineNumber}`));
  }
}
