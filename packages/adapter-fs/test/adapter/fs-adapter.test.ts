/**
 * What the filesystem adapter promises beyond the conformance kit: media
 * types, the internal property, the state directory's life cycle, its view
 * of files made by other programs, compare-and-set under concurrency, the
 * cross-mount MOVE fallback, and error mapping.
 */
import { chmodSync, existsSync, mkdirSync, promises as fsp, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DavError, isDavError } from '@davsync/core';
import { FsAdapter, contentTypeFor } from '@davsync/adapter-fs';
import { bodyOf, COLLECTION, readAll, expectDavError, listAll, pausedBody, readText, seed, snapshot, writeText } from '@davsync/core/testing';
import { CONTENT_TYPE_PROPERTY } from '../../src/properties/dead-properties';
import { toDavError } from '../../src/paths/fs-errors';
import { MemoryPropertyTable } from '../support/memory-property-table';
import { removeTemp, tempDir, tempStore, type TempStore } from '../support/temp-store';

const COLOR = '{urn:davsync:test}color';

let store: TempStore;

beforeEach(async () => {
  store = await tempStore();
});

afterEach(async () => {
  jest.restoreAllMocks();
  await removeTemp(store.dir);
});

describe('contentTypeFor', () => {
  it('maps the extensions sync clients use, case-insensitively', () => {
    expect(contentTypeFor('/contacts/alice.vcf')).toBe('text/vcard');
    expect(contentTypeFor('/cal/event.ICS')).toBe('text/calendar');
    expect(contentTypeFor('notes.txt')).toBe('text/plain');
    expect(contentTypeFor('/a/page.html')).toBe('text/html');
    expect(contentTypeFor('/data.json')).toBe('application/json');
    expect(contentTypeFor('/photo.JPG')).toBe('image/jpeg');
    expect(contentTypeFor('/doc.pdf')).toBe('application/pdf');
  });

  it('falls back to application/octet-stream', () => {
    for (const name of ['/noext', '/archive.unknownext', '/.hidden', '/dir.d/file', '/trailing.']) {
      expect(contentTypeFor(name)).toBe('application/octet-stream');
    }
  });
});

describe('media types', () => {
  it('come from the extension for files written without one, and for files other programs made', async () => {
    expect(await store.adapter.write('/a.vcf', bodyOf('BEGIN:VCARD'))).toMatchObject({ contentType: 'text/vcard' });
    writeFileSync(join(store.root, 'b.ics'), 'BEGIN:VCALENDAR');
    expect(await store.adapter.stat('/b.ics')).toMatchObject({ contentType: 'text/calendar' });
    expect(store.table.rows.size).toBe(0);
  });

  it('keep a PUT media type that differs from the extension, in the property table, across a restart', async () => {
    await writeText(store.adapter, '/a.txt', 'x', 'text/plain; charset=utf-8');
    expect(store.table.rows.get('/a.txt')?.get(CONTENT_TYPE_PROPERTY)).toBe('text/plain; charset=utf-8');
    const again = new FsAdapter({ root: store.root, properties: store.table });
    expect(await again.stat('/a.txt')).toMatchObject({ contentType: 'text/plain; charset=utf-8' });
    expect(await listAll(again, '/')).toEqual([expect.objectContaining({ contentType: 'text/plain; charset=utf-8' })]);
  });

  it('store nothing when the PUT media type is the one the extension implies', async () => {
    await writeText(store.adapter, '/a.txt', 'x', 'text/plain');
    expect(store.table.rows.size).toBe(0);
  });

  it('go back to the extension when a later PUT names none', async () => {
    await writeText(store.adapter, '/a.txt', 'x', 'text/x-special');
    expect(await store.adapter.write('/a.txt', bodyOf('y'))).toMatchObject({ contentType: 'text/plain' });
    expect(await store.adapter.stat('/a.txt')).toMatchObject({ contentType: 'text/plain' });
  });

  it('are hidden from the dead properties and cannot be set or removed through them', async () => {
    await writeText(store.adapter, '/a.txt', 'x', 'text/x-special');
    await store.adapter.properties.patch('/a.txt', { [COLOR]: 'red' }, []);
    expect(await store.adapter.properties.get('/a.txt')).toEqual({ [COLOR]: 'red' });
    for (const attempt of [
      () => store.adapter.properties.patch('/a.txt', { [CONTENT_TYPE_PROPERTY]: 'text/html' }, []),
      () => store.adapter.properties.patch('/a.txt', {}, [CONTENT_TYPE_PROPERTY]),
      () => store.adapter.properties.patch('/a.txt', { [COLOR]: 'blue', '{urn:x-davsync:fs}other': 'x' }, []),
    ]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DavError);
      expect(err).toMatchObject({ code: 'forbidden', condition: 'cannot-modify-protected-property' });
    }
    expect(await store.adapter.properties.get('/a.txt')).toEqual({ [COLOR]: 'red' });
    expect(await store.adapter.stat('/a.txt')).toMatchObject({ contentType: 'text/x-special' });
  });

  it('follow a file on copy and move, and go with it on remove', async () => {
    await writeText(store.adapter, '/a.txt', 'x', 'text/x-special');
    await store.adapter.copy('/a.txt', '/b.txt');
    await store.adapter.move('/a.txt', '/c.txt');
    expect(await store.adapter.stat('/b.txt')).toMatchObject({ contentType: 'text/x-special' });
    expect(await store.adapter.stat('/c.txt')).toMatchObject({ contentType: 'text/x-special' });
    await store.adapter.remove('/c.txt');
    await store.adapter.remove('/b.txt');
    expect(store.table.rows.size).toBe(0);
  });
});

