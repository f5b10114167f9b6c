/**
 * Encryption at rest of the values runledger stores for users (items, result outputs and
 * errors, dataset items): AES-256-GCM from `node:crypto`, a fresh random 12-byte nonce per
 * value, the key id stored with the value. Pure: no Redis, no config; the store's codec
 * (./store/value-codec.ts) and the dataset store call it where values are encoded and decoded.
 *
 * Keys come from `RUNLEDGER_ENCRYPTION_KEYS=kid1:<base64 32 bytes>[,kid0:<base64 32 bytes>...]`:
 * the first key encrypts, every listed key decrypts, so keys rotate without downtime (add the new
 * key first, keep the old ones until nothing written under them is left).
 *
 * An encrypted value reads `enc:v1:<kid>:<base64(nonce 12 bytes | tag 16 bytes | ciphertext)>`
 * (standard base64, padded); the prefix `enc:v1:<kid>` is the GCM additional data, so the key id
 * cannot be swapped. A value without the prefix is plaintext (written before encryption was
 * turned on) and is read as it is. Random 96-bit nonces: NIST SP 800-38D bounds one key to
 * 2^32 values; rotate before.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { commaEntries } from './comma-list.js';
import { DecryptionError } from './errors.js';

/** One key of `RUNLEDGER_ENCRYPTION_KEYS`: its id and 32 bytes of key material. */
export interface EncryptionKey {
  /** Key id: 1-32 letters, digits, `_`, `-`, `.` (stored with every value it encrypts). */
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

/** The prefix of every encrypted value (then `<kid>:<base64>`). */
export const ENCRYPTED_PREFIX = 'enc:v1:';

/** Key ids: 1-32 letters, digits, `_`, `-`, `.`. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Nonces drawn from the CSPRNG per block (one `randomFillSync` per 4,096 values, not one per value). */
const NONCE_POOL_BYTES = NONCE_BYTES * 4096;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Parses `RUNLEDGER_ENCRYPTION_KEYS`: `kid:<base64 of 32 bytes>` entries separated by commas
 * (blanks around entries ignored; base64 standard or url-safe, padded or not). `''` is no key
 * (encryption off).
 * @returns the keys in order (the first encrypts).
 * @throws Error naming the entry and what is wrong (bad key id, not base64, not 32 bytes,
 *   duplicate key id), never the key material.
 */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  const keys: EncryptionKey[] = [];
  const seen = new Set<string>();
  for (const { entry, where } of commaEntries(value)) {
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`${where} must be kid:<base64 of 32 bytes>`);
    const id = entry.slice(0, colon);
    const material = entry.slice(colon + 1).trim();
    if (!KEY_ID_PATTERN.test(id)) {
      throw new Error(`${where}: the key id must be 1-32 letters, digits, "_", "-" or "."`);
    }
    if (!BASE64.test(material) && !BASE64URL.test(material)) {
      throw new Error(`${where} (key ${id}): the key is not base64`);
    }
    const key = Buffer.from(material, BASE64.test(material) ? 'base64' : 'base64url');
    if (key.length !== KEY_BYTES) {
      throw new Error(
        `${where} (key ${id}): the key must be ${KEY_BYTES} bytes of base64 (it is ${key.length} bytes; make one with: openssl rand -base64 32)`,
      );
    }
    if (seen.has(id)) throw new Error(`${where}: duplicate key id ${id}`);
    seen.add(id);
    keys.push({ id, key });
  }
  return keys;
}

/** True when `value` has the prefix of an encrypted value (`enc:v1:`). */
export const isEncrypted = (value: string): boolean => value.startsWith(ENCRYPTED_PREFIX);

/** The key id an encrypted value names (`enc:v1:<kid>:...`), or null for a plaintext value. */
export function keyIdOf(value: string): string | null {
  if (!isEncrypted(value)) return null;
  const end = value.indexOf(':', ENCRYPTED_PREFIX.length);
  return end < 0 ? value.slice(ENCRYPTED_PREFIX.length) : value.slice(ENCRYPTED_PREFIX.length, end);
}

/**
 * Encrypts and decrypts values with a key list: the first key encrypts, every key decrypts.
 *
 * @example
 * const cipher = ValueCipher.fromEnv(process.env.RUNLEDGER_ENCRYPTION_KEYS ?? ''); // null: off
 * const stored = cipher.encrypt('{"input":"secret"}'); // 'enc:v1:kid1:...'
 * cipher.decrypt(stored); // '{"input":"secret"}'
 */
