/**
 * Reads a dataset file into items, streaming (a line or a record at a time).
 *
 * - `.jsonl` / `.ndjson`: one JSON object a line, `{ id?, input, expectedOutput?, metadata? }`
 *   (`expected_output` is accepted for `expectedOutput`; a numeric `id` becomes a string).
 *   Blank lines are skipped.
 * - `.csv`: a header row, then one item a record. Columns `id`, `input`, `expectedOutput`
 *   (or `expected_output`); every other column goes into `metadata`. A cell that parses as a JSON
 *   object, array or number is parsed; other cells stay strings. An empty `id` or expected-output
 *   cell means "none"; empty metadata cells are kept as "".
 *
 * Errors are `DatasetFileError` carrying the file name and the 1-based line number.
 */
import { createReadStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import { CsvError, parse } from 'csv-parse';
import type { DatasetItem } from './client.js';

/** One item read from a file and the 1-based line it starts on (CSV: the line the record ends on). */
export interface DatasetRecord {
  item: DatasetItem;
  line: number;
}

/** The dataset file formats, by extension. */
export type DatasetFormat = 'jsonl' | 'csv';

/** A dataset file is unreadable or one of its lines is invalid. `line` is 1-based (null: the whole file). */
export class DatasetFileError extends Error {
  override name = 'DatasetFileError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? `${file}: ${reason}` : `${file} line ${line}: ${reason}`);
  }
}

const ITEM_KEYS = new Set(['id', 'input', 'expectedOutput', 'expected_output', 'metadata']);

/**
 * The format of `file` by its extension (`.jsonl`, `.ndjson`, `.csv`).
 * @throws DatasetFileError for any other extension.
 */
export function datasetFormat(file: string): DatasetFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new DatasetFileError(
    basename(file),
    null,
    `unsupported file type "${ext || '(none)'}": use .jsonl, .ndjson or .csv`,
  );
}

/**
 * Streams the items of a `.jsonl`/`.ndjson`/`.csv` file with their line numbers.
 * @throws DatasetFileError (bad extension, unreadable file, invalid line, no items).
 */
export async function* readDatasetFile(file: string): AsyncGenerator<DatasetRecord> {
  const format = datasetFormat(file);
  const name = basename(file);
  let count = 0;
  try {
    const records = format === 'csv' ? readCsv(file, name) : readJsonl(file, name);
    for await (const record of records) {
      count++;
      yield record;
    }
  } catch (err) {
    if (err instanceof DatasetFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetFileError(name, null, 'no such file');
    if (code === 'EISDIR') throw new DatasetFileError(name, null, 'is a directory');
    throw new DatasetFileError(name, null, (err as Error).message);
  }
  if (count === 0) throw new DatasetFileError(name, null, 'the file holds no items');
}

/** Reads every item of a dataset file into memory (see `readDatasetFile`). */
export async function loadDatasetFile(file: string): Promise<DatasetRecord[]> {
  const records: DatasetRecord[] = [];
  for await (const record of readDatasetFile(file)) records.push(record);
  return records;
}

async function* readJsonl(file: string, name: string): AsyncGenerator<DatasetRecord> {
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DatasetFileError(name, line, `invalid JSON: ${(err as Error).message}`);
    }
    yield { item: toItem(value, name, line), line };
  }
}

function toItem(value: unknown, name: string, line: number): DatasetItem {
  const fail = (reason: string) => new DatasetFileError(name, line, reason);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw fail('expected a JSON object like {"input": ..., "expectedOutput": ...}');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!ITEM_KEYS.has(key)) {
      throw fail(`unknown field "${key}" (allowed: id, input, expectedOutput, metadata)`);
    }
  }
  if (!('input' in record) || record.input === undefined) throw fail('missing "input"');
  const item: DatasetItem = { input: record.input };
  if (record.id !== undefined && record.id !== null) {
    if (typeof record.id === 'number') item.id = String(record.id);
    else if (typeof record.id === 'string' && record.id !== '') item.id = record.id;
    else throw fail('"id" must be a non-empty string or a number');
  }
  const expected =
    record.expectedOutput !== undefined ? record.expectedOutput : record.expected_output;
  if (expected !== undefined) item.expectedOutput = expected;
  if (record.metadata !== undefined) {
    const metadata = record.metadata;
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw fail('"metadata" must be a JSON object');
    }
    item.metadata = metadata as Record<string, unknown>;
  }
  return item;
}

async function* readCsv(file: string, name: string): AsyncGenerator<DatasetRecord> {
  const parser = createReadStream(file).pipe(
    parse({ bom: true, info: true, skip_empty_lines: true, relax_quotes: false }),
  );
  let header: string[] | null = null;
  let roles: Array<'id' | 'input' | 'expected' | 'metadata'> = [];
  try {
    for await (const entry of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const { record, info } = entry;
      if (!header) {
        header = record.map((h) => h.trim());
        roles = header.map((h) =>
          h === 'id'
            ? 'id'
            : h === 'input'
              ? 'input'
              : h === 'expectedOutput' || h === 'expected_output'
                ? 'expected'
                : 'metadata',
        );
        const missing = !roles.includes('input');
        if (missing) {
          throw new DatasetFileError(
            name,
            info.lines,
            `the header has no "input" column (columns: ${header.join(', ')})`,
          );
        }
        const seen = new Set<string>();
        for (const h of header) {
          if (h === '')
            throw new DatasetFileError(name, info.lines, 'the header has an empty column name');
          if (seen.has(h)) throw new DatasetFileError(name, info.lines, `duplicate column "${h}"`);
          seen.add(h);
        }
        if (roles.filter((r) => r === 'expected').length > 1) {
          throw new DatasetFileError(
            name,
            info.lines,
            'use one of "expectedOutput" and "expected_output", not both',
          );
        }
        continue;
      }
      const item: DatasetItem = { input: '' };
      const metadata: Record<string, unknown> = {};
      record.forEach((cell, index) => {
        const role = roles[index];
        const column = header?.[index] ?? String(index);
        if (role === 'id') {
          if (cell.trim() !== '') item.id = cell.trim();
        } else if (role === 'input') item.input = parseCell(cell);
        else if (role === 'expected') {
          if (cell !== '') item.expectedOutput = parseCell(cell);
        } else metadata[column] = parseCell(cell);
      });
      if (Object.keys(metadata).length > 0) item.metadata = metadata;
      yield { item, line: info.lines };
    }
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new DatasetFileError(
        name,
        typeof line === 'number' ? line : null,
        `invalid CSV: ${err.message}`,
      );
    }
    throw err;
  }
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A CSV cell: a JSON object, array or number is parsed; anything else stays the string itself. */
export function parseCell(cell: string): unknown {
  const text = cell.trim();
  if (NUMBER.test(text)) return Number(text);
  if (
    (text.startsWith('{') && text.endsWith('}')) ||
    (text.startsWith('[') && text.endsWith(']'))
  ) {
    try {
      return JSON.parse(text);
    } catch {
      return cell;
    }
  }
  return cell;
}