describe('dead properties', () => {
  it('start empty on a new member even when the table still has rows for its path', async () => {
    await store.table.patch('/stale.txt', { [COLOR]: 'stale' }, []);
    await store.table.patch('/stale-dir/member', { [COLOR]: 'stale' }, []);
    await writeText(store.adapter, '/stale.txt', 'new');
    await store.adapter.mkcol('/stale-dir');
    expect(await store.adapter.properties.get('/stale.txt')).toEqual({});
    expect(store.table.rows.size).toBe(0);
  });

  it('are kept for a collection alone on a depth-0 copy', async () => {
    await seed(store.adapter, { '/d': COLLECTION, '/d/f.txt': 'f' });
    await store.adapter.properties.patch('/d', { [COLOR]: 'dir' }, []);
    await store.adapter.properties.patch('/d/f.txt', { [COLOR]: 'file' }, []);
    await store.adapter.copy('/d', '/e', { depth: 0 });
    expect(await store.adapter.properties.get('/e')).toEqual({ [COLOR]: 'dir' });
    expect([...store.table.rows.keys()].sort()).toEqual(['/d', '/d/f.txt', '/e']);
  });

  it('refuse names that are not Clark notation with bad-request, changing nothing', async () => {
    await writeText(store.adapter, '/a.txt', 'x');
    await expectDavError('bad-request', () => store.adapter.properties.patch('/a.txt', { [COLOR]: 'red', '{unclosed': 'x' }, []));
    expect(await store.adapter.properties.get('/a.txt')).toEqual({});
  });

  it('are not-found for a missing member, in get as in patch', async () => {
    await expectDavError('not-found', () => store.adapter.properties.get('/missing'));
    await expectDavError('not-found', () => store.adapter.properties.patch('/missing', { [COLOR]: 'x' }, []));
    expect(store.table.rows.size).toBe(0);
  });
});

describe('files made by other programs', () => {
  it('keep their permission bits when a client replaces them', async () => {
    if (process.platform === 'win32') return;
    writeFileSync(join(store.root, 'private.txt'), 'secret', { mode: 0o600 });
    chmodSync(join(store.root, 'private.txt'), 0o600);
    await writeText(store.adapter, '/private.txt', 'updated secret');
    expect(statSync(join(store.root, 'private.txt')).mode & 0o777).toBe(0o600);
  });

  it('are members like any other', async () => {
    mkdirSync(join(store.root, 'dir'));
    writeFileSync(join(store.root, 'dir', 'note.txt'), 'from elsewhere');
    expect(await snapshot(store.adapter, '/')).toEqual({ dir: COLLECTION, 'dir/note.txt': 'from elsewhere' });
    expect(await store.adapter.stat('/dir/note.txt')).toMatchObject({ size: 14, collection: false, modified: expect.any(Date) });
  });
});

