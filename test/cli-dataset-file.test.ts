/** Dataset files for `runledger submit`: JSONL and CSV parsing, and errors with line numbers. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COLUMN_FLAGS_HINT,
  DatasetFileError,
  datasetFormat,
  datasetIdFromFile,
  ExperimentFileError,
  loadDatasetFile,
  loadExperimentFile,
  type ReadDatasetOptions,
  readDatasetFile,
  readOptionsOf,
} from '@runledger/cli';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'runledger-cli-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(ext: string, text: string): string {
  const path = join(dir, `data-${++n}.${ext}`);
  writeFileSync(path, text);
  return path;
}

/** The records `loadDatasetFile` reads from a new `.<ext>` file of `lines`, each ended by a newline. */
function recordsOf(ext: string, lines: string[]) {
  return loadDatasetFile(file(ext, `${lines.join('\n')}\n`));
}

async function failure(path: string, options: ReadDatasetOptions = {}): Promise<DatasetFileError> {
  try {
    await loadDatasetFile(path, options);
  } catch (err) {
    if (err instanceof DatasetFileError) return err;
    throw err;
  }
  throw new Error('expected a DatasetFileError');
}

/** `[line, reason]` of the DatasetFileError reading `path` with `options` throws. */
async function lineAndReasonWith(
  path: string,
  options: ReadDatasetOptions,
): Promise<[number | null, string]> {
  const err = await failure(path, options);
  return [err.line, err.reason];
}

/** `[line, reason]` of the DatasetFileError reading `path` throws. */
async function lineAndReason(path: string): Promise<[number | null, string]> {
  const err = await failure(path);
  return [err.line, err.reason];
}

describe('JSONL', () => {
  it('reads items with their line numbers, skipping blank lines', async () => {
    const path = file(
      'jsonl',
      [
        '{"id":"a","input":{"q":"2+2"},"expectedOutput":"4","metadata":{"level":1}}',
        '',
        '{"input":"plain text"}',
        '  ',
        '{"id":7,"input":[1,2],"expected_output":null}',
        '',
      ].join('\n'),
    );
    const records = await loadDatasetFile(path);
    expect(records).toEqual([
      {
        line: 1,
        item: { id: 'a', input: { q: '2+2' }, expectedOutput: '4', metadata: { level: 1 } },
      },
      { line: 3, item: { input: 'plain text' } },
      { line: 5, item: { id: '7', input: [1, 2], expectedOutput: null } },
    ]);
  });

  it('accepts .ndjson, CRLF line endings and a BOM', async () => {
    const path = file('ndjson', '\uFEFF{"input":1}\r\n{"input":2}\r\n');
    expect((await loadDatasetFile(path)).map((r) => r.item)).toEqual([{ input: 1 }, { input: 2 }]);
  });

  it('streams: the generator yields items one at a time', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: `i${i}`, input: i }));
    const path = file('jsonl', `${lines.join('\n')}\n`);
    let count = 0;
    let last: unknown = null;
    for await (const record of readDatasetFile(path)) {
      count++;
      last = record;
    }
    expect(count).toBe(5000);
    expect(last).toEqual({ line: 5000, item: { id: 'i4999', input: 4999 } });
  });

  it('reports invalid JSON with its line number', async () => {
    const err = await failure(file('jsonl', '{"input":1}\n\n{"input": oops}\n'));
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/^data-\d+\.jsonl line 3: invalid JSON/);
  });

  it('reports a missing input, an unknown field, a bad id and bad metadata by line', async () => {
    const missing = await failure(file('jsonl', '{"input":1}\n{"expectedOutput":2}\n'));
    expect([missing.line, missing.reason]).toEqual([2, 'missing "input"']);
    const unknown = await failure(file('jsonl', '{"input":1,"expected":2}\n'));
    expect([unknown.line, unknown.reason]).toEqual([
      1,
      'unknown field "expected" (allowed: id, input, expectedOutput, metadata)',
    ]);
    expect(
      await lineAndReason(file('jsonl', '{"input":1}\n{"input":1}\n{"id":true,"input":1}\n')),
    ).toEqual([3, '"id" must be a non-empty string or a number']);
    expect(await lineAndReason(file('jsonl', '{"input":1,"metadata":[1]}\n'))).toEqual([
      1,
      '"metadata" must be a JSON object',
    ]);
    const notObject = await failure(file('jsonl', '[1,2]\n'));
    expect(notObject.line).toBe(1);
    expect(notObject.reason).toMatch(/expected a JSON object/);
  });

  it('rejects an empty file and a missing file', async () => {
    expect(await lineAndReason(file('jsonl', '\n\n'))).toEqual([null, 'the file holds no items']);
    const missing = await failure(join(dir, 'nope.jsonl'));
    expect(missing.message).toBe(`${join(dir, 'nope.jsonl')}: no such file`);
  });
});

