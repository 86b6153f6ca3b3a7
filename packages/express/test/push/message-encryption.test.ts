/**
 * RFC 8291 encryption in two halves (keys ahead of time, sealing at send
 * time), checked against http_ece (web-push's own RFC 8188 implementation,
 * an independent decrypter), and the prepared-keys pool: each set used
 * once, remade when idle, never used for other subscription keys.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { MAX_MESSAGE_BYTES, messageKeys, sealMessage } from '../../src/push/message-encryption';
import { IDLE_MS, PreparedMessageKeys } from '../../src/push/prepared-message-keys';

// http_ece ships no types: the one function used here.
const ece = require('http_ece') as { decrypt(body: Buffer, params: { version: string; privateKey: ECDH; authSecret: string }): Buffer };

interface Subscriber {
  ecdh: ECDH;
  auth: Buffer;
  keys: { publicKey: string; authSecret: string };
}

function subscriber(): Subscriber {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, keys: { publicKey: ecdh.getPublicKey().toString('base64url'), authSecret: auth.toString('base64url') } };
}

const open = (s: Subscriber, body: Buffer): string => ece.decrypt(body, { version: 'aes128gcm', privateKey: s.ecdh, authSecret: s.auth.toString('base64url') }).toString();
const ephemeralKey = (body: Buffer): string => body.subarray(21, 86).toString('hex');
const idle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, IDLE_MS * 3));

describe('message encryption', () => {
  it('seals a message an independent RFC 8188 implementation opens', () => {
    const s = subscriber();
    const text = '<P:push-message xmlns:P="https://bitfire.at/webdav-push"><P:topic>t</P:topic></P:push-message>';
    const body = sealMessage(messageKeys(s.ecdh.getPublicKey(), s.auth), Buffer.from(text));
    expect(body.readUInt32BE(16)).toBe(4096);
    expect(body[20]).toBe(65);
    expect(open(s, body)).toBe(text);
  });

  it('uses a fresh ephemeral key and salt for each set of keys', () => {
    const s = subscriber();
    const a = sealMessage(messageKeys(s.ecdh.getPublicKey(), s.auth), Buffer.from('x'));
    const b = sealMessage(messageKeys(s.ecdh.getPublicKey(), s.auth), Buffer.from('x'));
    expect(ephemeralKey(a)).not.toBe(ephemeralKey(b));
    expect(a.subarray(0, 16).equals(b.subarray(0, 16))).toBe(false);
    expect([open(s, a), open(s, b)]).toEqual(['x', 'x']);
  });

  it('seals once with a set of keys: its cipher is made with it, and a second seal throws instead of reusing the nonce', () => {
    const s = subscriber();
    const keys = messageKeys(s.ecdh.getPublicKey(), s.auth);
    expect(open(s, sealMessage(keys, Buffer.from('once')))).toBe('once');
    expect(() => sealMessage(keys, Buffer.from('twice'))).toThrow();
  });

  it('refuses a message longer than one record and a key that is not a P-256 point', () => {
    const s = subscriber();
    expect(() => sealMessage(messageKeys(s.ecdh.getPublicKey(), s.auth), Buffer.alloc(MAX_MESSAGE_BYTES + 1))).toThrow(RangeError);
    expect(() => messageKeys(Buffer.alloc(65, 4), s.auth)).toThrow();
  });

  it('a refused key leaves the next sets fresh and sound (the ephemeral key pairs come from one reused ECDH object)', () => {
    const s = subscriber();
    expect(() => messageKeys(Buffer.alloc(65, 4), s.auth)).toThrow();
    const bodies = Array.from({ length: 20 }, (_, i) => sealMessage(messageKeys(s.ecdh.getPublicKey(), s.auth), Buffer.from(`m${i}`)));
    expect(new Set(bodies.map(ephemeralKey)).size).toBe(20);
    expect(bodies.map((b) => open(s, b))).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });
});

describe('prepared message keys', () => {
  let pool: PreparedMessageKeys;
  afterEach(() => pool.close());

  it('prepares keys when idle, and hands each set out once', async () => {
    pool = new PreparedMessageKeys();
    const s = subscriber();
    pool.prepare('r1', s.keys);
    expect(pool.size).toBe(0); // not while busy
    await idle();
    expect(pool.size).toBe(1);
    const first = pool.take('r1', s.keys);
    expect(pool.size).toBe(0);
    await idle(); // the next message's set is made after the take
    expect(pool.size).toBe(1);
    const second = pool.take('r1', s.keys);
    const a = sealMessage(first, Buffer.from('one'));
    const b = sealMessage(second, Buffer.from('two'));
    expect(ephemeralKey(a)).not.toBe(ephemeralKey(b));
    expect([open(s, a), open(s, b)]).toEqual(['one', 'two']);
  });

  it('gives fresh keys when none are ready, and never a set made for other subscription keys', async () => {
    pool = new PreparedMessageKeys();
    const before = subscriber();
    const after = subscriber();
    expect(open(before, sealMessage(pool.take('r1', before.keys), Buffer.from('cold')))).toBe('cold');
    await idle();
    // Re-registered with new keys: the set made for the old ones is not used.
    expect(open(after, sealMessage(pool.take('r1', after.keys), Buffer.from('new keys')))).toBe('new keys');
  });

  it('makes no keys while messages are being sent, and makes them once the sending ends', async () => {
    let sending = true;
    pool = new PreparedMessageKeys(10, () => sending);
    const s = subscriber();
    pool.prepare('r1', s.keys);
    await idle();
    await idle();
    expect(pool.size).toBe(0); // a fan-out under way goes first, however long it pauses
    sending = false;
    await idle();
    expect(pool.size).toBe(1);
  });

  it('keeps at most its maximum, dropping the oldest', async () => {
    pool = new PreparedMessageKeys(2);
    const subs = [subscriber(), subscriber(), subscriber()];
    subs.forEach((s, i) => pool.prepare(`r${i}`, s.keys));
    await idle();
    expect(pool.size).toBe(2);
    pool.close();
    expect(pool.size).toBe(0);
  });
});
