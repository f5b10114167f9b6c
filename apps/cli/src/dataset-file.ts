/**
 * Reads a dataset file into items, streaming (a line or a record at a time).
 *
 * - `.jsonl` / `.ndjson`: one JSON object a line, `{ id?, input, expectedOutput?, metadata? }`
 *   (`expected_output` is accepted for `expectedOutput`; a numeric `id` becomes a string).
 *   Blank lines are skipped.
 * - `.csv`: a header row, then one item a record. Columns `id`, `input`, `expectedOutput`
 *   (or `expected_output`), `metadata` (a JSON object, with `:json`), `metadata.KEY`; every other
 *   column goes into `metadata` under its name. Cells stay strings (`107` is the string "107");
 *   a column whose header ends in `:json` (`input:json`, `expectedOutput:json`,
 *   `difficulty:json`, `metadata.tags:json`, `metadata:json`) holds JSON, parsed per cell: bad JSON
 *   is an error naming the line and column. An empty `id` or expected-output cell means "none";
 *   an empty metadata cell is kept as "" (omitted in a `:json` column); an empty `input:json`
 *   cell is an error.
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

/**
 * The dataset id of a file when none is given: its name without directory and extension, runs
 * of other characters than letters, digits, `_`, `.` and `-` as one `-`, at most 128 characters
 * (`data/iris v2.jsonl` -> `iris-v2`). `submit FILE`, `datasets push FILE` and experiment files
 * (`dataset: { file }`) all use it, so the same file gets the same id everywhere.
 */
export function datasetIdFromFile(file: string): string {
  const stem = basename(file, extname(file))
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return stem || 'dataset';
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

/** What one CSV column holds: its role, and for metadata the key. */
interface CsvColumn {
  header: string;
  role: 'id' | 'input' | 'expected' | 'metadata' | 'metadata-object';
  /** The metadata key (role `metadata`). */
  key: string;
  json: boolean;
}

/** Reads a CSV header cell: `name` or `name:json`. @returns null for an empty name. */
export function csvColumn(header: string): CsvColumn | null {
  const json = header.endsWith(':json');
  const name = (json ? header.slice(0, -':json'.length) : header).trim();
  if (name === '') return null;
  if (name === 'id') return { header, role: 'id', key: name, json };
  if (name === 'input') return { header, role: 'input', key: name, json };
  if (name === 'expectedOutput' || name === 'expected_output') {
    return { header, role: 'expected', key: name, json };
  }
  if (name === 'metadata') return { header, role: 'metadata-object', key: name, json };
  const key = name.startsWith('metadata.') ? name.slice('metadata.'.length) : name;
  return { header, role: 'metadata', key: key || name, json };
}

async function* readCsv(file: string, name: string): AsyncGenerator<DatasetRecord> {
  const parser = createReadStream(file).pipe(
    parse({ bom: true, info: true, skip_empty_lines: true, relax_quotes: false }),
  );
  let columns: CsvColumn[] | null = null;
  try {
    for await (const entry of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const { record, info } = entry;
      const fail = (reason: string) => new DatasetFileError(name, info.lines, reason);
      if (!columns) {
        const header = record.map((h) => h.trim());
        const parsed: CsvColumn[] = [];
        for (const h of header) {
          const column = csvColumn(h);
          if (!column) throw fail('the header has an empty column name');
          parsed.push(column);
        }
        if (!parsed.some((c) => c.role === 'input')) {
          throw fail(`the header has no "input" column (columns: ${header.join(', ')})`);
        }
        const seen = new Set<string>();
        for (const c of parsed) {
          const id = c.role === 'metadata' ? `metadata.${c.key}` : c.role;
          if (seen.has(id)) {
            throw fail(
              c.role === 'expected'
                ? 'use one of "expectedOutput" and "expected_output", not both'
                : `duplicate column "${c.header.replace(/:json$/, '')}"`,
            );
          }
          seen.add(id);
        }
        const idColumn = parsed.find((c) => c.role === 'id');
        if (idColumn?.json) throw fail('the "id" column cannot be JSON (ids are strings)');
        const metaObject = parsed.find((c) => c.role === 'metadata-object');
        if (metaObject && !metaObject.json) {
          throw fail('a "metadata" column holds a JSON object: name it "metadata:json"');
        }
        columns = parsed;
        continue;
      }
      const item: DatasetItem = { input: '' };
      const metadata: Record<string, unknown> = {};
      let metadataObject: Record<string, unknown> | null = null;
      const json = (cell: string, column: CsvColumn): unknown => {
        try {
          return JSON.parse(cell);
        } catch (err) {
          throw fail(`column "${column.header}": invalid JSON: ${(err as Error).message}`);
        }
      };
      for (const [index, cell] of record.entries()) {
        const column = columns[index];
        if (!column) continue;
        const empty = cell.trim() === '';
        if (column.role === 'id') {
          if (!empty) item.id = cell.trim();
        } else if (column.role === 'input') {
          if (column.json && empty) throw fail(`column "${column.header}": empty cell`);
          item.input = column.json ? json(cell, column) : cell;
        } else if (column.role === 'expected') {
          if (cell !== '' && !(column.json && empty)) {
            item.expectedOutput = column.json ? json(cell, column) : cell;
          }
        } else if (column.role === 'metadata-object') {
          if (empty) continue;
          const value = json(cell, column);
          if (!value || typeof value !== 'object' || Array.isArray(value)) {
            throw fail(`column "${column.header}": must be a JSON object`);
          }
          metadataObject = value as Record<string, unknown>;
        } else if (column.json) {
          if (!empty) metadata[column.key] = json(cell, column);
        } else metadata[column.key] = cell;
      }
      const allMetadata = { ...(metadataObject ?? {}), ...metadata };
      if (Object.keys(allMetadata).length > 0) item.metadata = allMetadata;
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
