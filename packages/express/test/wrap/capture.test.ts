/**
 * Change capture over HTTP: a 2xx from the host to PUT, DELETE, MKCOL, MOVE,
 * COPY or PROPPATCH is recorded before the client sees it; a failed request
 * records nothing; a journal that cannot record turns the 2xx into a 500.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { MemoryJournal, type JournalChange } from '@davsync/core';
import { dav, multistatus, XML_HEADERS, D, textOf, type Multistatus } from '../support/dav';
import { syncBody } from '../support/server';
import { FakeHost, startWrapped, type Wrapped } from './fake-host';

let w: Wrapped;
afterEach(async () => {
  await w?.close();
});

async function withBooks(options: Parameters<typeof startWrapped>[0] = {}): Promise<Wrapped> {
  const host = new FakeHost();
  host.mkcol('/books');
  host.mkcol('/books/a');
  host.mkcol('/books/b');
  host.put('/books/a/1.vcf', 'card one');
  host.put('/books/a/2.vcf', 'card two');
  w = await startWrapped(options, host);
  await w.wrap.adopt(host.listing());
  return w;
}

async function sync(path: string, token: string | null = null, level: '1' | 'infinite' = '1'): Promise<Multistatus> {
  const r = await dav(`${w.origin}${path}`, 'REPORT', { headers: XML_HEADERS, body: syncBody(token, level, '<D:getetag/><D:resourcetype/>') });
  expect(r.status).toBe(207);
  return multistatus(r.text);
}

/** The delta as `href → etag`, with removals as 404. */
function delta(ms: Multistatus): Record<string, string | number> {
  return Object.fromEntries(ms.responses.map((r) => [r.href, r.status ?? textOf(r.prop(D('getetag'))) ?? '']));
}

const quoted = (data: string) => `"${FakeHost.etag(data)}"`;

