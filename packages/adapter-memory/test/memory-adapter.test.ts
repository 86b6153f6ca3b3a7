/**
 * What the memory adapter promises beyond the conformance kit: how it makes
 * ETags, how it guards its buffers, the choices the contract leaves open,
 * and re-checking a write after its body has streamed.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { bodyOf, COLLECTION, expectDavError, patternBytes, pausedBody, readAll, readText, seed, writeText } from '@davsync/core/testing';

const COLOR = '{urn:davsync:test}color';

afterEach(() => {
  jest.restoreAllMocks();
});

describe('file ETags', () => {
  it('are the same for the same content and media type, wherever and whenever it is written', async () => {
    const adapter = new MemoryAdapter();
    const a = await writeText(adapter, '/a.txt', 'same', 'text/plain');
    const b = await writeText(adapter, '/b.txt', 'same', 'text/plain');
    const again = await writeText(adapter, '/a.txt', 'same', 'text/plain');
    const elsewhere = await writeText(new MemoryAdapter(), '/c.txt', 'same', 'text/plain');
    expect(new Set([a.etag, b.etag, again.etag, elsewhere.etag]).size).toBe(1);
  });

  it('change when only the media type changes', async () => {
    const adapter = new MemoryAdapter();
    const plain = await writeText(adapter, '/a', 'same', 'text/plain');
    const html = await writeText(adapter, '/a', 'same', 'text/html');
    expect(html.etag).not.toBe(plain.etag);
  });

  it('do not change when dead properties change', async () => {
    const adapter = new MemoryAdapter();
    const entry = await writeText(adapter, '/a.txt', 'x');
    await adapter.properties.patch('/a.txt', { [COLOR]: 'red' }, []);
    expect((await adapter.stat('/a.txt'))?.etag).toBe(entry.etag);
  });
});

describe('collection ETags', () => {
  it('change when the collection’s own dead properties change', async () => {
    const adapter = new MemoryAdapter();
    const before = await adapter.mkcol('/d');
    await adapter.properties.patch('/d', { [COLOR]: 'red' }, []);
    const after = (await adapter.stat('/d'))?.etag;
    expect(after).not.toBe(before.etag);
    await adapter.properties.patch('/', { [COLOR]: 'root' }, []);
    expect((await adapter.stat('/d'))?.etag).toBe(after);
  });

  it('do not change when members come and go', async () => {
    const adapter = new MemoryAdapter();
    const before = await adapter.mkcol('/d');
    await writeText(adapter, '/d/f.txt', 'x');
    await adapter.remove('/d/f.txt');
    expect((await adapter.stat('/d'))?.etag).toBe(before.etag);
  });

  it('are new for a re-created collection and for a copy, and kept by a move', async () => {
    const adapter = new MemoryAdapter();
    const first = await adapter.mkcol('/d');
    await adapter.remove('/d');
    const recreated = await adapter.mkcol('/d');
    expect(recreated.etag).not.toBe(first.etag);
    await adapter.copy('/d', '/copy');
    expect((await adapter.stat('/copy'))?.etag).not.toBe(recreated.etag);
    await adapter.move('/d', '/moved');
    expect((await adapter.stat('/moved'))?.etag).toBe(recreated.etag);
  });

  it('differ between two stores', async () => {
    expect((await new MemoryAdapter().stat('/'))?.etag).not.toBe((await new MemoryAdapter().stat('/'))?.etag);
  });
});

describe('dates', () => {
  it('keep the creation date and renew the modification date when content is replaced', async () => {
    const adapter = new MemoryAdapter();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    await writeText(adapter, '/a.txt', 'v1');
    clock.mockReturnValue(2_000_000);
    const entry = await writeText(adapter, '/a.txt', 'v2');
    expect(entry.created?.getTime()).toBe(1_000_000);
    expect(entry.modified?.getTime()).toBe(2_000_000);
  });

  it('are unaffected by a property patch (RFC 4918 §15.7: last-modified follows the content)', async () => {
    const adapter = new MemoryAdapter();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    await writeText(adapter, '/a.txt', 'v1');
    clock.mockReturnValue(2_000_000);
    await adapter.properties.patch('/a.txt', { [COLOR]: 'red' }, []);
    expect((await adapter.stat('/a.txt'))?.modified?.getTime()).toBe(1_000_000);
  });

  it('are copies: changing a returned Date does not change the store', async () => {
    const adapter = new MemoryAdapter();
    const entry = await writeText(adapter, '/a.txt', 'x');
    const original = entry.modified?.getTime();
    entry.modified?.setTime(0);
    expect((await adapter.stat('/a.txt'))?.modified?.getTime()).toBe(original);
  });
});

describe('buffers', () => {
  it('copies body chunks as they arrive, so a producer reusing its buffer cannot change the stored content', async () => {
    const adapter = new MemoryAdapter();
    const reused = Buffer.from('aaaa');
    async function* body(): AsyncGenerator<Uint8Array> {
      yield reused;
      reused.fill('b'.charCodeAt(0));
      yield reused;
    }
    await adapter.write('/a.txt', body());
    expect(await readText(adapter, '/a.txt')).toBe('aaaabbbb');
  });

  it('hands readers copies, so a consumer changing a chunk cannot change the stored content', async () => {
    const adapter = new MemoryAdapter();
    await writeText(adapter, '/a.txt', 'original');
    for await (const chunk of await adapter.read('/a.txt')) chunk.fill(0);
    expect(await readText(adapter, '/a.txt')).toBe('original');
  });

  it('streams large content in pieces of at most 64 KiB', async () => {
    const adapter = new MemoryAdapter();
    const data = patternBytes(300 * 1024, 1);
    await adapter.write('/big', bodyOf(data));
    const sizes: number[] = [];
    for await (const chunk of await adapter.read('/big')) sizes.push(chunk.length);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.length);
  });

  it('clamps a byte range that runs past the end', async () => {
    const adapter = new MemoryAdapter();
    await writeText(adapter, '/a.txt', '0123456789');
    expect(await readText(adapter, '/a.txt', { start: 8, end: 100 })).toBe('89');
  });
});

describe('paths', () => {
  it('normalises the paths it is given', async () => {
    const adapter = new MemoryAdapter();
    await adapter.mkcol('/d/');
    await writeText(adapter, '//d//f.txt', 'x');
    expect(await adapter.stat('/d/f.txt/')).toMatchObject({ path: '/d/f.txt' });
  });

  it('throws bad-request for relative paths and dot segments', async () => {
    const adapter = new MemoryAdapter();
    await expectDavError('bad-request', () => adapter.stat('relative'));
    await expectDavError('bad-request', () => writeText(adapter, '/a/../b', 'x'));
    await expectDavError('bad-request', () => adapter.copy('/', '/./x'));
  });
});

describe('dead properties', () => {
  it('throws bad-request for a malformed Clark name and applies none of the patch', async () => {
    const adapter = new MemoryAdapter();
    await writeText(adapter, '/a.txt', 'x');
    await adapter.properties.patch('/a.txt', { [COLOR]: 'red' }, []);
    await expectDavError('bad-request', () => adapter.properties.patch('/a.txt', { '{urn:x}ok': '1', '{urn:x': '2' }, [COLOR]));
    await expectDavError('bad-request', () => adapter.properties.patch('/a.txt', {}, ['{urn:x}']));
    expect(await adapter.properties.get('/a.txt')).toEqual({ [COLOR]: 'red' });
  });

  it('accepts the empty namespace, written either way', async () => {
    const adapter = new MemoryAdapter();
    await adapter.properties.patch('/', { '{}plain': 'v', bare: 'w' }, []);
    expect(await adapter.properties.get('/')).toEqual({ '{}plain': 'v', bare: 'w' });
  });

  it('sets a name that one patch both removes and sets', async () => {
    const adapter = new MemoryAdapter();
    await adapter.properties.patch('/', { [COLOR]: 'new' }, [COLOR]);
    expect(await adapter.properties.get('/')).toEqual({ [COLOR]: 'new' });
  });

  it('returns a fresh object, so changing it does not change the store', async () => {
    const adapter = new MemoryAdapter();
    await adapter.properties.patch('/', { [COLOR]: 'red' }, []);
    const got = await adapter.properties.get('/');
    got[COLOR] = 'changed';
    expect(await adapter.properties.get('/')).toEqual({ [COLOR]: 'red' });
  });

  it('throws not-found when getting the properties of a missing member', async () => {
    await expectDavError('not-found', () => new MemoryAdapter().properties.get('/missing'));
  });
});

describe('copy and move onto an ancestor of the source', () => {
  for (const kind of ['copy', 'move'] as const) {
    it(`${kind}: throws forbidden rather than deleting the source on the way`, async () => {
      const adapter = new MemoryAdapter();
      await seed(adapter, { '/a': COLLECTION, '/a/b': COLLECTION, '/a/b/f.txt': 'f' });
      await expectDavError('forbidden', () => adapter[kind]('/a/b', '/a'));
      expect(await readText(adapter, '/a/b/f.txt')).toBe('f');
    });
  }
});

describe('writes checked again once the body has streamed', () => {
  async function streamingWrite(adapter: MemoryAdapter, path: string, options?: { expectedEtag?: string | null }) {
    const paused = pausedBody(Buffer.from('first '), Buffer.from('second'));
    const writing = adapter.write(path, paused.body, options);
    await paused.paused;
    return { writing, resume: () => paused.resume() };
  }

  it('throws conflict when the parent was removed meanwhile', async () => {
    const adapter = new MemoryAdapter();
    await adapter.mkcol('/d');
    const { writing, resume } = await streamingWrite(adapter, '/d/f.txt');
    await adapter.remove('/d');
    resume();
    await expectDavError('conflict', () => writing);
    expect(await adapter.stat('/d')).toBeUndefined();
  });

  it('throws method-not-allowed when a collection was created at the path meanwhile', async () => {
    const adapter = new MemoryAdapter();
    const { writing, resume } = await streamingWrite(adapter, '/f');
    await adapter.mkcol('/f');
    resume();
    await expectDavError('method-not-allowed', () => writing);
    expect(await adapter.stat('/f')).toMatchObject({ collection: true });
  });

  it('lets exactly one of two racing compare-and-set writes win', async () => {
    const adapter = new MemoryAdapter();
    const base = await writeText(adapter, '/f', 'base');
    const first = await streamingWrite(adapter, '/f', { expectedEtag: base.etag });
    const second = await streamingWrite(adapter, '/f', { expectedEtag: base.etag });
    first.resume();
    second.resume();
    const outcomes = await Promise.allSettled([first.writing, second.writing]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    await expectDavError('precondition-failed', () => second.writing);
    expect(await readText(adapter, '/f')).toBe('first second');
  });

  it('keeps a member created meanwhile when the write required that none exist', async () => {
    const adapter = new MemoryAdapter();
    const { writing, resume } = await streamingWrite(adapter, '/f', { expectedEtag: null });
    await writeText(adapter, '/f', 'someone else');
    resume();
    await expectDavError('precondition-failed', () => writing);
    expect(await readText(adapter, '/f')).toBe('someone else');
  });
});

describe('list', () => {
  it('iterates over the members as they were when the listing began', async () => {
    const adapter = new MemoryAdapter();
    await seed(adapter, { '/d': COLLECTION, '/d/a': 'a', '/d/b': 'b' });
    const seen: string[] = [];
    for await (const entry of adapter.list('/d')) {
      seen.push(entry.path);
      await writeText(adapter, `/d/added-${seen.length}`, 'x');
    }
    expect(seen).toEqual(['/d/a', '/d/b']);
    expect(await readAll(await adapter.read('/d/added-1'))).toEqual(Buffer.from('x'));
  });
});

describe('reads and listings with an AbortSignal', () => {
  it('a listing stops and a body is destroyed once the signal aborts', async () => {
    const adapter = new MemoryAdapter();
    await adapter.write('/a.txt', bodyOf('aaa'));
    await adapter.write('/b.txt', bodyOf('bbb'));
    const controller = new AbortController();
    const listed: string[] = [];
    await expect(
      (async () => {
        for await (const e of adapter.list('/', { signal: controller.signal })) {
          listed.push(e.path);
          controller.abort(new Error('client gone'));
        }
      })(),
    ).rejects.toThrow('client gone');
    expect(listed).toHaveLength(1);
    const body = await adapter.read('/a.txt', undefined, { signal: AbortSignal.abort() });
    await expect(readAll(body)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
