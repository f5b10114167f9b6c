/**
 * The cipher of encryption at rest (packages/shared/src/encryption.ts) and the store's value
 * codec (store/value-codec.ts), without Redis: round trip, rotation, wrong or missing key,
 * tampering, nonce uniqueness, the key list's parse errors, and the config stopping at a bad list.
 */
import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  DecryptionError,
  type EncryptionKey,
  encodeStoredResult,
  isEncrypted,
  keyIdOf,
  loadConfig,
  openValue,
  parseEncryptionKeys,
  type StoredResult,
  ValueCipher,
  ValueCodec,
} from '@runledger/shared';
import { describe, expect, it } from 'vitest';

const key = (id: string): EncryptionKey => ({ id, key: randomBytes(32) });
const _env = (...keys: EncryptionKey[]) =>
  keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('ValueCipher', () => {
  const k1 = key('kid1');
  const k0 = key('kid0');

  it('round-trips text of every size, including empty, multi-byte and 1 MiB, as enc:v1:<kid>:<base64>', () => {
    const cipher = new ValueCipher([k1]);
    const texts = ['', 'a', '{"input":"ünïcödé ✓ 😀"}', 'x'.repeat(1024 * 1024)];
    for (const text of texts) {
      const stored = cipher.encrypt(text);
      expect(stored).toMatch(/^enc:v1:kid1:[A-Za-z0-9+/]+={0,2}$/);
      expect(isEncrypted(stored)).toBe(true);
      expect(keyIdOf(stored)).toBe('kid1');
      expect(stored.includes(text) && text.length > 2).toBe(false);
      expect(cipher.decrypt(stored)).toBe(text);
      // nonce 12 + tag 16 + ciphertext (as long as the UTF-8 text)
      const payload = Buffer.from(stored.slice('enc:v1:kid1:'.length), 'base64');
      expect(payload.length).toBe(28 + Buffer.byteLength(text));
    }
  });

  it('uses a fresh nonce per value: 10,000 encryptions of one text give 10,000 distinct nonces and values', () => {
    const cipher = new ValueCipher([k1]);
    const nonces = new Set<string>();
    const values = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const stored = cipher.encrypt('same text');
      values.add(stored);
      nonces.add(
        Buffer.from(stored.slice('enc:v1:kid1:'.length), 'base64').subarray(0, 12).toString('hex'),
      );
    }
    expect(nonces.size).toBe(10_000);
    expect(values.size).toBe(10_000);
  });

  it('rotation: values written under kid0 stay readable once kid1 is put first; new values are written under kid1', () => {
    const old = new ValueCipher([k0]);
    const written = old.encrypt('written before the rotation');
    const rotated = new ValueCipher([k1, k0]);
    expect(rotated.keyId).toBe('kid1');
    expect(rotated.keyIds).toEqual(['kid1', 'kid0']);
    expect(rotated.decrypt(written)).toBe('written before the rotation');
    const fresh = rotated.encrypt('written after');
    expect(keyIdOf(fresh)).toBe('kid1');
    // the old process (kid0 only) cannot read what kid1 wrote: an error naming kid1
    const err = thrown(() => old.decrypt(fresh));
    expect(err).toBeInstanceOf(DecryptionError);
    expect((err as DecryptionError).message).toBe('decryption failed (key kid1)');
  });

  it('a missing key, another key under the same id, a tampered byte or key id and a truncated value throw DecryptionError naming the key id, never garbage', () => {
    const cipher = new ValueCipher([k1]);
    const stored = cipher.encrypt('{"secret":"marker-42"}');
    const cases: [string, string, ValueCipher | null][] = [
      ['key removed', stored, new ValueCipher([k0])],
      ['no key configured', stored, null],
      ['other key, same id', stored, new ValueCipher([key('kid1')])],
      ['kid swapped', stored.replace('enc:v1:kid1:', 'enc:v1:kid0:'), new ValueCipher([k1, k0])],
      ['truncated', stored.slice(0, 30), cipher],
      ['not base64', 'enc:v1:kid1:***', cipher],
    ];
    const payload = Buffer.from(stored.slice('enc:v1:kid1:'.length), 'base64');
    for (const at of [0, 11, 12, 27, 28, payload.length - 1]) {
      const bad = Buffer.from(payload);
      bad[at] = bad[at]! ^ 0x01;
      cases.push([`byte ${at} flipped`, `enc:v1:kid1:${bad.toString('base64')}`, cipher]);
    }
    for (const [what, value, reader] of cases) {
      const err = thrown(() => openValue(value, reader));
      expect(err, what).toBeInstanceOf(DecryptionError);
      const kid = what === 'kid swapped' ? 'kid0' : 'kid1';
      expect((err as DecryptionError).message, what).toBe(`decryption failed (key ${kid})`);
      expect((err as DecryptionError).status).toBe(500);
      expect((err as DecryptionError).kind).toBe('decryption_failed');
      expect((err as DecryptionError).expose).toBe(true);
    }
  });

  it('openValue reads a plaintext value as it is, with or without keys', () => {
    expect(openValue('{"id":"0","input":1}', new ValueCipher([k1]))).toBe('{"id":"0","input":1}');
    expect(openValue('{"id":"0","input":1}', null)).toBe('{"id":"0","input":1}');
  });
});

