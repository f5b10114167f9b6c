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
 * A file exported from elsewhere (`question,answer`) is read with `DatasetColumns`: which of its
 * columns (CSV) or fields (JSONL) hold the id, the input and the expected output.
 *
 * Errors are `DatasetFileError` carrying the file name and the 1-based line number.
 */
import { createReadStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
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
 * Which columns (CSV) or fields (JSONL) of a file hold an item's parts, for files whose names are
 * not `id`, `input` and `expectedOutput` (`question,answer`). A part left out keeps its default
 * name. `input` of one name: the input is that column's value; of several: an object of them by
 * name (`["question", "context"]` -> `{"question": ..., "context": ...}`). Every other column or
 * field goes into `metadata` under its name (JSONL: only with a mapping; without one an unknown
 * field is an error, to catch typos like `expected`).
 */
export interface DatasetColumns {
  id?: string;
  input?: string[];
  expectedOutput?: string;
}

/** Options of `readDatasetFile` / `loadDatasetFile`. */
export interface ReadDatasetOptions {
  /** Where the item's parts are, when not under their default names. @defaultValue none */
  columns?: DatasetColumns;
  /**
   * Said after the error of a file without an input column or with an unknown field: how the
   * caller names the input (`name the input column with --input-column NAME`). @defaultValue none
   */
  mappingHint?: string;
  /**
   * Called after each record with the bytes of the file read so far (read ahead by up to one
   * 64 KiB chunk): what a progress bar needs. @defaultValue none
   */
  onProgress?: (bytesRead: number) => void;
}

/** What `addColumnOptions` parses: `--input-column`, `--expected-column`, `--id-column`. */
export interface ColumnOptions {
  inputColumn?: string[];
  expectedColumn?: string;
  idColumn?: string;
}

/** The hint of a file read with the CLI's column flags (`ReadDatasetOptions.mappingHint`). */
export const COLUMN_FLAGS_HINT =
  'name the input column with --input-column NAME (and --expected-column, --id-column)';

/** Adds `--input-column`, `--expected-column` and `--id-column` (see `DatasetColumns`) to `command`. */
export function addColumnOptions(command: Command): Command {
  return command
    .option(
      '--input-column <names>',
      'the column (CSV) or field (JSONL) holding the input (default: input); several, comma-separated: the input is an object of them',
      (value: string) => value.split(',').map((name) => name.trim()),
    )
    .option(
      '--expected-column <name>',
      'the column or field holding the expected output (default: expectedOutput or expected_output)',
    )
    .option('--id-column <name>', 'the column or field holding the item id (default: id)');
}

/** The `ReadDatasetOptions` of parsed column flags (the CLI's hint included). */
export function readOptionsOf(opts: ColumnOptions): ReadDatasetOptions {
  const columns: DatasetColumns = {};
  if (opts.inputColumn) columns.input = opts.inputColumn;
  if (opts.expectedColumn !== undefined) columns.expectedOutput = opts.expectedColumn;
  if (opts.idColumn !== undefined) columns.id = opts.idColumn;
  return { columns, mappingHint: COLUMN_FLAGS_HINT };
}

/** The names an item's parts are read under: those `columns` maps, else the defaults. */
function partNames(columns: DatasetColumns = {}): {
  input: string[];
  id: string;
  expected: string[];
} {
  return {
    input: columns.input?.length ? columns.input : ['input'],
    id: columns.id ?? 'id',
    expected:
      columns.expectedOutput !== undefined
        ? [columns.expectedOutput]
        : ['expectedOutput', 'expected_output'],
  };
}

/** True when `columns` maps at least one part. */
export function hasMapping(columns: DatasetColumns | undefined): columns is DatasetColumns {
  return (
    columns !== undefined &&
    (columns.id !== undefined ||
      (columns.input?.length ?? 0) > 0 ||
      columns.expectedOutput !== undefined)
  );
}

/**
 * The reason `columns` cannot be used (an empty name, a column mapped to two parts), or null.
 */
export function columnsProblem(columns: DatasetColumns): string | null {
  const parts: [string, string][] = [];
  if (columns.id !== undefined) parts.push(['the id', columns.id]);
  for (const name of columns.input ?? []) parts.push(['the input', name]);
  if (columns.expectedOutput !== undefined) {
    parts.push(['the expected output', columns.expectedOutput]);
  }
  const seen = new Map<string, string>();
  for (const [part, name] of parts) {
    if (name.trim() === '') return `the column of ${part} has an empty name`;
    const first = seen.get(name);
    if (first !== undefined) {
      return first === part
        ? `column "${name}" is named twice for ${part}`
        : `column "${name}" cannot hold both ${first} and ${part}`;
    }
    seen.set(name, part);
  }
  return null;
}

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
 * @throws DatasetFileError (bad extension, bad `options.columns`, unreadable file, invalid
 *   line, no items).
 */
export async function* readDatasetFile(
  file: string,
  options: ReadDatasetOptions = {},
): AsyncGenerator<DatasetRecord> {
  const format = datasetFormat(file);
  const name = basename(file);
  const problem = options.columns ? columnsProblem(options.columns) : null;
  if (problem) throw new DatasetFileError(name, null, problem);
  let count = 0;
  try {
    const records =
      format === 'csv' ? readCsv(file, name, options) : readJsonl(file, name, options);
    for await (const record of records) {
      count++;
      yield record;
    }
  } catch (err) {
    if (err instanceof DatasetFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // the path as given (the name alone would hide which directory was looked in)
    if (code === 'ENOENT') throw new DatasetFileError(file, null, 'no such file');
    if (code === 'EISDIR') throw new DatasetFileError(name, null, 'is a directory');
    throw new DatasetFileError(name, null, (err as Error).message);
  }
  if (count === 0) throw new DatasetFileError(name, null, 'the file holds no items');
}

/** Reads every item of a dataset file into memory (see `readDatasetFile`). */
export async function loadDatasetFile(
  file: string,
  options: ReadDatasetOptions = {},
): Promise<DatasetRecord[]> {
  const records: DatasetRecord[] = [];
  for await (const record of readDatasetFile(file, options)) records.push(record);
  return records;
}

/** `; <hint>` when there is one, else nothing: the end of an error the caller's mapping fixes. */
const hinted = (options: ReadDatasetOptions) =>
  options.mappingHint ? `; ${options.mappingHint}` : '';

async function* readJsonl(
  file: string,
  name: string,
  options: ReadDatasetOptions,
): AsyncGenerator<DatasetRecord> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
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
    yield { item: toItem(value, name, line, options), line };
    options.onProgress?.(stream.bytesRead);
  }
}