describe('capture of successful writes', () => {
  it('records a PUT with the ETag from the response header', async () => {
    await withBooks();
    const { syncToken } = await sync('/books/a/');
    expect((await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' })).status).toBe(201);
    expect((await dav(`${w.origin}/books/a/1.vcf`, 'PUT', { body: 'one, changed' })).status).toBe(204);
    expect(delta(await sync('/books/a/', syncToken ?? null))).toEqual({ '/books/a/3.vcf': quoted('three'), '/books/a/1.vcf': quoted('one, changed') });
  });

  it('asks etagOf when the header is missing or weak, and records the change even without either', async () => {
    const asked: string[] = [];
    await withBooks({ etagOf: (path) => (asked.push(path), path.endsWith('3.vcf') ? '"from-callback"' : undefined) });
    const { syncToken } = await sync('/books/a/');
    w.host.etagStyle = 'weak';
    await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' });
    w.host.etagStyle = 'none';
    await dav(`${w.origin}/books/a/4.vcf`, 'PUT', { body: 'four' });
    expect(asked).toEqual(['/books/a/3.vcf', '/books/a/4.vcf']);
    // Without any ETag the member is still reported changed (clients re-fetch it).
    expect(delta(await sync('/books/a/', syncToken ?? null))).toEqual({ '/books/a/3.vcf': '"from-callback"', '/books/a/4.vcf': '""' });
  });

  it('records DELETE of a member, and of a whole tracked collection', async () => {
    await withBooks();
    const { syncToken } = await sync('/books/a/');
    expect((await dav(`${w.origin}/books/a/2.vcf`, 'DELETE')).status).toBe(204);
    expect(delta(await sync('/books/a/', syncToken ?? null))).toEqual({ '/books/a/2.vcf': 404 });
    expect((await dav(`${w.origin}/books/a/`, 'DELETE')).status).toBe(204);
    expect(await w.wrap.log.currentToken('/books/a')).toBeUndefined();
    expect((await w.wrap.log.journal.get('/books/a/1.vcf'))?.removed).toBe(true);
    // Re-created, it is a new incarnation: the old token is refused.
    expect((await dav(`${w.origin}/books/a/`, 'MKCOL')).status).toBe(201);
    const r = await dav(`${w.origin}/books/a/`, 'REPORT', { headers: XML_HEADERS, body: syncBody(syncToken ?? null, '1') });
    expect(r.status).toBe(403);
    expect((await sync('/books/a/')).hrefs).toEqual([]);
  });

  it('records DELETE of an untracked collection as removal of the tracked collections in it', async () => {
    await withBooks();
    const { syncToken } = await sync('/books/a/');
    expect((await dav(`${w.origin}/books/`, 'DELETE')).status).toBe(204);
    expect(await w.wrap.log.currentToken('/books/a')).toBeUndefined();
    expect(await w.wrap.log.currentToken('/books/b')).toBeUndefined();
    expect((await w.wrap.log.journal.get('/books/a/2.vcf'))?.removed).toBe(true);
    // The token names a collection that is gone: the host answers (404), not davsync.
    const r = await dav(`${w.origin}/books/a/`, 'PUT', { body: 'x', headers: { if: `</books/a/> (<${syncToken}>)` } });
    expect(r.status).toBe(412);
  });

  it('makes a collection created with MKCOL syncable at once, and reports a sub-collection', async () => {
    await withBooks();
    expect((await dav(`${w.origin}/books/c/`, 'MKCOL')).status).toBe(201);
    const initial = await sync('/books/c/');
    expect(initial.hrefs).toEqual([]);
    expect((await dav(`${w.origin}/books/c/sub/`, 'MKCOL')).status).toBe(201);
    await dav(`${w.origin}/books/c/sub/x.vcf`, 'PUT', { body: 'x' });
    const next = await sync('/books/c/', initial.syncToken ?? null, 'infinite');
    expect(next.hrefs).toEqual(['/books/c/sub/', '/books/c/sub/x.vcf']);
    expect(next.get('/books/c/sub/').prop(D('resourcetype'))?.children[0]?.name).toBe(D('collection'));
  });

  it('records PROPPATCH as a change of the member with its ETag unchanged', async () => {
    await withBooks();
    const { syncToken } = await sync('/books/a/');
    const r = await dav(`${w.origin}/books/a/1.vcf`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>One</D:displayname></D:prop></D:set></D:propertyupdate>',
    });
    expect(r.status).toBe(207);
    expect(delta(await sync('/books/a/', syncToken ?? null))).toEqual({ '/books/a/1.vcf': quoted('card one') });
  });

  it('records MOVE and COPY of members between collections', async () => {
    await withBooks();
    const a = await sync('/books/a/');
    const b = await sync('/books/b/');
    const move = await dav(`${w.origin}/books/a/1.vcf`, 'MOVE', { headers: { destination: `${w.origin}/books/b/moved.vcf` } });
    expect(move.status).toBe(201);
    const copy = await dav(`${w.origin}/books/a/2.vcf`, 'COPY', { headers: { destination: '/books/b/copied.vcf' } });
    expect(copy.status).toBe(201);
    expect(delta(await sync('/books/a/', a.syncToken ?? null))).toEqual({ '/books/a/1.vcf': 404 });
    expect(delta(await sync('/books/b/', b.syncToken ?? null))).toEqual({ '/books/b/moved.vcf': quoted('card one'), '/books/b/copied.vcf': quoted('card two') });
  });

  it('records MOVE of a whole collection: from the journal, or from the host listing when given', async () => {
    await withBooks();
    expect((await dav(`${w.origin}/books/a/`, 'MOVE', { headers: { destination: '/books/z/' } })).status).toBe(201);
    expect(await w.wrap.log.currentToken('/books/a')).toBeUndefined();
    expect(delta(await sync('/books/z/'))).toEqual({ '/books/z/1.vcf': quoted('card one'), '/books/z/2.vcf': quoted('card two') });
    await w.close();

    // With `list`, what the host says is at the destination wins.
    const host = new FakeHost();
    host.mkcol('/books');
    host.mkcol('/books/a');
    host.put('/books/a/1.vcf', 'card one');
    w = await startWrapped({ list: (path) => host.below(path) }, host);
    await w.wrap.adopt(host.listing());
    host.put('/books/a/changed-behind-our-back.vcf', 'sneaky');
    expect((await dav(`${w.origin}/books/a/`, 'MOVE', { headers: { destination: '/books/y/' } })).status).toBe(201);
    expect(delta(await sync('/books/y/'))).toEqual({ '/books/y/1.vcf': quoted('card one'), '/books/y/changed-behind-our-back.vcf': quoted('sneaky') });
  });
});

describe('what is not recorded', () => {
  it('records nothing when the host refuses the write', async () => {
    await withBooks();
    const before = await sync('/books/a/');
    w.host.failNext = 500;
    expect((await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' })).status).toBe(500);
    w.host.failNext = 412;
    expect((await dav(`${w.origin}/books/a/1.vcf`, 'DELETE')).status).toBe(412);
    expect((await dav(`${w.origin}/books/a/missing/x.vcf`, 'PUT', { body: 'x' })).status).toBe(409);
    expect((await dav(`${w.origin}/books/a/`, 'MKCOL')).status).toBe(405);
    const after = await sync('/books/a/', before.syncToken ?? null);
    expect(after.hrefs).toEqual([]);
    expect(after.syncToken).toBe(before.syncToken);
  });

  it('records nothing outside tracked collections, nor in one not adopted yet', async () => {
    const host = new FakeHost();
    host.mkcol('/books');
    host.mkcol('/books/a');
    host.mkcol('/other');
    w = await startWrapped({}, host);
    const head = async () => (await w.wrap.log.journal.scan('/', 'infinite', 0, Number.MAX_SAFE_INTEGER)[Symbol.asyncIterator]().next()).value;
    await dav(`${w.origin}/other/x.txt`, 'PUT', { body: 'x' });
    await dav(`${w.origin}/books/a/1.vcf`, 'PUT', { body: 'one' });
    expect(await head()).toBeUndefined();
    // Not adopted: its sync REPORT is the host's (which does not do sync).
    const r = await dav(`${w.origin}/books/a/`, 'REPORT', { headers: XML_HEADERS, body: syncBody(null, '1') });
    expect(w.host.seen.at(-1)?.method).toBe('REPORT');
    expect(r.text).toContain('/echo');
  });
});

describe('durability of capture', () => {
  /** A journal whose commits take a while, logging when they finish. */
  class SlowJournal extends MemoryJournal {
    readonly log: string[] = [];
    override async commit(changes: readonly JournalChange[]): Promise<number> {
      await new Promise((r) => setTimeout(r, 100));
      const revision = await super.commit(changes);
      this.log.push(`committed ${changes.map((c) => c.path).join(',')}`);
      return revision;
    }
  }

  it('sends the host 2xx only after the change is committed to the journal', async () => {
    const journal = new SlowJournal();
    await withBooks({ journal });
    const put = dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' }).then((r) => {
      journal.log.push(`answered ${r.status}`);
    });
    await put;
    expect(journal.log.slice(-2)).toEqual(['committed /books/a/3.vcf', 'answered 201']);
  });

  it('answers 503 with Retry-After when a sync-token precondition waits too long for writes being recorded', async () => {
    const journal = new SlowJournal();
    const errors: unknown[] = [];
    await withBooks({ journal, preconditionWaitMs: 20, onError: (e) => errors.push(e) });
    const { syncToken } = await sync('/books/a/');
    const put = dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' });
    await new Promise((r) => setTimeout(r, 30)); // the first PUT is being recorded (100 ms)
    const r = await dav(`${w.origin}/books/a/4.vcf`, 'PUT', { body: 'four', headers: { if: `</books/a/> (<${syncToken}>)` } });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.headers.get('x-davsync-reason')).toMatch(/still being recorded/);
    expect(w.host.files.has('/books/a/4.vcf')).toBe(false); // the host never saw it
    expect((await put).status).toBe(201);
    expect(errors).toEqual([]); // a busy collection is not a failure to report
  });

  /** A journal that fails every commit once switched on. */
  class BrokenJournal extends MemoryJournal {
    broken = false;
    override async commit(changes: readonly JournalChange[]): Promise<number> {
      if (this.broken) throw new Error('disk on fire');
      return super.commit(changes);
    }
  }

  it('answers 500 instead of the host 2xx when the change cannot be recorded (recordFailure: fail)', async () => {
    const journal = new BrokenJournal();
    const errors: unknown[] = [];
    await withBooks({ journal, onError: (e) => errors.push(e) });
    journal.broken = true;
    const r = await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' });
    expect(r.status).toBe(500);
    expect(r.headers.get('etag')).toBeNull();
    expect(r.headers.get('x-davsync-reason')).toMatch(/could not be recorded/);
    expect(w.host.files.has('/books/a/3.vcf')).toBe(true); // the host did make it
    expect(String(errors[0])).toMatch(/disk on fire/);
  });

  it('passes the host 2xx on and reports the error with recordFailure: log', async () => {
    const journal = new BrokenJournal();
    const errors: unknown[] = [];
    await withBooks({ journal, onError: (e) => errors.push(e), recordFailure: 'log' });
    journal.broken = true;
    const r = await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' });
    expect(r.status).toBe(201);
    expect(r.headers.get('etag')).toBe(quoted('three'));
    expect(errors).toHaveLength(1);
  });
});

