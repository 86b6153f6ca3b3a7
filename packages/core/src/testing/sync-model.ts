/**
 * The sync model test: random sequences of mutations (put, overwrite, delete,
 * mkcol, recursive delete, move, copy) interleaved with syncs by several
 * simulated clients at both levels, with random limits, some pages taken one
 * at a time between mutations, and a retention small enough that compaction
 * invalidates tokens. After every completed sync, a client's mirror (paths
 * and ETags) must equal what the store holds in its scope.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { StorageAdapter } from '../adapter';
import { SyncEngine } from '../engine';
import { isDavError } from '../errors';
import type { JournalStore, SyncLevel } from '../journal';
import { isWithin, ROOT } from '../paths';

export interface SyncModelSuiteOptions {
  /** Shown in the test names. */
  readonly name: string;
  /** A new, empty store. */
  readonly create: () => StorageAdapter | Promise<StorageAdapter>;
  /** Releases a store made by `create`. */
  readonly cleanup?: (adapter: StorageAdapter) => void | Promise<void>;
  /**
   * A new, empty journal store for each run, so the model can run over any
   * `JournalStore`. The engine closes it at the end of the run. Default: the
   * adapter's own journal (`recordsChangesIn`), else an in-memory one.
   */
  readonly journal?: () => JournalStore | Promise<JournalStore>;
  /** Number of random runs per retention setting; default `DAVSYNC_MODEL_RUNS` or 400. */
  readonly runs?: number;
}

const DIRS = ['/a', '/b', '/a/c'];
const FILES = ['/f', '/g', '/a/f', '/a/g', '/b/f', '/a/c/f', '/a/c/g'];
const ALL = [...DIRS, ...FILES];

type Op =
  | { readonly op: 'put'; readonly path: string; readonly body: string }
  | { readonly op: 'mkcol'; readonly path: string }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly to: string; readonly overwrite: boolean }
  | { readonly op: 'sync'; readonly client: number; readonly limit: number | undefined; readonly pages: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('put' as const), path: fc.constantFrom(...FILES), body: fc.constantFrom('x', 'y', 'zz', '') }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mkcol' as const), path: fc.constantFrom(...DIRS) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), path: fc.constantFrom(...ALL) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constantFrom('move' as const, 'copy' as const),
      from: fc.constantFrom(...ALL),
      to: fc.constantFrom(...ALL),
      overwrite: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('sync' as const),
      client: fc.integer({ min: 0, max: 3 }),
      limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      pages: fc.constantFrom(1, 100),
    }),
  },
);

interface Client {
  readonly collection: string;
  readonly level: SyncLevel;
  token: string | null;
  mirror: Map<string, string>;
  /** True while the client is between pages of an unfinished sync. */
  paging: boolean;
}

/** Everything in the store within a client's scope: path → ETag. */
async function storeView(adapter: StorageAdapter, collection: string, level: SyncLevel): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const root = collection === ROOT ? { collection: true } : await adapter.stat(collection);
  if (root === undefined || !root.collection) return out;
  const walk = async (dir: string): Promise<void> => {
    for await (const e of adapter.list(dir)) {
      out.set(e.path, e.etag);
      if (e.collection && level === 'infinite') await walk(e.path);
    }
  };
  await walk(collection);
  return out;
}

/** One sync request by a client; returns true when the client is complete. */
async function syncPage(engine: SyncEngine, client: Client, limit: number | undefined): Promise<boolean> {
  let set;
  try {
    set = await engine.changes(client.collection, client.token, { level: client.level, ...(limit ? { limit } : {}) });
  } catch (err) {
    if (isDavError(err, 'invalid-sync-token')) {
      // RFC 6578 §3.2: start over with a full sync.
      client.token = null;
      client.mirror = new Map();
      return false;
    }
    if (isDavError(err, 'not-found') || isDavError(err, 'supported-report')) {
      client.token = null;
      client.mirror = new Map();
      client.paging = false;
      return true;
    }
    throw err;
  }
  if (client.token === null) client.mirror = new Map();
  const seen = new Set<string>();
  const removedCollections = set.changes.filter((c) => c.type === 'removed' && c.collection).map((c) => c.path);
  for (const c of set.changes) {
    expect(seen.has(c.path)).toBe(false); // each member at most once
    seen.add(c.path);
    if (c.type === 'removed') {
      // RFC 6578 §3.5.2: a removed collection is reported alone.
      expect(removedCollections.filter((r) => r !== c.path && isWithin(c.path, r))).toEqual([]);
    }
    expect(isWithin(c.path, client.collection) && c.path !== client.collection).toBe(true);
    if (c.type === 'changed') client.mirror.set(c.path, c.etag);
    else if (c.type === 'removed') {
      for (const p of [...client.mirror.keys()]) if (isWithin(p, c.path)) client.mirror.delete(p);
    }
  }
  client.token = set.token;
  client.paging = set.truncated;
  return !set.truncated;
}

/** Runs the sync model against fresh stores made by `create`. */
export function defineSyncModelSuite(options: SyncModelSuiteOptions): void {
  const runs = options.runs ?? (Number(process.env['DAVSYNC_MODEL_RUNS']) || 400);
  describe(`${options.name}: sync model`, () => {
    for (const maxTombstones of [100_000, 3]) {
      it(`every client mirror converges to the store (retention ${maxTombstones} tombstones)`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
            const adapter = await options.create();
            const journal = (await options.journal?.()) ?? adapter.recordsChangesIn;
            const engine = new SyncEngine({ adapter, retention: { maxTombstones }, ...(journal === undefined ? {} : { journal }) });
            const clients: Client[] = [
              { collection: ROOT, level: 'infinite', token: null, mirror: new Map(), paging: false },
              { collection: ROOT, level: 1, token: null, mirror: new Map(), paging: false },
              { collection: '/a', level: 'infinite', token: null, mirror: new Map(), paging: false },
              { collection: '/a', level: 1, token: null, mirror: new Map(), paging: false },
            ];
            try {
              for (const op of [...ops, ...clients.map((_, client) => ({ op: 'sync' as const, client, limit: 2, pages: 100 }))]) {
                if (op.op === 'sync') {
                  const client = clients[op.client] as Client;
                  let done = false;
                  for (let page = 0; page < op.pages && !done; page++) done = await syncPage(engine, client, op.limit);
                  if (done) {
                    const expected = await storeView(adapter, client.collection, client.level);
                    expect(Object.fromEntries(client.mirror)).toEqual(Object.fromEntries(expected));
                  }
                  continue;
                }
                try {
                  await mutate(engine, op);
                } catch (err) {
                  if (!isDavError(err)) throw err; // refused operations are part of the game
                }
              }
              // The final syncs ran with up to 100 pages of 2: every client completed.
              for (const c of clients) expect(c.paging).toBe(false);
            } finally {
              await engine.close();
              await options.cleanup?.(adapter);
            }
          }),
          { numRuns: runs },
        );
      });
    }
  });
}

async function mutate(engine: SyncEngine, op: Exclude<Op, { op: 'sync' }>): Promise<void> {
  switch (op.op) {
    case 'put':
      await engine.write(op.path, (async function* () {
        yield Buffer.from(op.body);
      })());
      return;
    case 'mkcol':
      await engine.mkcol(op.path);
      return;
    case 'remove':
      await engine.remove(op.path);
      return;
    case 'move':
      await engine.move(op.from, op.to, { overwrite: op.overwrite });
      return;
    case 'copy':
      await engine.copy(op.from, op.to, { overwrite: op.overwrite });
      return;
  }
}
