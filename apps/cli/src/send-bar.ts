/**
 * Sending a dataset file to the API as a stream (`submit` of a large file, `datasets push`), with
 * a progress bar: the bytes of the file read and sent so far, of its size, and the items, drawn
 * with cli-progress on the CLI's progress stream (stderr; none in tests).
 */
import { basename } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { DatasetItem } from './client.js';
import { type ReadDatasetOptions, readDatasetFile } from './dataset-file.js';

/** Files at least this large (bytes) get a bar: a smaller one is sent before a bar would show. */
export const SEND_BAR_MIN_BYTES = 4 * 1024 * 1024;

/** What `sendBar` gives the reader of the file and the caller. */
export interface SendBar {
  /** `ReadDatasetOptions.onProgress`: one record more, `bytesRead` of the file read. */
  onProgress?: (bytesRead: number) => void;
  /** Ends the bar: full when `sent` (everything was sent), else where it was (an error). */
  stop(sent: boolean): void;
}

const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/**
 * A bar for sending `file` of `size` bytes on `stream`: `sending qa.jsonl [bar] 45% | 22.5/50.1
 * MB | 135000 items | 3s`. No bar (and no callback) without a stream or for a file under
 * `SEND_BAR_MIN_BYTES`.
 */
export function sendBar(stream: NodeJS.WritableStream | null, file: string, size: number): SendBar {
  if (!stream || size < SEND_BAR_MIN_BYTES) return { stop() {} };
  const bar = new SingleBar(
    {
      stream,
      format: `sending ${basename(file)} {bar} {percentage}% | {sent}/{size} MB | {items} items | {duration_formatted}`,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2000,
    },
    Presets.shades_classic,
  );
  let items = 0;
  bar.start(size, 0, { sent: megabytes(0), size: megabytes(size), items });
  return {
    onProgress(bytesRead) {
      items++;
      bar.update(Math.min(bytesRead, size), { sent: megabytes(bytesRead), items });
    },
    stop(sent) {
      if (sent) bar.update(size, { sent: megabytes(size), items });
      bar.stop();
    },
  };
}

/**
 * Streams dataset `file` (`size` bytes) to the API: `send` gets its items as a generator read
 * from the file as the request pulls them, with a `sendBar` on `progress` while they go; each
 * item's file line is pushed to `lines` (index = item index, for `withFileLines`).
 * @returns what `send` answers. @throws what `send` and the file reader throw (the bar ended).
 */
export async function sendDatasetFile<T>(
  progress: NodeJS.WritableStream | null,
  file: string,
  size: number,
  readOptions: ReadDatasetOptions,
  lines: number[],
  send: (items: AsyncGenerator<DatasetItem>) => Promise<T>,
): Promise<T> {
  const bar = sendBar(progress, file, size);
  const options = bar.onProgress ? { ...readOptions, onProgress: bar.onProgress } : readOptions;
  async function* items(): AsyncGenerator<DatasetItem> {
    for await (const record of readDatasetFile(file, options)) {
      lines.push(record.line);
      yield record.item;
    }
  }
  try {
    const answer = await send(items());
    bar.stop(true);
    return answer;
  } catch (err) {
    bar.stop(false);
    throw err;
  }
}