describe('change events in wrap mode', () => {
  it('fire once per recorded commit — captured writes, record() and adoption — with the collections whose token changed', async () => {
    await withBooks();
    expect(w.wrap.engine).toBe(w.wrap.log); // the former name still works
    const seen: Array<{ paths: readonly string[]; collections: readonly string[] }> = [];
    const stop = w.wrap.log.onChange(({ paths, collections }) => seen.push({ paths, collections }));
    await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' });
    expect(seen[0]).toEqual({ paths: ['/books/a/3.vcf'], collections: ['/', '/books', '/books/a', '/books/a/3.vcf'] });
    await w.wrap.record({ path: '/books/b/x.vcf', etag: '"x"' });
    expect(seen.map((s) => s.paths).slice(-1)).toEqual([['/books/b/x.vcf']]);
    const before = seen.length;
    w.host.put('/books/b/y.vcf', 'behind davsync');
    await w.wrap.adopt(w.host.listing());
    // One commit: the host's new member, and the recorded one its listing lacks.
    expect(seen.slice(before).map((s) => s.paths)).toEqual([['/books/b/y.vcf', '/books/b/x.vcf']]);
    stop();
    await w.wrap.record({ path: '/books/b/z.vcf', etag: '"z"' });
    expect(seen.flatMap((s) => s.paths)).not.toContain('/books/b/z.vcf');
  });
});
