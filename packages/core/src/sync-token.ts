/**
 * Sync tokens (RFC 6578 §3.2): opaque to clients but an absolute URI, so
 * they can stand in an If header as state tokens (§5). A davsync token names
 * the collection incarnation it belongs to and a journal revision:
 *
 *     urn:x-davsync:sync:<incarnation>:<revision>
 *
 * Tokens are validated on use (see `delta.ts`), never trusted: a token from
 * another collection, an earlier incarnation, the future or before the
 * retention horizon is refused instead of yielding a silent gap.
 */
import { randomBytes } from 'node:crypto';

export interface SyncTokenParts {
  readonly incarnation: string;
  readonly revision: number;
}

export const SYNC_TOKEN_PREFIX = 'urn:x-davsync:sync:';

const TOKEN = /^urn:x-davsync:sync:([a-z0-9]{8,64}):(0|[1-9][0-9]{0,15})$/;

/** Formats a token; the inverse of {@link parseSyncToken}. */
export function formatSyncToken(parts: SyncTokenParts): string {
  return `${SYNC_TOKEN_PREFIX}${parts.incarnation}:${parts.revision}`;
}

/** Parses a token of this format, or returns `undefined` for anything else. */
export function parseSyncToken(token: string): SyncTokenParts | undefined {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const revision = Number(m[2]);
  if (!Number.isSafeInteger(revision)) return undefined;
  return { incarnation: m[1] as string, revision };
}

/**
 * A fresh incarnation id: 80 random bits in base 36, so incarnations of
 * different collections (or stores) never collide in practice.
 */
export function newIncarnation(): string {
  const bytes = randomBytes(10);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n.toString(36).padStart(16, '0');
}