describe('CSV', () => {
  it('maps id/input/expected columns, keeps every cell a string, and puts other columns in metadata', async () => {
    const records = await recordsOf('csv', [
      'id,input,expected_output,difficulty,tags,source',
      'q1,"{""a"":1}",107,3,"[""math""]",book',
      'q2,hello world,2.50,1.5e2,,web',
      ',true,,-2,null,',
    ]);
    expect(records).toEqual([
      {
        line: 2,
        item: {
          id: 'q1',
          input: '{"a":1}',
          expectedOutput: '107',
          metadata: { difficulty: '3', tags: '["math"]', source: 'book' },
        },
      },
      {
        line: 3,
        item: {
          id: 'q2',
          input: 'hello world',
          expectedOutput: '2.50',
          metadata: { difficulty: '1.5e2', tags: '', source: 'web' },
        },
      },
      {
        line: 4,
        item: { input: 'true', metadata: { difficulty: '-2', tags: 'null', source: '' } },
      },
    ]);
  });

  it('parses the cells of :json columns (input, expectedOutput, metadata keys, metadata)', async () => {
    const records = await recordsOf('csv', [
      'id,input:json,expectedOutput:json,level:json,metadata.source,metadata:json',
      'q1,"{""a"":1,""b"":[2,3]}",107,3,book,"{""lang"":""en""}"',
      'q2,"""text""",,,web,',
    ]);
    expect(records).toEqual([
      {
        line: 2,
        item: {
          id: 'q1',
          input: { a: 1, b: [2, 3] },
          expectedOutput: 107,
          metadata: { lang: 'en', level: 3, source: 'book' },
        },
      },
      { line: 3, item: { id: 'q2', input: 'text', metadata: { source: 'web' } } },
    ]);
  });

  it('reports bad JSON in a :json column with line and column', async () => {
    const bad = await failure(file('csv', 'input,expected_output:json\na,1\nb,{oops}\n'));
    expect(bad.line).toBe(3);
    expect(bad.reason).toMatch(/^column "expected_output:json": invalid JSON: .+/);
    const empty = await failure(file('csv', 'input:json\n1\n""\n'));
    expect([empty.line, empty.reason]).toEqual([3, 'column "input:json": empty cell']);
    expect(await lineAndReason(file('csv', 'input,metadata:json\n1,[1]\n'))).toEqual([
      2,
      'column "metadata:json": must be a JSON object',
    ]);
    const idJson = await failure(file('csv', 'id:json,input\n1,2\n'));
    expect(idJson.reason).toBe('the "id" column cannot be JSON (ids are strings)');
    const metaText = await failure(file('csv', 'input,metadata\n1,{}\n'));
    expect(metaText.reason).toBe(
      'a "metadata" column holds a JSON object: name it "metadata:json"',
    );
    const dup = await failure(file('csv', 'input,input:json\n1,2\n'));
    expect(dup.reason).toBe('duplicate column "input"');
  });

  it('accepts expectedOutput, quoted multi-line cells and a BOM; ids stay strings', async () => {
    const path = file('csv', '\uFEFFid,input,expectedOutput\n007,"line one\nline two",yes\n');
    expect(await loadDatasetFile(path)).toEqual([
      { line: 3, item: { id: '007', input: 'line one\nline two', expectedOutput: 'yes' } },
    ]);
  });

  it('requires an input column', async () => {
    const err = await failure(file('csv', 'id,question\n1,what\n'));
    expect(err.line).toBe(1);
    expect(err.reason).toBe('the header has no "input" column (columns: id, question)');
  });

  it('rejects duplicate columns and both expected-output spellings', async () => {
    expect(await lineAndReason(file('csv', 'input,input\n1,2\n'))).toEqual([
      1,
      'duplicate column "input"',
    ]);
    const both = await failure(file('csv', 'input,expectedOutput,expected_output\n1,2,3\n'));
    expect(both.reason).toBe('use one of "expectedOutput" and "expected_output", not both');
  });

  it('reports a record with the wrong number of columns by line', async () => {
    const err = await failure(file('csv', 'input,expectedOutput\n1,2\n3\n'));
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/line 3: invalid CSV: .*Invalid Record Length/);
  });

  it('reports an unclosed quote', async () => {
    const err = await failure(file('csv', 'input\n"abc\n'));
    expect(err.message).toMatch(/invalid CSV/);
  });
});

