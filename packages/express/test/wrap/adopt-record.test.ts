/**
 * Adopting existing host data, reconciling later, lazy adoption through
 * `list`, the explicit `record` API, the host's report properties, and the
 * journal in the filesystem adapter's durable store.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteJournal } from '@davsync/adapter-fs';
import { dav, multistatus, XML_HEADERS, D, textOf, type Multistatus } from '../support/dav';
import { syncBody } from '../support/server';
import { FakeHost, startWrapped, type Wrapped } from './fake-host';

let w: Wrapped | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const CARD = '{urn:ietf:params:xml:ns:carddav}address-data';
const quoted = (data: string) => `"${FakeHost.etag(data)}"`;

function hostWith(cards: Record<string, string>, books = ['/books/a', '/books/b']): FakeHost {
  const host = new FakeHost();
  host.mkcol('/books');
  for (const b of books) host.mkcol(b);
  for (const [path, data] of Object.entries(cards)) host.put(path, data);
  return host;
}

async function sync(origin: string, path: string, token: string | null = null, props = '<D:getetag/>'): Promise<Multistatus> {
  const r = await dav(`${origin}${path}`, 'REPORT', {
    headers: XML_HEADERS,
    body: syncBody(token, '1', props).replace('<D:sync-collection xmlns:D="DAV:">', '<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'),
  });
  expect(r.status).toBe(207);
  return multistatus(r.text);
}

const etags = (ms: Multistatus): Record<string, string | number> =>
  Object.fromEntries(ms.responses.map((r) => [r.href, r.status ?? textOf(r.prop(D('getetag'))) ?? '']));

describe('adopt', () => {
  it('makes existing collections syncable without re-uploading, then reconciles only the differences', async () => {
    const host = hostWith({ '/books/a/1.vcf': 'one', '/books/a/2.vcf': 'two', '/books/b/3.vcf': 'three' });
    w = await startWrapped({}, host);
    expect(await w.wrap.adopt(host.listing())).toEqual({ collections: 2, changes: 5 });
    const first = await sync(w.origin, '/books/a/');
    expect(etags(first)).toEqual({ '/books/a/1.vcf': quoted('one'), '/books/a/2.vcf': quoted('two') });
    expect(host.writes()).toEqual([]);

    // Nothing changed: nothing recorded, the token stays.
    expect(await w.wrap.adopt(host.listing())).toEqual({ collections: 2, changes: 0 });
    expect((await sync(w.origin, '/books/a/')).syncToken).toBe(first.syncToken);

    // Changed behind davsync's back: added, changed, removed, a collection gone.
    host.put('/books/a/1.vcf', 'one v2');
    host.files.delete('/books/a/2.vcf');
    host.put('/books/a/4.vcf', 'four');
    host.collections.delete('/books/b');
    host.files.delete('/books/b/3.vcf');
    expect((await w.wrap.adopt(host.listing())).changes).toBe(5);
    expect(etags(await sync(w.origin, '/books/a/', first.syncToken ?? null))).toEqual({
      '/books/a/1.vcf': quoted('one v2'),
      '/books/a/2.vcf': 404,
      '/books/a/4.vcf': quoted('four'),
    });
    expect(await w.wrap.log.currentToken('/books/b')).toBeUndefined();
  });

  it('takes a function or an async iterable, and reconciles only within `under`', async () => {
    const host = hostWith({ '/books/a/1.vcf': 'one', '/books/b/3.vcf': 'three' });
    w = await startWrapped({}, host);
    async function* everything() {
      yield* host.listing();
    }
    await w.wrap.adopt(() => everything());
    host.put('/books/b/3.vcf', 'three v2');
    // A partial listing with `under`: /books/a is not touched, let alone removed.
    const result = await w.wrap.adopt(host.listing().filter((m) => m.path.startsWith('/books/b')), { under: '/books/b' });
    expect(result).toEqual({ collections: 1, changes: 1 });
    expect(etags(await sync(w.origin, '/books/a/'))).toEqual({ '/books/a/1.vcf': quoted('one') });
    await expect(w.wrap.adopt([{ path: 'relative' }])).rejects.toThrow(TypeError);
  });

  it('never undoes a write recorded while the listing was being read', async () => {
    const host = hostWith({ '/books/a/1.vcf': 'one', '/books/a/2.vcf': 'two' });
    w = await startWrapped({}, host);
    await w.wrap.adopt(host.listing());
    const stale = host.listing(); // the host's state before the writes below
    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    async function* slowListing() {
      yield stale[0]!;
      await paused;
      yield* stale.slice(1);
    }
    const adoption = w.wrap.adopt(slowListing());
    const origin = w.origin;
    expect((await dav(`${origin}/books/a/1.vcf`, 'PUT', { body: 'one v2' })).status).toBe(204);
    expect((await dav(`${origin}/books/a/2.vcf`, 'DELETE')).status).toBe(204);
    expect((await dav(`${origin}/books/a/3.vcf`, 'PUT', { body: 'three' })).status).toBe(201);
    resume();
    await adoption;
    expect(etags(await sync(origin, '/books/a/'))).toEqual({ '/books/a/1.vcf': quoted('one v2'), '/books/a/3.vcf': quoted('three') });
  });

  it('adopts a tracked collection on first use through `list`, and leaves unknown ones to the host', async () => {
    const host = hostWith({ '/books/a/1.vcf': 'one' });
    const listed: string[] = [];
    w = await startWrapped({ list: (path) => (listed.push(path), host.below(path)) }, host);
    expect(etags(await sync(w.origin, '/books/a/'))).toEqual({ '/books/a/1.vcf': quoted('one') });
    await sync(w.origin, '/books/a/');
    expect(listed).toEqual(['/books/a']);
    const r = await dav(`${w.origin}/books/nope/`, 'REPORT', { headers: XML_HEADERS, body: syncBody(null, '1') });
    expect(listed).toEqual(['/books/a', '/books/nope']);
    expect(r.text).toContain('/echo'); // the host's answer
  });
});

describe('record (changes made outside HTTP)', () => {
  it('records adds, changes and removals the host reports, in tracked and adopted collections only', async () => {
    const host = hostWith({ '/books/a/1.vcf': 'one' });
    w = await startWrapped({}, host);
    await w.wrap.adopt(host.listing().filter((m) => m.path.startsWith('/books/a')), { under: '/books/a' });
    const { syncToken } = await sync(w.origin, '/books/a/');
    const n = await w.wrap.record([
      { path: '/books/a/2.vcf', etag: `"${host.put('/books/a/2.vcf', 'two')}"` },
      { path: '/books/a/1.vcf', etag: host.put('/books/a/1.vcf', 'one v2') },
      { path: '/books/a/1.vcf', removed: true },
      { path: '/elsewhere/x', etag: 'x' }, // not tracked
      { path: '/books/b/9.vcf', etag: 'y' }, // tracked, but never adopted
      { path: '/books/a/never-there.vcf', removed: true }, // nothing to remove
    ]);
    expect(n).toBe(3);
    expect(etags(await sync(w.origin, '/books/a/', syncToken ?? null))).toEqual({ '/books/a/2.vcf': quoted('two'), '/books/a/1.vcf': 404 });
    expect(await w.wrap.record({ path: '/books/c', collection: true })).toBe(1);
    expect((await sync(w.origin, '/books/c/')).hrefs).toEqual([]);
    await expect(w.wrap.record({ path: '../x' })).rejects.toThrow(TypeError);
  });
});

describe('report properties from the host', () => {
  it('fetches requested properties in batches; members the host no longer has are answered from the journal', async () => {
    const cards: Record<string, string> = {};
    for (let i = 1; i <= 5; i++) cards[`/books/a/${i}.vcf`] = `BEGIN:VCARD\r\nFN:Card ${i} & <co>\r\nEND:VCARD\r\n`;
    const host = hostWith(cards);
    const calls: Array<{ paths: string[]; names: readonly string[] }> = [];
    w = await startWrapped(
      {
        propertiesBatchSize: 2,
        properties: (members, names) => {
          calls.push({ paths: members.map((m) => m.path), names });
          const out = new Map<string, Record<string, string | { xml: string } | undefined>>();
          for (const m of members) {
            if (m.path.endsWith('5.vcf')) continue; // gone meanwhile
            out.set(m.path, {
              [CARD]: host.files.get(m.path)?.data,
              '{urn:x}xml': { xml: '<X:xml xmlns:X="urn:x"><X:a>1</X:a></X:xml>' },
            });
          }
          return out;
        },
      },
      host,
    );
    await w.wrap.adopt(host.listing());
    const ms = await sync(w.origin, '/books/a/', null, '<D:getetag/><C:address-data/><X:xml xmlns:X="urn:x"/><D:displayname/>');
    expect(calls.map((c) => c.paths.length)).toEqual([2, 2, 1]);
    expect(calls[0]?.names).toEqual([D('getetag'), CARD, '{urn:x}xml', D('displayname')]);
    const one = ms.get('/books/a/1.vcf');
    expect(one.prop(CARD)?.text).toBe(cards['/books/a/1.vcf']);
    expect(textOf(one.prop(D('getetag')))).toBe(`"${host.files.get('/books/a/1.vcf')?.etag}"`);
    expect(one.prop('{urn:x}xml')?.children[0]?.text).toBe('1');
    expect(one.statusOf(D('displayname'))).toBe(404);
    const five = ms.get('/books/a/5.vcf');
    expect(textOf(five.prop(D('getetag')))).toBe(`"${host.files.get('/books/a/5.vcf')?.etag}"`);
    expect(five.statusOf(CARD)).toBe(404);
  });

  it('answers getetag from the journal alone without calling the host', async () => {
    const host = hostWith({ '/books/a/1.vcf': 'one' });
    let called = 0;
    w = await startWrapped({ properties: () => (called++, new Map()) }, host);
    await w.wrap.adopt(host.listing());
    expect(etags(await sync(w.origin, '/books/a/'))).toEqual({ '/books/a/1.vcf': quoted('one') });
    expect(called).toBe(0);
  });
});

describe('a durable journal', () => {
  it('keeps tokens valid across a restart with SqliteJournal from @davsync/adapter-fs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'davsync-wrap-'));
    try {
      const host = hostWith({ '/books/a/1.vcf': 'one' });
      w = await startWrapped({ journal: SqliteJournal.open(join(dir, 'journal.db')) }, host);
      await w.wrap.adopt(host.listing());
      const { syncToken } = await sync(w.origin, '/books/a/');
      await w.close();

      w = await startWrapped({ journal: SqliteJournal.open(join(dir, 'journal.db')) }, host);
      expect((await w.wrap.adopt(host.listing())).changes).toBe(0);
      await dav(`${w.origin}/books/a/2.vcf`, 'PUT', { body: 'two' });
      expect(etags(await sync(w.origin, '/books/a/', syncToken ?? null))).toEqual({ '/books/a/2.vcf': quoted('two') });
    } finally {
      await w?.close();
      w = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
