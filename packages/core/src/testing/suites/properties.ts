/**
 * Dead properties (RFC 4918 §4, §9.2 PROPPATCH): stored per member under
 * their Clark names, patched atomically, kept when the content is replaced
 * (§9.7.1), gone with the member. The whole suite is skipped for adapters
 * without a `properties` store.
 */
import { expect } from '@jest/globals';
import { expectDavError } from '../assertions';
import type { Harness } from '../harness';
import { COLLECTION, seed, writeText } from '../tree';

const NS = '{urn:davsync:test}';
const COLOR = `${NS}color`;
const SIZE = `${NS}size`;

export function propertiesSuite(t: Harness): void {
  t.testProperties('has no dead properties on a new file, collection or the root', async (adapter, props) => {
    await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'f' });
    expect(await props.get('/d')).toEqual({});
    expect(await props.get('/d/f.txt')).toEqual({});
    expect(await props.get('/')).toEqual({});
  });

  t.testProperties('stores and returns several dead properties of a file', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'f');
    const xmlValue = '<x:item xmlns:x="urn:x">a &amp; b</x:item>';
    await props.patch('/f.txt', { [COLOR]: 'red', [SIZE]: xmlValue, '{DAV:}displayname': 'Ünïcødé ☃' }, []);
    expect(await props.get('/f.txt')).toEqual({ [COLOR]: 'red', [SIZE]: xmlValue, '{DAV:}displayname': 'Ünïcødé ☃' });
  });

  t.testProperties('stores dead properties on collections and on the root', async (adapter, props) => {
    await adapter.mkcol('/d');
    await props.patch('/d', { [COLOR]: 'green' }, []);
    await props.patch('/', { [COLOR]: 'root' }, []);
    expect(await props.get('/d')).toEqual({ [COLOR]: 'green' });
    expect(await props.get('/')).toEqual({ [COLOR]: 'root' });
  });

  t.testProperties('keeps an empty string value apart from an absent property', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'f');
    await props.patch('/f.txt', { [COLOR]: '' }, []);
    expect(await props.get('/f.txt')).toEqual({ [COLOR]: '' });
  });

  t.testProperties('replaces the value of an existing property and keeps the others', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'f');
    await props.patch('/f.txt', { [COLOR]: 'red', [SIZE]: 'L' }, []);
    await props.patch('/f.txt', { [COLOR]: 'blue' }, []);
    expect(await props.get('/f.txt')).toEqual({ [COLOR]: 'blue', [SIZE]: 'L' });
  });

  t.testProperties('removes properties, and removing an absent one is not an error', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'f');
    await props.patch('/f.txt', { [COLOR]: 'red', [SIZE]: 'L' }, []);
    await props.patch('/f.txt', {}, [COLOR, `${NS}never-set`]);
    expect(await props.get('/f.txt')).toEqual({ [SIZE]: 'L' });
  });

  t.testProperties('applies the sets and removals of one patch together', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'f');
    await props.patch('/f.txt', { [COLOR]: 'red' }, []);
    await props.patch('/f.txt', { [SIZE]: 'XL' }, [COLOR]);
    expect(await props.get('/f.txt')).toEqual({ [SIZE]: 'XL' });
  });

  t.testProperties('keeps names that differ only in namespace or case apart', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'f');
    await props.patch('/f.txt', { '{urn:a}name': 'a', '{urn:b}name': 'b', '{urn:a}Name': 'A' }, []);
    await props.patch('/f.txt', {}, ['{urn:b}name']);
    expect(await props.get('/f.txt')).toEqual({ '{urn:a}name': 'a', '{urn:a}Name': 'A' });
  });

  t.testProperties('never shows a reader half of a patch while patches race', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'f');
    await props.patch('/f.txt', { [COLOR]: '0', [SIZE]: '0' }, []);
    const seen: Record<string, string>[] = [];
    const work: Promise<unknown>[] = [];
    for (let i = 1; i <= 20; i++) {
      work.push(props.patch('/f.txt', { [COLOR]: String(i), [SIZE]: String(i) }, []));
      work.push(props.get('/f.txt').then((p) => seen.push(p)));
    }
    await Promise.all(work);
    const final = await props.get('/f.txt');
    for (const p of [...seen, final]) expect(p[COLOR]).toBe(p[SIZE]);
    expect(seen).toHaveLength(20);
  });

  t.testProperties('throws not-found when patching a missing member', async (adapter, props) => {
    await expectDavError('not-found', () => props.patch('/missing', { [COLOR]: 'red' }, []));
    expect(await adapter.stat('/missing')).toBeUndefined();
  });

  t.testProperties('keeps dead properties when the content of a file is replaced', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'v1');
    await props.patch('/f.txt', { [COLOR]: 'red' }, []);
    await writeText(adapter, '/f.txt', 'v2');
    expect(await props.get('/f.txt')).toEqual({ [COLOR]: 'red' });
  });

  t.testProperties('forgets the dead properties of a removed member', async (adapter, props) => {
    await writeText(adapter, '/f.txt', 'f');
    await props.patch('/f.txt', { [COLOR]: 'red' }, []);
    await adapter.remove('/f.txt');
    await writeText(adapter, '/f.txt', 'again');
    expect(await props.get('/f.txt')).toEqual({});
  });

  t.testProperties('forgets the dead properties of members removed with their collection', async (adapter, props) => {
    await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'f' });
    await props.patch('/d', { [COLOR]: 'dir' }, []);
    await props.patch('/d/f.txt', { [COLOR]: 'file' }, []);
    await adapter.remove('/d');
    await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'f' });
    expect(await props.get('/d')).toEqual({});
    expect(await props.get('/d/f.txt')).toEqual({});
  });

  t.testProperties('leaves no dead properties behind at the source path of a move', async (adapter, props) => {
    await writeText(adapter, '/a.txt', 'a');
    await props.patch('/a.txt', { [COLOR]: 'red' }, []);
    await adapter.move('/a.txt', '/b.txt');
    await writeText(adapter, '/a.txt', 'new a');
    expect(await props.get('/a.txt')).toEqual({});
    expect(await props.get('/b.txt')).toEqual({ [COLOR]: 'red' });
  });
}