describe('parseEncryptionKeys', () => {
  const b64 = randomBytes(32).toString('base64');

  it('parses kid:base64 entries in order (standard or url-safe base64, blanks ignored); empty is none', () => {
    const raw = randomBytes(32);
    const keys = parseEncryptionKeys(
      ` kid1:${raw.toString('base64')} , kid0:${raw.toString('base64url')},`,
    );
    expect(keys.map((k) => k.id)).toEqual(['kid1', 'kid0']);
    expect(keys[0]!.key.equals(raw)).toBe(true);
    expect(keys[1]!.key.equals(raw)).toBe(true);
    expect(parseEncryptionKeys('')).toEqual([]);
    expect(ValueCipher.fromEnv('')).toBeNull();
  });

  it('refuses bad base64, a wrong length, a duplicate or bad key id, with the entry and never the key material', () => {
    const short = randomBytes(31).toString('base64');
    const cases: [string, string][] = [
      [`kid1:not*base64!`, 'entry 1 (key kid1): the key is not base64'],
      [
        `kid1:${short}`,
        'entry 1 (key kid1): the key must be 32 bytes of base64 (it is 31 bytes; make one with: openssl rand -base64 32)',
      ],
      [`kid1:${b64},kid1:${b64}`, 'entry 2: duplicate key id kid1'],
      [`${b64}`, 'entry 1 must be kid:<base64 of 32 bytes>'],
      [`bad id:${b64}`, 'entry 1: the key id must be 1-32 letters, digits, "_", "-" or "."'],
    ];
    for (const [value, message] of cases) {
      const err = thrown(() => parseEncryptionKeys(value)) as Error;
      expect(err.message).toBe(message);
      expect(err.message).not.toContain(b64.slice(0, 8));
    }
  });

  it('loadConfig stops with a ConfigError naming RUNLEDGER_ENCRYPTION_KEYS', () => {
    const err = thrown(() =>
      loadConfig({ RUNLEDGER_ENCRYPTION_KEYS: `kid1:${b64},kid1:${b64}` }),
    ) as Error;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(
      'invalid configuration:\n  RUNLEDGER_ENCRYPTION_KEYS: entry 2: duplicate key id kid1',
    );
    expect(loadConfig({ RUNLEDGER_ENCRYPTION_KEYS: `kid1:${b64}` }).RUNLEDGER_ENCRYPTION_KEYS).toBe(
      `kid1:${b64}`,
    );
  });
});

describe('ValueCodec', () => {
  const cipher = new ValueCipher([key('kid1')]);
  const result: StoredResult = {
    status: 'failed',
    output: { answer: 'marker-output' },
    error: { message: 'marker-error', type: 'target_error' },
    attempts: 2,
    latencyMs: 12.5,
    scores: { exact_match: { score: 0, passed: false } },
    workerId: 'w1',
  };

  it('with a cipher: items and texts whole, results with output and error sealed and the rest plaintext', () => {
    const codec = new ValueCodec(cipher);
    const item = { id: 'marker-id', input: { q: 'marker-input' }, metadata: { m: 'marker-meta' } };
    const storedItem = codec.encodeItem(item);
    expect(storedItem).not.toContain('marker');
    expect(codec.decodeItem(storedItem)).toEqual(item);

    const storedResult = codec.encodeResult(result);
    expect(storedResult).not.toContain('marker');
    const plain = JSON.parse(storedResult) as Record<string, unknown>;
    expect(Object.keys(plain).sort()).toEqual(
      ['attempts', 'latencyMs', 'scores', 'sealed', 'status', 'workerId'].sort(),
    );
    expect(codec.decodeResult(storedResult)).toEqual(result);
    expect(codec.decodeResultPlain(storedResult)).toEqual({
      status: 'failed',
      attempts: 2,
      latencyMs: 12.5,
      scores: { exact_match: { score: 0, passed: false } },
      workerId: 'w1',
    });
    expect(codec.decodeText(codec.encodeText('marker-error'))).toBe('marker-error');
  });

  it('without a cipher: results in the compact form (result-codec.ts), items plain JSON; reads values written plain by an encrypting codec and refuses encrypted ones', () => {
    const plainCodec = new ValueCodec();
    expect(plainCodec.encodeResult(result)).toBe(encodeStoredResult(result));
    expect(plainCodec.decodeResult(plainCodec.encodeResult(result))).toEqual(result);
    expect(plainCodec.encodeItem({ id: '1', input: 2 })).toBe('{"id":"1","input":2}');
    expect(new ValueCodec(cipher).decodeResult(JSON.stringify(result))).toEqual(result);
    const sealed = new ValueCodec(cipher).encodeResult(result);
    expect((thrown(() => plainCodec.decodeResult(sealed)) as Error).message).toBe(
      'decryption failed (key kid1)',
    );
    // plaintext fields stay readable without the key
    expect(plainCodec.decodeResultPlain(sealed).scores).toEqual(result.scores);
  });
});