describe('the state directory', () => {
  it('is emptied of what a crash left in tmp/ and trash/ when the adapter starts', async () => {
    const state = join(store.root, '.davsync');
    writeFileSync(join(state, 'tmp', 'put-leftover'), 'half a body');
    mkdirSync(join(state, 'trash', 'gone-leftover', 'deep'), { recursive: true });
    writeFileSync(join(state, 'keep.db'), 'not ours to touch');
    await new FsAdapter({ root: store.root, properties: store.table }).ready();
    expect(readdirSync(join(state, 'tmp'))).toEqual([]);
    expect(readdirSync(join(state, 'trash'))).toEqual([]);
    expect(readdirSync(state).sort()).toEqual(['keep.db', 'tmp', 'trash']);
  });

  it('holds nothing after writes, copies, moves and removes', async () => {
    await seed(store.adapter, { '/d': COLLECTION, '/d/a.txt': 'a', '/d/sub': COLLECTION, '/d/sub/b.txt': 'b', '/e': COLLECTION });
    await store.adapter.copy('/d', '/e');
    await store.adapter.move('/e', '/d');
    await store.adapter.copy('/d', '/f', { depth: 0 });
    await store.adapter.remove('/d');
    await expectDavError('method-not-allowed', () => writeText(store.adapter, '/f', 'f is a collection'));
    expect(readdirSync(join(store.root, '.davsync', 'tmp'))).toEqual([]);
    expect(readdirSync(join(store.root, '.davsync', 'trash'))).toEqual([]);
  });

  it('is rejected by ready() when it is nested deeper inside the root, or is or contains the root', async () => {
    const table = new MemoryPropertyTable();
    const withState = (stateDir: string): Promise<void> => new FsAdapter({ root: store.root, stateDir, properties: table }).ready();
    await expect(withState(join(store.root, 'a', 'state'))).rejects.toThrow(/direct member/);
    await expect(withState(store.root)).rejects.toThrow(/cannot be the root/);
    await expect(withState(store.dir)).rejects.toThrow(/contain it/);
  });
});

describe('configuration', () => {
  it('rejects a missing root or a root that is a file at ready(), and works once the root exists', async () => {
    const dir = tempDir();
    try {
      const root = join(dir, 'later');
      const adapter = new FsAdapter({ root, stateDir: join(dir, 'state'), properties: new MemoryPropertyTable() });
      await expect(adapter.ready()).rejects.toThrow(/root directory/);
      mkdirSync(root);
      await writeText(adapter, '/a.txt', 'now');
      expect(await readText(adapter, '/a.txt')).toBe('now');
      writeFileSync(join(dir, 'file'), 'x');
      const onFile = new FsAdapter({ root: join(dir, 'file'), stateDir: join(dir, 's2'), properties: new MemoryPropertyTable() });
      await expect(onFile.ready()).rejects.toThrow(/not a directory/);
    } finally {
      await removeTemp(dir);
    }
  });

  it('rejects bad options in the constructor', () => {
    const table = new MemoryPropertyTable();
    expect(() => new FsAdapter({ root: '', properties: table })).toThrow(TypeError);
    expect(() => new FsAdapter({ root: '/x', stateDir: '', properties: table })).toThrow(TypeError);
    expect(() => new FsAdapter({ root: '/x' } as never)).toThrow(TypeError);
  });

  it('exposes the root and state directory it was given, resolved', () => {
    const adapter = new FsAdapter({ root: store.root, properties: store.table });
    expect(adapter.root).toBe(store.root);
    expect(adapter.stateDir).toBe(join(store.root, '.davsync'));
  });
});