describe('column mapping (--input-column, --expected-column, --id-column)', () => {
  const qa: ReadDatasetOptions = {
    columns: { input: ['question'], expectedOutput: 'answer', id: 'qid' },
  };

  it('reads a CSV whose parts have other names; the rest, a default-named column too, goes to metadata', async () => {
    const path = file(
      'csv',
      'qid,question,answer,input,level:json\nq1,What is 2+2?,4,ignored,1\n,Capital of France?,,,\n',
    );
    expect(await loadDatasetFile(path, qa)).toEqual([
      {
        line: 2,
        item: {
          id: 'q1',
          input: 'What is 2+2?',
          expectedOutput: '4',
          metadata: { input: 'ignored', level: 1 },
        },
      },
      { line: 3, item: { input: 'Capital of France?', metadata: { input: '' } } },
    ]);
  });

  it('makes several input columns one object input, :json columns parsed', async () => {
    const path = file('csv', 'question,context:json,expectedOutput\nq1,"{""page"":3}",a\n');
    // a column named with or without its :json suffix
    const records = await loadDatasetFile(path, {
      columns: { input: ['question', 'context:json'] },
    });
    expect(records).toEqual([
      { line: 2, item: { input: { question: 'q1', context: { page: 3 } }, expectedOutput: 'a' } },
    ]);
  });

  it('reads JSONL fields the same way: the rest and a metadata object into metadata', async () => {
    const path = file(
      'jsonl',
      [
        '{"qid":7,"question":"q1","answer":["x"],"source":"wiki","metadata":{"split":"dev"}}',
        '{"question":{"text":"q2"},"expectedOutput":"not the answer field"}',
      ].join('\n'),
    );
    expect(await loadDatasetFile(path, qa)).toEqual([
      {
        line: 1,
        item: {
          id: '7',
          input: 'q1',
          expectedOutput: ['x'],
          metadata: { split: 'dev', source: 'wiki' },
        },
      },
      {
        line: 2,
        item: { input: { text: 'q2' }, metadata: { expectedOutput: 'not the answer field' } },
      },
    ]);
    const multi = await loadDatasetFile(file('jsonl', '{"qid":7,"question":"q1","answer":"x"}\n'), {
      columns: { input: ['question', 'qid'] },
    });
    expect(multi[0]?.item.input).toEqual({ question: 'q1', qid: 7 });
    expect(multi[0]?.item.expectedOutput).toBeUndefined();
  });

  it('names the missing mapped column or field, with its line', async () => {
    expect(await lineAndReasonWith(file('csv', 'question,answer\nq,a\n'), qa)).toEqual([
      1,
      'the header has no "qid" column for the id (columns: question, answer)',
    ]);
    const noInput = file('jsonl', '{"qid":1,"question":"a"}\n{"qid":2,"answer":"b"}\n');
    expect(await lineAndReasonWith(noInput, qa)).toEqual([2, 'missing "question" (the input)']);
    const badId = file('jsonl', '{"qid":true,"question":"a"}\n');
    expect(await lineAndReasonWith(badId, qa)).toEqual([
      1,
      '"qid" (the id) must be a non-empty string or a number',
    ]);
  });

  it('refuses a column given two parts, before reading the file', async () => {
    const path = file('csv', 'q,a\n1,2\n');
    expect(
      await lineAndReasonWith(path, { columns: { input: ['q'], expectedOutput: 'q' } }),
    ).toEqual([null, 'column "q" cannot hold both the input and the expected output']);
    expect(await lineAndReasonWith(path, { columns: { input: ['q', 'q'] } })).toEqual([
      null,
      'column "q" is named twice for the input',
    ]);
    expect(await lineAndReasonWith(path, { columns: { input: [''] } })).toEqual([
      null,
      'the column of the input has an empty name',
    ]);
  });

  it("ends the errors a mapping fixes with the caller's hint (the CLI's flags)", async () => {
    const cli = readOptionsOf({});
    expect(cli).toEqual({ columns: {}, mappingHint: COLUMN_FLAGS_HINT });
    expect(await lineAndReasonWith(file('csv', 'question,answer\nq,a\n'), cli)).toEqual([
      1,
      `the header has no "input" column (columns: question, answer); ${COLUMN_FLAGS_HINT}`,
    ]);
    expect(await lineAndReasonWith(file('jsonl', '{"question":"q"}\n'), cli)).toEqual([
      1,
      `unknown field "question" (allowed: id, input, expectedOutput, metadata); ${COLUMN_FLAGS_HINT}`,
    ]);
    expect(
      readOptionsOf({ inputColumn: ['q', 'c'], expectedColumn: 'a', idColumn: 'i' }).columns,
    ).toEqual({ input: ['q', 'c'], expectedOutput: 'a', id: 'i' });
  });
});

