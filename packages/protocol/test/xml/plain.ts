/** Test helpers: element trees as plain objects, fixtures, and ProtocolError expectations. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { ProtocolError, type ProtocolErrorReason } from '../../src/protocol-error';
import type { XmlElement } from '../../src/xml/reader';

/** A plain, prefix-free picture of an element: what the document means, not how it is spelled. */
export interface PlainElement {
  name: string;
  attrs?: Record<string, string>;
  text?: string;
  children?: PlainElement[];
}

/** Drops white-space-only text between elements and trims leaf text, so pretty-printing does not matter. */
export function plain(el: XmlElement): PlainElement {
  const out: PlainElement = { name: el.name };
  if (Object.keys(el.attrs).length > 0) out.attrs = { ...el.attrs };
  if (el.children.length > 0) out.children = el.children.map(plain);
  else if (el.text.trim() !== '') out.text = el.text.trim();
  return out;
}

export function fixture(name: string): string {
  return readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');
}

/** Asserts that `run` throws (or rejects with) a ProtocolError of `reason`, and returns it. */
export async function expectProtocolError(run: () => unknown, reason: ProtocolErrorReason): Promise<ProtocolError> {
  let caught: unknown;
  try {
    await run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  const err = caught as ProtocolError;
  expect(err.reason).toBe(reason);
  expect(err.message.startsWith('davsync:')).toBe(true);
  return err;
}

/** Feeds `text` as a stream of byte chunks of `size`. */
export async function* chunks(text: string | Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}