describe('compare-and-set', () => {
  it('lets exactly one of several concurrent writes with the same expected ETag win', async () => {
    const first = await writeText(store.adapter, '/f.txt', 'v0');
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.adapter.write('/f.txt', bodyOf(`v${i + 1}`), { expectedEtag: first.etag })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const r of lost) expect(isDavError((r as PromiseRejectedResult).reason, 'precondition-failed')).toBe(true);
    const entry = (won[0] as PromiseFulfilledResult<{ etag: string }>).value;
    expect((await store.adapter.stat('/f.txt'))?.etag).toBe(entry.etag);
  });

  it('lets exactly one of several concurrent creations with expectedEtag null win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => store.adapter.write('/new.txt', bodyOf(`n${i}`), { expectedEtag: null })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('keeps overwrite: false exact for concurrent copies to one destination', async () => {
    await seed(store.adapter, { '/a.txt': 'a', '/b.txt': 'b' });
    const results = await Promise.allSettled([
      store.adapter.copy('/a.txt', '/dest.txt', { overwrite: false }),
      store.adapter.copy('/b.txt', '/dest.txt', { overwrite: false }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('writes re-checked after the body has streamed', () => {
  const tmpOf = (): string[] => readdirSync(join(store.root, '.davsync', 'tmp'));

  it('fail with precondition-failed when the file changed meanwhile, and discard the staged body', async () => {
    const first = await writeText(store.adapter, '/f.txt', 'v1');
    const paused = pausedBody(Buffer.from('stale '), Buffer.from('update'));
    const writing = store.adapter.write('/f.txt', paused.body, { expectedEtag: first.etag });
    await paused.paused;
    await writeText(store.adapter, '/f.txt', 'v2 by someone else');
    paused.resume();
    await expectDavError('precondition-failed', () => writing);
    expect(await readText(store.adapter, '/f.txt')).toBe('v2 by someone else');
    expect(tmpOf()).toEqual([]);
  });

  it('fail with method-not-allowed when a collection appeared at the path meanwhile', async () => {
    const paused = pausedBody(Buffer.from('half '), Buffer.from('body'));
    const writing = store.adapter.write('/x', paused.body);
    await paused.paused;
    await store.adapter.mkcol('/x');
    paused.resume();
    await expectDavError('method-not-allowed', () => writing);
    expect(await store.adapter.stat('/x')).toMatchObject({ collection: true });
    expect(tmpOf()).toEqual([]);
  });

  it('fail with conflict when the parent was removed meanwhile', async () => {
    await store.adapter.mkcol('/d');
    const paused = pausedBody(Buffer.from('half '), Buffer.from('body'));
    const writing = store.adapter.write('/d/f.txt', paused.body);
    await paused.paused;
    await store.adapter.remove('/d');
    paused.resume();
    await expectDavError('conflict', () => writing);
    expect(await store.adapter.stat('/d')).toBeUndefined();
    expect(tmpOf()).toEqual([]);
  });
});

describe('move across mounts', () => {
  it('falls back to copy and delete when rename reports EXDEV', async () => {
    await seed(store.adapter, {
      '/src': COLLECTION,
      '/src/a.txt': 'a',
      '/src/sub': COLLECTION,
      '/src/sub/b.txt': 'b',
      '/dst': COLLECTION,
      '/dst/old.txt': 'old',
    });
    await store.adapter.properties.patch('/src/sub/b.txt', { [COLOR]: 'blue' }, []);
    const real = fsp.rename;
    let refused = 0;
    jest.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      // Refuse the one rename that crosses from the source into the tree.
      if (String(from) === join(store.root, 'src') && refused === 0) {
        refused += 1;
        throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
      }
      return real(from, to);
    });
    expect(await store.adapter.move('/src', '/dst')).toEqual({ created: false });
    expect(refused).toBe(1);
    expect(await store.adapter.stat('/src')).toBeUndefined();
    expect(await snapshot(store.adapter, '/dst')).toEqual({ 'a.txt': 'a', sub: COLLECTION, 'sub/b.txt': 'b' });
    expect(await store.adapter.properties.get('/dst/sub/b.txt')).toEqual({ [COLOR]: 'blue' });
    expect(readdirSync(join(store.root, '.davsync', 'tmp'))).toEqual([]);
  });
});

describe('errors', () => {
  it('map Node error codes to DavErrors and pass unknown ones through', () => {
    const sys = (code: string): Error => Object.assign(new Error(`${code}: something at ${store.root}/x`), { code });
    const cases: Record<string, string> = {
      EACCES: 'forbidden',
      EPERM: 'forbidden',
      EROFS: 'forbidden',
      ELOOP: 'forbidden',
      ENOSPC: 'insufficient-storage',
      EDQUOT: 'insufficient-storage',
      ENAMETOOLONG: 'bad-request',
      EMFILE: 'unavailable',
    };
    for (const [code, davCode] of Object.entries(cases)) {
      const mapped = toDavError(sys(code), '/x');
      expect({ code, mapped: (mapped as DavError).code }).toEqual({ code, mapped: davCode });
      // The real path of the root never reaches a client.
      expect((mapped as DavError).message).not.toContain(store.root);
    }
    const odd = sys('EWEIRD');
    expect(toDavError(odd, '/x')).toBe(odd);
    const plain = new Error('not a system error');
    expect(toDavError(plain, '/x')).toBe(plain);
  });

  it('never name the real root in what a client sees', async () => {
    symlinkSync('/', join(store.root, 'link'));
    const attempts = [
      () => store.adapter.read('/link'),
      () => store.adapter.write('/missing/a.txt', bodyOf('x')),
      () => store.adapter.mkcol('/.davsync'),
      () => store.adapter.remove('/missing'),
      () => store.adapter.copy('/missing', '/x'),
      () => store.adapter.stat(`/${'n'.repeat(300)}`),
    ];
    for (const attempt of attempts) {
      const err = await attempt().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DavError);
      expect((err as DavError).message).not.toContain(store.dir);
    }
  });
});

describe('reads', () => {
  it('serve byte ranges from the file', async () => {
    await writeText(store.adapter, '/r.txt', '0123456789');
    expect(await readText(store.adapter, '/r.txt', { start: 3, end: 6 })).toBe('3456');
    expect(await readText(store.adapter, '/r.txt', { start: 8 })).toBe('89');
  });

  it('finish with the version they opened when the file is replaced or removed meanwhile', async () => {
    const old = Buffer.alloc(1024 * 1024, 1);
    await store.adapter.write('/f.bin', bodyOf(old));
    const reading = (await store.adapter.read('/f.bin'))[Symbol.asyncIterator]();
    const first = await reading.next();
    await store.adapter.write('/f.bin', bodyOf(Buffer.alloc(1024 * 1024, 2)));
    await store.adapter.remove('/f.bin');
    const chunks = [Buffer.from(first.value as Uint8Array)];
    for (let step = await reading.next(); step.done !== true; step = await reading.next()) chunks.push(Buffer.from(step.value));
    expect(Buffer.concat(chunks).equals(old)).toBe(true);
  });
});

describe('removal', () => {
  it('takes a collection out of the tree in one step and leaves no trace', async () => {
    await seed(store.adapter, { '/d': COLLECTION, '/d/a': COLLECTION, '/d/a/f.txt': 'f' });
    await store.adapter.remove('/d');
    expect(existsSync(join(store.root, 'd'))).toBe(false);
    expect(readdirSync(join(store.root, '.davsync', 'trash'))).toEqual([]);
  });
});

describe('reads and listings with an AbortSignal', () => {
  it('a listing stops at the next batch and a read is destroyed once the signal aborts', async () => {
    const adapter = store.adapter;
    await adapter.mkcol('/many');
    for (let i = 0; i < 300; i++) await writeText(adapter, `/many/f${i}.txt`, 'x');
    const controller = new AbortController();
    let listed = 0;
    await expect(
      (async () => {
        for await (const batch of adapter.listBatches('/many', { signal: controller.signal })) {
          listed += batch.length;
          controller.abort(new Error('client gone'));
        }
      })(),
    ).rejects.toThrow('client gone');
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(300);
    const body = await adapter.read('/many/f0.txt', undefined, { signal: AbortSignal.abort() });
    await expect(readAll(body)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
