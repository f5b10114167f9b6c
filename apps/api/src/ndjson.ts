/**
 * Streaming line splitter for NDJSON request bodies: reads a byte stream chunk by chunk and
 * yields one line at a time, never holding more than one line (plus one chunk) in memory.
 */

/** One line of the body: `number` is 1-based; `text` has no `\n` and no trailing `\r`. */
export interface NdjsonLine {
  number: number;
  text: string;
}

/** A line longer than the limit `readLines` was given for it. */
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
 * Splits `body` into lines. Handles lines split across chunks, `\r\n` endings and a last line
 * without a newline. Empty lines are yielded too (callers skip them).
 * @param maxLineBytes max bytes of line `number` (without its line ending).
 * @throws LineTooLongError as soon as a line grows past its limit (the rest is not read).
 */
export async function* readLines(
  body: ReadableStream<Uint8Array>,
  maxLineBytes: (lineNumber: number) => number,
): AsyncGenerator<NdjsonLine> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let number = 1;
  const take = (tail: Uint8Array): string => {
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
    if (end > maxLineBytes(number)) throw new LineTooLongError(number, maxLineBytes(number));
    return decoder.decode(bytes.subarray(0, end));
  };
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let start = 0;
      for (;;) {
        const nl = value.indexOf(NEWLINE, start);
        if (nl === -1) break;
        const text = take(value.subarray(start, nl));
        yield { number, text };
        number++;
        start = nl + 1;
      }
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
    if (pendingBytes > 0) yield { number, text: take(new Uint8Array(0)) };
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
