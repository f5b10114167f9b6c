/**
 * The one encoder and decoder of the user values a run stores in Redis: its items (the items
 * hash), its results (the results hash) and the first message of each error type (the errtypes
 * hash). With a cipher (`RUNLEDGER_ENCRYPTION_KEYS`, ../encryption.ts) they are stored
 * encrypted; without, items and error messages as plain JSON and results in the compact form of
 * ./result-codec.ts (a JSON array).
 *
 * - An item is encrypted whole: `enc:v1:<kid>:...` in place of its JSON (no script reads it).
 * - A result keeps what the scripts, filters, sorts and aggregates read in plaintext (status,
 *   attempts, latency, queue time, times, usage, cost, scores, worker id, mask counts) and holds
 *   its output and error encrypted in one field, `sealed`. Results written by a script itself
 *   (the budget stop's `cancelled` result, lua/record-results-9.lua) are plaintext: they carry a
 *   message of runledger's own, no user value.
 * - An error message is encrypted whole (`encodeText`; the errtypes hash: `encodeErrtypes`).
 *
 * Snapshots (./snapshots.ts) hold the decoded values and import encodes them again, under the
 * key that encrypts now.
 *
 * Reads accept both forms, so values written before encryption was turned on stay readable.
 * A value encrypted under a key that is not configured (or altered) throws `DecryptionError`.
 */
import { openValue, sealValue, type ValueCipher } from '../encryption.js';
import type { StoredItem, StoredResult } from '../schemas.js';
import { canonicalStoredResult, decodeStoredResult, encodeStoredResult } from './result-codec.js';

/** A stored result with its user values encrypted: `sealed` holds `{ output?, error? }`. */
type SealedResult = Omit<StoredResult, 'output' | 'error'> & { sealed?: string };

/** Encodes and decodes a run's items, results and error messages for Redis. */
export class ValueCodec {
  /** @param cipher the configured keys; null: values are stored unencrypted. */
  constructor(readonly cipher: ValueCipher | null = null) {}

  /** True when values are written encrypted. */
  get encrypting(): boolean {
    return this.cipher !== null;
  }

  /** An item's stored form: its JSON, encrypted with a cipher. */
  encodeItem(item: StoredItem): string {
    return this.encodeItemJson(JSON.stringify(item));
  }

  /** `encodeItem` of an item given as its JSON (`JSON.stringify` of its stored form). */
  encodeItemJson(json: string): string {
    return sealValue(json, this.cipher);
  }

  /** An item from its stored form. @throws DecryptionError (see the module doc). */
  decodeItem(raw: string): StoredItem {
    return JSON.parse(openValue(raw, this.cipher)) as StoredItem;
  }

  /**
   * Items as claim-items-4 returns them: one JSON array of plain items (`null` for a missing
   * one: one `JSON.parse` for the whole list), or a list of stored values (`''` for a missing
   * one; any of them may be encrypted), or null when no items were asked for.
   * @throws DecryptionError (see the module doc); SyntaxError when a value is not JSON.
   */
  decodeItemList(values: string | readonly string[] | null): (StoredItem | null)[] | null {
    if (values === null) return null;
    if (typeof values === 'string') return JSON.parse(values) as (StoredItem | null)[];
    return values.map((raw) => (raw ? this.decodeItem(raw) : null));
  }

  /**
   * A result's stored form: the compact array of ./result-codec.ts; with a cipher and an output
   * or error, JSON with them in `sealed`.
   */
  encodeResult(result: StoredResult): string {
    if (this.cipher === null || (result.output === undefined && result.error === undefined)) {
      return encodeStoredResult(result);
    }
    const { output, error, ...plain } = result;
    const sealed: SealedResult = {
      ...plain,
      sealed: this.cipher.encrypt(JSON.stringify({ output, error })),
    };
    return JSON.stringify(sealed);
  }

  /** A result from its stored form. @throws DecryptionError (see the module doc). */
  decodeResult(raw: string): StoredResult {
    // the compact form: ./result-codec.ts (one canonical field order for every form)
    if (raw.charCodeAt(0) === 91 /* [ */) return decodeStoredResult(raw);
    const stored = JSON.parse(raw) as SealedResult & Pick<StoredResult, 'output' | 'error'>;
    if (stored.sealed === undefined) return canonicalStoredResult(stored);
    const { sealed, ...plain } = stored;
    const values = JSON.parse(openValue(sealed, this.cipher)) as Pick<
      StoredResult,
      'output' | 'error'
    >;
    const result: StoredResult = plain;
    if (values.output !== undefined) result.output = values.output;
    if (values.error !== undefined) result.error = values.error;
    return canonicalStoredResult(result);
  }

  /**
   * The plaintext fields of a stored result (status, scores, latency, ...) without decrypting
   * its output and error (they are left out): for readers that need no user value, such as the
   * score sort index.
   */
  decodeResultPlain(raw: string): Omit<StoredResult, 'output' | 'error'> {
    if (raw.charCodeAt(0) === 91 /* [ */) {
      const { output: _o, error: _e, ...compact } = decodeStoredResult(raw);
      return compact;
    }
    const {
      sealed: _sealed,
      output: _output,
      error: _error,
      ...plain
    } = JSON.parse(raw) as SealedResult & Pick<StoredResult, 'output' | 'error'>;
    return plain;
  }

  /** A text's stored form (an error type's first message): encrypted with a cipher. */
  encodeText(text: string): string {
    return sealValue(text, this.cipher);
  }

  /** A text from its stored form. @throws DecryptionError (see the module doc). */
  decodeText(raw: string): string {
    return openValue(raw, this.cipher);
  }

  /**
   * The errtypes hash (`n:<type>` counts, `m:<type>` first messages) with its messages decoded
   * (a new record). @throws DecryptionError (see the module doc).
   */
  decodeErrtypes(stored: Record<string, string>): Record<string, string> {
    return mapMessages(stored, (m) => this.decodeText(m));
  }

  /** The errtypes hash's stored form: its messages (`m:<type>`) encoded (a new record). */
  encodeErrtypes(plain: Record<string, string>): Record<string, string> {
    return mapMessages(plain, (m) => this.encodeText(m));
  }
}

/** `h` with `fn` applied to its `m:<type>` fields. */
function mapMessages(
  h: Record<string, string>,
  fn: (message: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(h)) {
    out[field] = field.startsWith('m:') ? fn(value) : value;
  }
  return out;
}
