/**
 * Quotas (RFC 4331): the figures a store gives for a collection
 * (`StorageAdapter.quota`, answered as `DAV:quota-available-bytes` and
 * `DAV:quota-used-bytes`) and the refusal of a write that would pass a
 * configured quota (507 with `DAV:quota-not-exceeded`, §6). The memory and
 * PostgreSQL stores keep a running total of the bytes they hold and
 * compare it with an optional `quotaBytes`; the fs store reports its
 * filesystem's figures.
 */
import { DavError } from './errors';
import type { ByteStream } from './entry';

/** A collection's storage figures, in bytes; a figure the store cannot tell is absent (its property is then 404). */
export interface QuotaFigures {
  /** RFC 4331 §3: bytes that may still be stored before writes are refused. */
  readonly available?: number;
  /** RFC 4331 §4: bytes in use by the collection and possibly other resources sharing the same storage. */
  readonly used?: number;
}

/** 507 `DAV:quota-not-exceeded` (RFC 4331 §6): the write would pass the quota; nothing was stored. */
export function quotaExceeded(path: string, quotaBytes: number): DavError {
  return new DavError('insufficient-storage', `davsync: this write would exceed the storage quota of ${quotaBytes} bytes`, path, 'quota-not-exceeded');
}

/** Checks a `quotaBytes` option (a whole number of bytes ≥ 0, or absent), throwing a `TypeError` naming `owner`. */
export function checkQuotaBytes(value: unknown, owner: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`davsync: invalid ${owner} options: quotaBytes: must be a whole number of bytes (0 or more)`);
  }
  return value;
}

/** The figures of a store holding `used` bytes under an optional quota: `available` only when there is a quota. */
export function quotaFigures(used: number, quotaBytes: number | undefined): QuotaFigures {
  return quotaBytes === undefined ? { used } : { used, available: Math.max(0, quotaBytes - used) };
}

/**
 * `body`, failing with {@link quotaExceeded} as soon as more than `room`
 * bytes have passed, so an upload that cannot fit is cut off where it
 * passes the quota instead of being stored whole and then refused. The
 * store still checks the final total at its commit, where concurrent
 * writes are accounted for.
 */
export async function* withinQuota(body: ByteStream, room: number, path: string, quotaBytes: number): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (seen > room) throw quotaExceeded(path, quotaBytes);
    yield chunk;
  }
}