/**
 * The item of one JSONL line: its parts under `options.columns` or their default names (`id`,
 * `input`, `expectedOutput` / `expected_output`), a `metadata` object merged into the metadata,
 * every other field (only with a mapping: without one it is an error) in the metadata under its
 * name.
 */
function toItem(
  value: unknown,
  name: string,
  line: number,
  options: ReadDatasetOptions,
): DatasetItem {
  const fail = (reason: string) => new DatasetFileError(name, line, reason);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw fail('expected a JSON object like {"input": ..., "expectedOutput": ...}');
  }
  const record = value as Record<string, unknown>;
  const columns = options.columns ?? {};
  if (!hasMapping(columns)) {
    for (const key of Object.keys(record)) {
      if (!ITEM_KEYS.has(key)) {
        throw fail(
          `unknown field "${key}" (allowed: id, input, expectedOutput, metadata)${hinted(options)}`,
        );
      }
    }
  }
  const { input: inputs, id: idField, expected: expectedFields } = partNames(columns);
  /** `"id"`, or `"qid" (the id)` for a mapped field. */
  const named = (field: string, part: string) =>
    field === part ? `"${field}"` : `"${field}" (the ${part})`;
  for (const field of inputs) {
    if (record[field] === undefined) throw fail(`missing ${named(field, 'input')}`);
  }
  const item: DatasetItem = {
    input:
      inputs.length === 1
        ? record[inputs[0] as string]
        : Object.fromEntries(inputs.map((f) => [f, record[f]])),
  };
  const id = record[idField];
  if (id !== undefined && id !== null) {
    if (typeof id === 'number') item.id = String(id);
    else if (typeof id === 'string' && id !== '') item.id = id;
    else throw fail(`${named(idField, 'id')} must be a non-empty string or a number`);
  }
  const expectedField = expectedFields.find((f) => record[f] !== undefined);
  if (expectedField !== undefined) item.expectedOutput = record[expectedField];
  const taken = new Set([...inputs, idField, ...expectedFields]);
  const nested = taken.has('metadata') ? undefined : record.metadata;
  if (nested !== undefined && (!nested || typeof nested !== 'object' || Array.isArray(nested))) {
    throw fail('"metadata" must be a JSON object');
  }
  const metadata: Record<string, unknown> = { ...(nested as Record<string, unknown> | undefined) };
  for (const [key, v] of Object.entries(record)) {
    if (!taken.has(key) && key !== 'metadata') metadata[key] = v;
  }
  if (nested !== undefined || Object.keys(metadata).length > 0) item.metadata = metadata;
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