describe('an experiment file: dataset.columns', () => {
  /** An experiment YAML over `qa.csv` (question, context, answer) whose dataset has `columns`. */
  function experimentFile(columns: string): string {
    writeFileSync(join(dir, 'qa.csv'), 'question,context,answer\nq1,c1,a1\n');
    const path = join(dir, `exp-${++n}.yaml`);
    writeFileSync(
      path,
      [
        'name: qa',
        'dataset:',
        '  file: qa.csv',
        `  columns: ${columns}`,
        'variants: [{ name: a, target: { name: echo } }]',
        'scorers: [{ name: exact_match }]',
      ].join('\n'),
    );
    return path;
  }

  it('reads the file with them and leaves them out of the body', async () => {
    const spec = await loadExperimentFile(
      experimentFile('{ input: [question, context], expectedOutput: answer }'),
    );
    expect(spec.dataset).toEqual({
      id: 'qa',
      items: [{ input: { question: 'q1', context: 'c1' }, expectedOutput: 'a1' }],
    });
  });

  it('refuses columns that are not names, and says where to name the input', async () => {
    await expect(loadExperimentFile(experimentFile('{ input: 3 }'))).rejects.toThrow(
      ExperimentFileError,
    );
    await expect(loadExperimentFile(experimentFile('{ answer: x }'))).rejects.toThrow(
      'dataset.columns has an unknown key "answer" (allowed: input, expectedOutput, id)',
    );
    const inline = join(dir, 'inline.yaml');
    writeFileSync(
      inline,
      'name: x\ndataset: { items: [{ question: a }], columns: { input: question } }\nvariants: []\n',
    );
    await expect(loadExperimentFile(inline)).rejects.toThrow(
      'inline.yaml: dataset.columns names the columns of dataset.file (a .jsonl or .csv file); give the file, or inline items as {input, expectedOutput}',
    );
    await expect(loadExperimentFile(experimentFile('{ id: question }'))).rejects.toThrow(
      'qa.csv line 1: the header has no "input" column (columns: question, context, answer); name the input column in dataset.columns.input',
    );
  });

  it('names where a relative dataset.file was looked for when it is missing', async () => {
    const yaml = join(dir, 'missing.yaml');
    writeFileSync(
      yaml,
      'name: x\ndataset: { file: data/qa.jsonl }\nvariants: [{ name: a, target: { name: echo } }]\n',
    );
    await expect(loadExperimentFile(yaml)).rejects.toThrow(
      new ExperimentFileError(
        `${yaml}: dataset.file data/qa.jsonl: no such file (a relative path is read from the experiment file's directory: ${join(dir, 'data/qa.jsonl')})`,
      ),
    );
  });
});

describe('formats and cells', () => {
  it('picks the format by extension and rejects others', () => {
    expect(datasetFormat('a/b.JSONL')).toBe('jsonl');
    expect(datasetFormat('x.ndjson')).toBe('jsonl');
    expect(datasetFormat('x.csv')).toBe('csv');
    expect(() => datasetFormat('x.json')).toThrow(
      'x.json: unsupported file type ".json": use .jsonl, .ndjson or .csv',
    );
  });

  it('derives one dataset id from a file name', () => {
    expect(datasetIdFromFile('data/iris v2.jsonl')).toBe('iris-v2');
    expect(datasetIdFromFile('qa.csv')).toBe('qa');
    expect(datasetIdFromFile('/tmp/__.jsonl')).toBe('dataset');
  });
});
