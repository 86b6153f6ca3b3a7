/**
 * Two users with different rights on one tree, over real HTTP: random
 * writes and removals (by an admin), grants and revocations of read access
 * (the host's table changes, then it tells the engine), and syncs by each
 * user with random page limits. After every complete sync, the user's
 * mirror must equal exactly the live members they may read, with their
 * current ETags: nothing they may not read, nothing missing, nothing stale.
 *
 * `DAVSYNC_ACCESS_RUNS` sets the number of random histories (default 40).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { startServer, type TestServer } from '../support/server';
import { dav, multistatus, textOf, XML_HEADERS } from '../support/dav';
import { Acl, as, userFromHeader } from './acl';

const RUNS = Number(process.env['DAVSYNC_ACCESS_RUNS']) || 40;
const USERS = ['alice', 'bob'] as const;
type User = (typeof USERS)[number];

/** The tree's possible members: collections end in `/` here only to tell them apart. */
const DIRS = ['/d1', '/d1/s', '/d2'];
const FILES = ['/d1/f1', '/d1/f2', '/d1/s/f3', '/d2/f4', '/f5'];
/** Subtrees access is granted and revoked on. */
const PREFIXES = ['/d1', '/d1/s', '/d2', '/d1/s/f3', '/f5'];

type Op =
  | { kind: 'put'; path: string; content: string }
  | { kind: 'delete'; path: string }
  | { kind: 'grant'; user: User; prefix: string }
  | { kind: 'revoke'; user: User; prefix: string }
  | { kind: 'sync'; user: User; limit: number | undefined };

const userArb = fc.constantFrom(...USERS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), path: fc.constantFrom(...FILES), content: fc.string({ maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...DIRS, ...FILES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('grant' as const), user: userArb, prefix: fc.constantFrom(...PREFIXES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revoke' as const), user: userArb, prefix: fc.constantFrom(...PREFIXES) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), user: userArb, limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) }) },
);

interface Client {
  token: string | null;
  /** path → quoted ETag */
  readonly mirror: Map<string, string>;
  /**
   * Every path the user's rights ever covered in this history: the only
   * names a response to them may carry (a removal of a member they never
   * could read would disclose its name).
   */
  readonly mayKnow: Set<string>;
}

describe('two users, one tree: each sync mirror is exactly what its user may read', () => {
  it('across writes, removals, grants and revocations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const acl = new Acl();
        const s = await startServer({ authorize: acl.authorize, user: userFromHeader });
        try {
          const clients = new Map<User, Client>(USERS.map((u) => [u, { token: null, mirror: new Map(), mayKnow: new Set() }]));
          for (const op of [...ops, ...USERS.map((user): Op => ({ kind: 'sync', user, limit: undefined }))]) {
            await apply(s, acl, clients, op);
            for (const [user, client] of clients) for (const p of [...DIRS, ...FILES]) if (acl.mayRead(user, p)) client.mayKnow.add(p);
          }
        } finally {
          await s.close();
        }
      }),
      { numRuns: RUNS },
    );
  });
});

async function apply(s: TestServer, acl: Acl, clients: Map<User, Client>, op: Op): Promise<void> {
  const admin = (method: string, path: string, body?: string) =>
    dav(`${s.url}${path}`, method, { headers: as('admin'), ...(body === undefined ? {} : { body }) });
  switch (op.kind) {
    case 'put': {
      // Make the parents first, as a client would.
      const parts = op.path.split('/').slice(1, -1);
      for (let i = 1; i <= parts.length; i++) await admin('MKCOL', `/${parts.slice(0, i).join('/')}`);
      const r = await admin('PUT', op.path, op.content);
      expect([201, 204]).toContain(r.status);
      return;
    }
    case 'delete':
      expect([204, 404]).toContain((await admin('DELETE', op.path)).status);
      return;
    case 'grant':
      acl.grantRead(op.user, op.prefix);
      await s.engine.grantAccess([op.prefix]);
      return;
    case 'revoke':
      if (!acl.reads.get(op.user)?.has(op.prefix)) return;
      acl.revokeRead(op.user, op.prefix);
      await s.engine.revokeAccess([op.user], [op.prefix]);
      return;
    case 'sync':
      await syncFully(s, op.user, clients.get(op.user)!, op.limit);
      expect(Object.fromEntries([...clients.get(op.user)!.mirror].sort())).toEqual(await readableState(s, acl, op.user));
      return;
  }
}

/** Syncs `/` at infinite depth, page after page, applying each response as a client would. */
async function syncFully(s: TestServer, user: User, client: Client, limit: number | undefined): Promise<void> {
  const mount = new URL(s.url).pathname.replace(/\/$/, '');
  for (let page = 0; page < 100; page++) {
    const body =
      `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>${client.token ?? ''}</D:sync-token>` +
      `<D:sync-level>infinite</D:sync-level>${limit === undefined ? '' : `<D:limit><D:nresults>${limit}</D:nresults></D:limit>`}` +
      '<D:prop><D:getetag/></D:prop></D:sync-collection>';
    const r = await dav(`${s.url}/`, 'REPORT', { headers: as(user, XML_HEADERS), body });
    expect(r.status).toBe(207);
    const ms = await multistatus(r.text);
    let truncated = false;
    for (const response of ms.responses) {
      const path = decodeURIComponent(response.href).slice(mount.length).replace(/(.)\/$/, '$1');
      const status = response.status ?? response.propstats[0]?.status;
      if (path !== '/') expect({ user, told: path, mayKnow: client.mayKnow.has(path) }).toEqual({ user, told: path, mayKnow: true });
      if (status === 507 && path === '/') truncated = true;
      else if (status === 404) {
        for (const p of [...client.mirror.keys()]) if (p === path || p.startsWith(`${path}/`)) client.mirror.delete(p);
      } else {
        expect(status).toBe(200);
        client.mirror.set(path, textOf(response.prop('{DAV:}getetag')) ?? '');
      }
    }
    client.token = ms.syncToken!;
    if (!truncated) return;
  }
  throw new Error('sync did not finish in 100 pages');
}

/** What `user` may read now: every live member of the store their read grants cover, with its ETag. */
async function readableState(s: TestServer, acl: Acl, user: User): Promise<Record<string, string>> {
  const out: [string, string][] = [];
  for (const path of [...DIRS, ...FILES]) {
    const entry = await s.engine.adapter.stat(path);
    if (entry !== undefined && acl.mayRead(user, path)) out.push([path, `"${entry.etag}"`]);
  }
  return Object.fromEntries(out.sort());
}
