/**
 * The run snapshot format (`GET /v1/runs/:id/snapshot`, `POST /v1/runs/import`, `runledger runs
 * archive/restore`): NDJSON, one JSON value a line, enough to rebuild a finished run exactly.
 *
 * 1. `{"type":"run","format":1,"run":<Run>,"hash":{...},"errtypes":{...},"reruns":[[id,ms],...]}`:
 *    the run as the API shows it, then its stored hash fields (sorted by name; `expiresAt` left
 *    out: an import starts the retention again; `latencySummary` too: a cache of the latency
 *    histogram, which an import rebuilds and never takes from a snapshot), error types and
 *    reruns list as stored;
 * 2. one `{"type":"result","index":i,"item":<item>,"result":<result>,"latencyMs"?:n}` per item, in
 *    item order (`result`: the stored result decoded, store/result-codec.ts; `latencyMs`: the
 *    result's latency, what the run's latency histogram counted, when it has one);
 * 3. one `{"type":"event","id":"<ms>-<seq>","fields":[name, value, ...]}` per entry of the run's
 *    event stream, in order, with its stream id;
 * 4. last: `{"type":"digest","sha256":"<hex>","lines":N}`: the SHA-256 of the N lines before it,
 *    each as its UTF-8 bytes followed by `\n`.
 *
 * A snapshot is taken only of a finished run, which never changes, so two snapshots of one run
 * are byte-identical (and so is the snapshot of a run imported from one).
 */
import { createHash, type Hash } from 'node:crypto';
import { ValidationError } from './errors.js';

/** The `format` of the snapshots this code writes and reads. */
export const SNAPSHOT_FORMAT = 1;

/** Line 1 of a snapshot. */
export interface SnapshotRunLine {
  type: 'run';
  format: number;
  /** The run as `GET /v1/runs/:id` shows it, without `expiresAt` (for readers; import uses `hash`). */
  run: Record<string, unknown>;
  /**
   * The run hash's fields as stored (string values), sorted by name, without `expiresAt` and
   * `latencySummary`.
   */
  hash: Record<string, string>;
  /** The errtypes hash as stored, sorted by field. */
  errtypes: Record<string, string>;
  /** The reruns zset: [run id, createdAt ms], oldest first. */
  reruns: [string, number][];
}

/** One result line: the item, its result and its latency (counted in the latency histogram). */
export interface SnapshotResultLine {
  type: 'result';
  index: number;
  item: unknown;
  result: unknown;
  latencyMs?: number;
}

/** One event line: a stream entry with its id and its field/value list. */
export interface SnapshotEventLine {
  type: 'event';
  id: string;
  fields: string[];
}

/** The last line. */
export interface SnapshotDigestLine {
  type: 'digest';
  sha256: string;
  lines: number;
}

/** A snapshot read back and checked (`parseSnapshot`). */
export interface ParsedSnapshot {
  run: SnapshotRunLine;
  results: SnapshotResultLine[];
  events: SnapshotEventLine[];
  digest: SnapshotDigestLine;
}

/** Sorted copy of a flat record (snapshot objects are written with their keys in order). */
export function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((k) => [k, record[k]!]),
  );
}

/**
 * Writes snapshot lines and their digest: `line(value)` gives the NDJSON line (with its `\n`)
 * and adds it to the digest; `digestLine()` the last line.
 */
export class SnapshotWriter {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;

  /** `value` as one NDJSON line (JSON + `\n`), counted in the digest. */
  line(value: unknown): string {
    const text = `${JSON.stringify(value)}\n`;
    this.hash.update(text, 'utf8');
    this.count++;
    return text;
  }

  /** The digest line over every line written so far (call once, last). */
  digestLine(): string {
    const digest: SnapshotDigestLine = {
      type: 'digest',
      sha256: this.hash.digest('hex'),
      lines: this.count,
    };
    return `${JSON.stringify(digest)}\n`;
  }
}

const EVENT_ID = /^\d{1,20}-\d{1,20}$/;

const bad = (message: string, path = 'snapshot'): ValidationError =>
  new ValidationError(`invalid snapshot: ${message}`, [{ path, message }]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isStringRecord = (v: unknown): v is Record<string, string> =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'string');

/** Compares two stream ids (`<ms>-<seq>`): negative when a < b. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as < bs ? -1 : as > bs ? 1 : 0) : am < bm ? -1 : 1;
}

/**
 * Reads and checks a whole snapshot (its text, `\n`-separated lines). Checks the digest line
 * first (present, last, line count, SHA-256 of the lines before it), then the shape: line 1 a
 * finished run of a known format, exactly one result per item `0..totalItems-1` in order whose
 * statuses add up to the run's counters, event ids strictly increasing.
 * @throws ValidationError (400) naming what is wrong: `truncated` (no digest line), `digest
 *   mismatch` (tampered), or the line at fault (`line N: ...`).
 */
