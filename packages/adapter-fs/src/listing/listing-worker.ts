/**
 * The listing thread's body (see `listing-thread.ts`): reads directories and
 * `lstat`s their entries, a batch at a time, and sends each batch back as
 * a few strings and typed arrays. It runs ahead of the main thread by at
 * most {@link WINDOW} batches per listing, so a huge folder never piles up
 * in the main thread's message queue.
 */
import { opendirSync, type Dir } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { readNames, statMembers } from './directory';
import { errorCode } from '../paths/fs-errors';
import type { ListingRules } from '../paths/safe-path';

/** Members per batch: big enough that a message costs little per member, small enough to stream. */
export const BATCH = 256;
/** Batches a listing may have in flight (sent, not yet taken by the main thread). */
export const WINDOW = 4;

/** What the main thread sends. */
export type ListingRequest =
  | {
      readonly op: 'open';
      readonly id: number;
      readonly real: string;
      readonly atRoot: boolean;
      readonly rules: ListingRules;
      /** Names already listed by the main thread: not sent again. */
      readonly skip: readonly string[];
    }
  /** The main thread took a batch: one more may be sent. */
  | { readonly op: 'more'; readonly id: number }
  /** The listing was abandoned. */
  | { readonly op: 'close'; readonly id: number };

/**
 * A batch of members, packed: names and ETags joined with `/` (which neither
 * can contain); per member a kind (1 file, 2 collection) and, in `numbers`,
 * size, modification and birth time in ms (-1: none).
 */
export interface ListingBatch {
  readonly id: number;
  readonly names: string;
  readonly etags: string;
  /** Inode identities (`MemberFacts.identity`), joined with `/` too. */
  readonly identities: string;
  readonly kinds: Uint8Array;
  readonly numbers: Float64Array;
  readonly count: number;
  /** No batch follows. */
  readonly done: boolean;
}

export interface ListingFailure {
  readonly id: number;
  readonly error: { readonly message: string; readonly code?: string };
}

export type ListingReply = ListingBatch | ListingFailure;

interface Listing {
  readonly real: string;
  readonly atRoot: boolean;
  readonly rules: ListingRules;
  readonly seen: Set<string>;
  readonly dir: Dir;
  credit: number;
}

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('davsync: listing-worker must run as a worker thread');
  const listings = new Map<number, Listing>();

  const fail = (id: number, err: unknown): void => {
    close(id);
    const code = errorCode(err);
    port.postMessage({ id, error: { message: err instanceof Error ? err.message : String(err), ...(code === undefined ? {} : { code }) } } satisfies ListingFailure);
  };
  const close = (id: number): void => {
    const listing = listings.get(id);
    if (listing === undefined) return;
    listings.delete(id);
    try {
      listing.dir.closeSync();
    } catch {
      // Already closed by a failed read: nothing left to release.
    }
  };
  const pump = (id: number): void => {
    const listing = listings.get(id);
    if (listing === undefined) return;
    try {
      while (listing.credit > 0) {
        listing.credit--;
        const batch = readBatch(id, listing);
        const transfer = [batch.kinds.buffer as ArrayBuffer, batch.numbers.buffer as ArrayBuffer];
        if (batch.done) close(id);
        port.postMessage(batch, transfer);
        if (batch.done) return;
      }
    } catch (err) {
      fail(id, err);
    }
  };

  port.on('message', (request: ListingRequest) => {
    switch (request.op) {
      case 'open': {
        let dir: Dir;
        try {
          dir = opendirSync(request.real, { bufferSize: 128 });
        } catch (err) {
          fail(request.id, err);
          return;
        }
        listings.set(request.id, { real: request.real, atRoot: request.atRoot, rules: request.rules, seen: new Set(request.skip), dir, credit: WINDOW });
        pump(request.id);
        return;
      }
      case 'more': {
        const listing = listings.get(request.id);
        if (listing === undefined) return;
        listing.credit++;
        pump(request.id);
        return;
      }
      case 'close':
        close(request.id);
    }
  });
}

/** The next batch of visible members, read and `lstat`ed as on the main thread (`directory.ts`), packed. */
function readBatch(id: number, listing: Listing): ListingBatch {
  const { names, done } = readNames(listing.dir, BATCH, listing.atRoot, listing.rules, listing.seen);
  const members = statMembers(listing.real, names, listing.rules);
  const kinds = new Uint8Array(members.length);
  const numbers = new Float64Array(members.length * 3);
  members.forEach(({ facts }, i) => {
    kinds[i] = facts.kind === 'file' ? 1 : 2;
    numbers[i * 3] = facts.size;
    numbers[i * 3 + 1] = facts.modifiedMs;
    numbers[i * 3 + 2] = facts.createdMs;
  });
  return {
    id,
    names: members.map((m) => m.name).join('/'),
    etags: members.map((m) => m.facts.etag).join('/'),
    identities: members.map((m) => m.facts.identity).join('/'),
    kinds,
    numbers,
    count: members.length,
    done,
  };
}

main();
