/**
 * Streaming line splitter for NDJSON request bodies: reads a byte stream chunk by chunk and
 * yields the lines each chunk completes, as one batch, never holding more than one chunk plus the
 * line it leaves incomplete in memory.
 */

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
