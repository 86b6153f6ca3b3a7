/**
 * Request body bytes to text, chunk by chunk, refusing malformed input:
 * what the XML reader feeds saxes with.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

/** Bytes to text as they arrive; `undefined` for malformed input (as a fatal TextDecoder refuses it). */
export interface ChunkDecoder {
  readonly encoding: string;
  decode(bytes: Uint8Array, stream: boolean): string | undefined;
}

export function decoderFor(encoding: 'utf-8' | 'utf-16le' | 'utf-16be'): ChunkDecoder {
  if (encoding === 'utf-8') return new Utf8Chunks();
  const decoder = new TextDecoder(encoding, { fatal: true });
  return {
    encoding,
    decode(bytes, stream) {
      try {
        return decoder.decode(bytes, { stream });
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * UTF-8 without a TextDecoder: each body made one, and opening its
 * converter was a visible part of a small REPORT's cost. Every chunk is
 * validated (`isUtf8`: no overlong forms, surrogates or code points past
 * U+10FFFF, like the fatal decoder) up to its last whole character; the
 * bytes of a character split across chunks wait for the next one. A
 * leading BOM stays in the text, where `feed` drops it.
 */
export class Utf8Chunks implements ChunkDecoder {
  readonly encoding = 'utf-8';
  private carry: Uint8Array | undefined;

  decode(chunk: Uint8Array, stream: boolean): string | undefined {
    let bytes = chunk;
    if (this.carry !== undefined) {
      bytes = new Uint8Array(this.carry.byteLength + chunk.byteLength);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.byteLength);
      this.carry = undefined;
    }
    const end = stream ? wholeCharacters(bytes) : bytes.byteLength;
    const whole = Buffer.from(bytes.buffer, bytes.byteOffset, end);
    if (!isUtf8(whole)) return undefined;
    if (end < bytes.byteLength) this.carry = bytes.slice(end);
    return whole.toString('utf8');
  }
}

/** How many of `bytes` end on a character boundary: an unfinished multi-byte sequence at the end is left out. */
function wholeCharacters(bytes: Uint8Array): number {
  const n = bytes.byteLength;
  let lead = n - 1;
  // Back over up to three continuation bytes (10xxxxxx) to the sequence's first byte.
  while (lead >= 0 && lead > n - 4 && ((bytes[lead] as number) & 0xc0) === 0x80) lead--;
  if (lead < 0) return n;
  const first = bytes[lead] as number;
  const length = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  return n - lead < length ? lead : n;
}