export function parseSnapshot(text: string): ParsedSnapshot {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw bad('truncated: fewer than 2 lines');
  const last = lines[lines.length - 1]!;
  let digest: unknown;
  try {
    digest = JSON.parse(last);
  } catch {
    throw bad('truncated: the last line is not the digest line');
  }
  if (
    !isObject(digest) ||
    digest.type !== 'digest' ||
    typeof digest.sha256 !== 'string' ||
    typeof digest.lines !== 'number'
  ) {
    throw bad('truncated: the last line is not the digest line');
  }
  const body = lines.slice(0, -1);
  if (digest.lines !== body.length) {
    throw bad(`truncated: the digest covers ${digest.lines} lines, ${body.length} precede it`);
  }
  const hash = createHash('sha256');
  for (const line of body) hash.update(`${line}\n`, 'utf8');
  if (hash.digest('hex') !== digest.sha256) {
    throw bad('digest mismatch: the snapshot was changed after it was taken');
  }
  const values = body.map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw bad(`line ${i + 1}: not JSON`, `line ${i + 1}`);
    }
  });
  const run = values[0];
  if (!isObject(run) || run.type !== 'run') throw bad('line 1: not a run line', 'line 1');
  if (run.format !== SNAPSHOT_FORMAT) {
    throw bad(`line 1: unknown format ${String(run.format)}`, 'line 1.format');
  }
  if (!isStringRecord(run.hash) || !isStringRecord(run.errtypes) || !isObject(run.run)) {
    throw bad('line 1: hash, errtypes and run must be objects', 'line 1');
  }
  const h = run.hash;
  if (!h.id || !h.status || !h.totalItems) throw bad('line 1: hash lacks id, status or totalItems');
  if (!['completed', 'failed', 'cancelled'].includes(h.status)) {
    throw bad(`line 1: run status ${h.status} is not finished`, 'line 1.hash.status');
  }
  if (
    !Array.isArray(run.reruns) ||
    !run.reruns.every(
      (r) => Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number',
    )
  ) {
    throw bad('line 1: reruns must be [id, ms] pairs', 'line 1.reruns');
  }
  const total = Number(h.totalItems);
  if (!Number.isInteger(total) || total < 1) throw bad('line 1: bad totalItems');
  const results: SnapshotResultLine[] = [];
  const events: SnapshotEventLine[] = [];
  const counts: Record<string, number> = { succeeded: 0, failed: 0, cancelled: 0 };
  for (let i = 1; i < values.length; i++) {
    const v = values[i];
    const at = `line ${i + 1}`;
    if (!isObject(v)) throw bad(`${at}: not an object`, at);
    if (v.type === 'result') {
      if (events.length > 0) throw bad(`${at}: a result after the events`, at);
      if (v.index !== results.length) throw bad(`${at}: expected item ${results.length}`, at);
      if (
        !isObject(v.result) ||
        typeof v.result.status !== 'string' ||
        !(v.result.status in counts)
      )
        throw bad(`${at}: result without a valid status`, at);
      if (v.item === undefined) throw bad(`${at}: no item`, at);
      if (v.latencyMs !== undefined && typeof v.latencyMs !== 'number')
        throw bad(`${at}: latencyMs must be a number`, at);
      counts[v.result.status]!++;
      results.push(v as unknown as SnapshotResultLine);
    } else if (v.type === 'event') {
      if (typeof v.id !== 'string' || !EVENT_ID.test(v.id)) throw bad(`${at}: bad event id`, at);
      if (
        !Array.isArray(v.fields) ||
        v.fields.length < 2 ||
        v.fields.length % 2 !== 0 ||
        !v.fields.every((f) => typeof f === 'string')
      )
        throw bad(`${at}: event fields must be name/value string pairs`, at);
      const prev = events[events.length - 1];
      if (prev && compareIds(prev.id, v.id) >= 0) throw bad(`${at}: event ids out of order`, at);
      events.push(v as unknown as SnapshotEventLine);
    } else {
      throw bad(`${at}: unknown line type ${String(v.type)}`, at);
    }
  }
  if (results.length !== total) {
    throw bad(`${results.length} results for ${total} items`);
  }
  for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
    if (Number(h[`${status}Count`] ?? 0) !== counts[status]) {
      throw bad(`${status}Count ${h[`${status}Count`]} but ${counts[status]} ${status} results`);
    }
  }
  return {
    run: run as unknown as SnapshotRunLine,
    results,
    events,
    digest: digest as unknown as SnapshotDigestLine,
  };
}