export class ValueCipher {
  /** The id of the key that encrypts (the first listed). */
  readonly keyId: string;
  private readonly key: Buffer;
  private readonly prefix: string;
  private readonly byId: Map<string, { key: Buffer; aad: Buffer }>;
  private readonly aad: Buffer;
  private readonly nonces = Buffer.alloc(NONCE_POOL_BYTES);
  private nonceAt = NONCE_POOL_BYTES;

  /**
   * @param keys at least one key; the first encrypts.
   * @throws Error when `keys` is empty or a key is not 32 bytes.
   */
  constructor(keys: readonly EncryptionKey[]) {
    const first = keys[0];
    if (!first) throw new Error('ValueCipher needs at least one key');
    for (const k of keys) {
      if (k.key.length !== KEY_BYTES) throw new Error(`key ${k.id} is not ${KEY_BYTES} bytes`);
    }
    this.keyId = first.id;
    this.key = first.key;
    this.prefix = `${ENCRYPTED_PREFIX}${first.id}`;
    this.byId = new Map(
      keys.map((k) => [k.id, { key: k.key, aad: Buffer.from(`${ENCRYPTED_PREFIX}${k.id}`) }]),
    );
    this.aad = Buffer.from(this.prefix);
  }

  /**
   * The cipher of a `RUNLEDGER_ENCRYPTION_KEYS` value; null when it lists no key (encryption off).
   * @throws Error as `parseEncryptionKeys`.
   */
  static fromEnv(value: string): ValueCipher | null {
    const keys = parseEncryptionKeys(value);
    return keys.length === 0 ? null : new ValueCipher(keys);
  }

  /** Every key id this cipher decrypts, the encrypting one first. */
  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  /** `plaintext` (UTF-8) encrypted under the first key with a fresh nonce: `enc:v1:<kid>:<base64>`. */
  encrypt(plaintext: string): string {
    if (this.nonceAt === NONCE_POOL_BYTES) {
      randomFillSync(this.nonces);
      this.nonceAt = 0;
    }
    // a view of the pool: used once, copied into the payload below before the pool refills
    const nonce = this.nonces.subarray(this.nonceAt, this.nonceAt + NONCE_BYTES);
    this.nonceAt += NONCE_BYTES;
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(this.aad);
    const body = cipher.update(plaintext, 'utf8');
    const last = cipher.final();
    const payload = Buffer.concat([nonce, cipher.getAuthTag(), body, last]);
    return `${this.prefix}:${payload.toString('base64')}`;
  }

  /**
   * The plaintext of an encrypted value (`encrypt`'s output under any listed key).
   * @throws DecryptionError (500, `decryption failed (key <kid>)`) when the value names a key
   *   this cipher does not hold, was encrypted under another key with the same id, was altered,
   *   or is not an encrypted value at all.
   */
  decrypt(value: string): string {
    const kid = keyIdOf(value) ?? '?';
    const entry = this.byId.get(kid);
    const start = ENCRYPTED_PREFIX.length + kid.length + 1;
    if (!entry || value.charCodeAt(start - 1) !== 58 /* : */) throw new DecryptionError(kid);
    // Buffer.from skips characters outside base64; whatever it makes of them, the GCM tag fails
    const payload = Buffer.from(value.slice(start), 'base64');
    if (payload.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError(kid);
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, payload.subarray(0, NONCE_BYTES));
      decipher.setAAD(entry.aad);
      decipher.setAuthTag(payload.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
      const text = decipher.update(payload.subarray(NONCE_BYTES + TAG_BYTES), undefined, 'utf8');
      return text + decipher.final('utf8');
    } catch {
      throw new DecryptionError(kid);
    }
  }
}

/**
 * Reads a stored value: an encrypted one (`enc:v1:` prefix) is decrypted by `cipher`, a
 * plaintext one is answered as it is.
 * @throws DecryptionError when the value is encrypted and `cipher` is null (no key configured)
 *   or cannot decrypt it.
 */
export function openValue(value: string, cipher: ValueCipher | null): string {
  if (!isEncrypted(value)) return value;
  if (cipher === null) throw new DecryptionError(keyIdOf(value) ?? '?');
  return cipher.decrypt(value);
}

/** Writes a value: encrypted by `cipher`, or as it is when `cipher` is null (encryption off). */
export function sealValue(value: string, cipher: ValueCipher | null): string {
  return cipher === null ? value : cipher.encrypt(value);
}