/**
 * Reads a CSV header cell: `name` or `name:json`, its role by `columns` (a part not mapped under
 * its default name). @returns null for an empty name.
 */
export function csvColumn(header: string, columns: DatasetColumns = {}): CsvColumn | null {
  const json = header.endsWith(':json');
  const name = (json ? header.slice(0, -':json'.length) : header).trim();
  if (name === '') return null;
  const parts = partNames(columns);
  if (name === parts.id) return { header, role: 'id', key: name, json };
  if (parts.input.includes(name)) return { header, role: 'input', key: name, json };
  if (parts.expected.includes(name)) return { header, role: 'expected', key: name, json };
  if (name === 'metadata') return { header, role: 'metadata-object', key: name, json };
  const key = name.startsWith('metadata.') ? name.slice('metadata.'.length) : name;
  return { header, role: 'metadata', key: key || name, json };
}

async function* readCsv(
  file: string,
  name: string,
  options: ReadDatasetOptions,
): AsyncGenerator<DatasetRecord> {
  // a column is named without its `:json` suffix (`--input-column context` for `context:json`);
  // a name given with it means the same column
  const bare = (column: string) => column.replace(/:json$/, '');
  const given = options.columns ?? {};
  const mapping: DatasetColumns = {};
  if (given.input) mapping.input = given.input.map(bare);
  if (given.expectedOutput !== undefined) mapping.expectedOutput = bare(given.expectedOutput);
  if (given.id !== undefined) mapping.id = bare(given.id);
  const inputs = partNames(mapping).input;
  const stream = createReadStream(file);
  const parser = stream.pipe(
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
          const column = csvColumn(h, mapping);
          if (!column) throw fail('the header has an empty column name');
          parsed.push(column);
        }
        const mapped: [string, string | undefined][] = [
          ['the id', mapping.id],
          ['the expected output', mapping.expectedOutput],
          ...(mapping.input ?? []).map((n): [string, string] => ['the input', n]),
        ];
        for (const [part, column] of mapped) {
          if (
            column !== undefined &&
            !parsed.some((c) => c.key === column && c.role !== 'metadata')
          ) {
            throw fail(
              `the header has no "${column}" column for ${part} (columns: ${header.join(', ')})`,
            );
          }
        }
        if (!parsed.some((c) => c.role === 'input')) {
          throw fail(
            `the header has no "input" column (columns: ${header.join(', ')})${hinted(options)}`,
          );
        }
        const seen = new Set<string>();
        for (const c of parsed) {
          const id =
            c.role === 'metadata'
              ? `metadata.${c.key}`
              : c.role === 'input'
                ? `input.${c.key}`
                : c.role;
          if (seen.has(id)) {
            throw fail(
              c.role === 'expected' && mapping.expectedOutput === undefined
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
      /** The input's columns by name, when it has several. */
      const input: Record<string, unknown> | null = inputs.length > 1 ? {} : null;
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
          const value = column.json ? json(cell, column) : cell;
          if (input) input[column.key] = value;
          else item.input = value;
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
      if (input) item.input = input;
      const allMetadata = { ...(metadataObject ?? {}), ...metadata };
      if (Object.keys(allMetadata).length > 0) item.metadata = allMetadata;
      yield { item, line: info.lines };
      options.onProgress?.(stream.bytesRead);
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
