/**
 * SqlitePropertyTable: dead properties per path, patched atomically, and
 * subtree copy / move / remove that never catch a sibling sharing a prefix
 * (`/a` vs `/ab`, `/a.b`) or treat `%` and `_` as wildcards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SqliteJournal, SqlitePropertyTable, openStateDb, type StateDatabase } from '@davsync/adapter-fs';
import { expectDavError } from '@davsync/core/testing';

// Made on first use, so a run that filters out every test leaves nothing behind.
let workDir: string | undefined;
afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

const C = '{urn:x}color';
const S = '{urn:x}size';

let counter = 0;
let db: StateDatabase;
let props: SqlitePropertyTable;

beforeEach(() => {
  workDir ??= mkdtempSync(join(tmpdir(), 'davsync-props-'));
  db = openStateDb(join(workDir, `db${counter++}`, 'state.db'));
  props = new SqlitePropertyTable(db);
});
afterEach(() => {
  if (db.open) db.close();
});

/** Sets one property (`C` = the path itself, so moves and copies are visible) on each path. */
async function label(...paths: string[]): Promise<void> {
  for (const p of paths) await props.patch(p, { [C]: p }, []);
}

/** path → its color, for every path given that has one. */
async function colors(...paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of paths) {
    const value = (await props.get(p))[C];
    if (value !== undefined) out[p] = value;
  }
  return out;
}

/** Siblings whose paths share a prefix with `/a`, or contain LIKE wildcards. */
const SIBLINGS = ['/ab', '/a.b', '/a-', '/a b', '/a%', '/a_', '/a%/z', '/a_/z', '/ab/c'];

describe('properties of one path', () => {
  it('returns an empty object for a path without properties', async () => {
    expect(await props.get('/nothing')).toEqual({});
    expect(await props.get('/')).toEqual({});
  });

  it('sets, replaces and removes, with removals applied before sets', async () => {
    await props.patch('/f', { [C]: 'red', [S]: 'L', plain: 'no namespace' }, []);
    await props.patch('/f', { [C]: 'blue', [S]: 'XL' }, [S, '{urn:x}never-set']);
    expect(await props.get('/f')).toEqual({ [C]: 'blue', [S]: 'XL', plain: 'no namespace' });
    await props.patch('/f', {}, [C, 'plain']);
    expect(await props.get('/f')).toEqual({ [S]: 'XL' });
  });

  it('keeps unusual names and values intact', async () => {
    const xml = '<x:v xmlns:x="urn:x">a &amp; b ☃ 😀</x:v>';
    const set: Record<string, string> = { __proto__name: 'x', ['__proto__']: 'proto', '{DAV:}displayname': xml, '{urn:x}empty': '' };
    await props.patch('/f', set, []);
    const got = await props.get('/f');
    expect(Object.keys(got).sort()).toEqual(['__proto__', '__proto__name', '{DAV:}displayname', '{urn:x}empty']);
    expect(got['{DAV:}displayname']).toBe(xml);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toBe('proto');
  });

  it('refuses a patch with a bad name or value without changing anything', async () => {
    await props.patch('/f', { [C]: 'red' }, []);
    await expectDavError('bad-request', () => props.patch('/f', { [S]: 'L', '{unclosed': 'x' }, []));
    await expectDavError('bad-request', () => props.patch('/f', { [S]: 42 as unknown as string }, [C]));
    await expectDavError('bad-request', () => props.patch('/f', {}, ['']));
    await expectDavError('bad-request', () => props.patch('relative', { [C]: 'x' }, []));
    expect(await props.get('/f')).toEqual({ [C]: 'red' });
  });

  it('applies a patch in one transaction: a failure inside the database changes nothing', async () => {
    await props.patch('/f', { [C]: 'red', [S]: 'L' }, []);
    // The third write of the patch fails inside SQLite after the removal and one set succeeded.
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON properties WHEN NEW.name = '{urn:x}boom' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    expect(await failure(props.patch('/f', { [C]: 'blue', '{urn:x}boom': 'x' }, [S]))).toMatch(/refused/);
    expect(await props.get('/f')).toEqual({ [C]: 'red', [S]: 'L' });
  });
});

describe('subtrees', () => {
  it('removes a member and its descendants, and nothing that only shares a prefix', async () => {
    await label('/a', '/a/x', '/a/x/y', ...SIBLINGS);
    await props.removeTree('/a');
    expect(await colors('/a', '/a/x', '/a/x/y', ...SIBLINGS)).toEqual(Object.fromEntries(SIBLINGS.map((p) => [p, p])));
  });

  it('treats % and _ in a path literally', async () => {
    await label('/a', '/ab', '/a%', '/a%/z', '/a_', '/a_/z', '/a%b');
    await props.removeTree('/a%');
    await props.removeTree('/a_');
    expect(Object.keys(await colors('/a', '/ab', '/a%', '/a%/z', '/a_', '/a_/z', '/a%b'))).toEqual(['/a', '/ab', '/a%b']);
    await props.moveTree('/a%b', '/m_');
    expect(await colors('/a%b', '/m_')).toEqual({ '/m_': '/a%b' });
  });

  it('copies a subtree to the same relative paths, replacing what the destination had', async () => {
    await label('/a', '/a/x', '/a/x/y', ...SIBLINGS);
    await label('/dst', '/dst/old', '/dst/x');
    await props.patch('/dst/x', { [S]: 'stale' }, []);
    await props.copyTree('/a', '/dst');
    expect(await colors('/dst', '/dst/x', '/dst/x/y', '/dst/old', '/dstb')).toEqual({ '/dst': '/a', '/dst/x': '/a/x', '/dst/x/y': '/a/x/y' });
    expect(await props.get('/dst/x')).toEqual({ [C]: '/a/x' }); // replaced, not merged
    // The source and its prefix siblings are untouched.
    expect(await colors('/a', '/a/x', '/a/x/y', ...SIBLINGS)).toEqual(Object.fromEntries(['/a', '/a/x', '/a/x/y', ...SIBLINGS].map((p) => [p, p])));
    expect(await colors('/dstb', '/dst.b', '/dst%', '/dst_')).toEqual({});
  });

  it('moves a subtree, leaving nothing behind', async () => {
    await label('/a', '/a/x', '/a/x/y', ...SIBLINGS, '/to/old');
    await props.moveTree('/a', '/to');
    expect(await colors('/a', '/a/x', '/a/x/y', '/to', '/to/x', '/to/x/y', '/to/old')).toEqual({ '/to': '/a', '/to/x': '/a/x', '/to/x/y': '/a/x/y' });
    expect(await colors(...SIBLINGS)).toEqual(Object.fromEntries(SIBLINGS.map((p) => [p, p])));
  });

  it('moves into a deeper or shallower place and across non-ASCII names', async () => {
    await label('/😀', '/😀/é', '/😀/é/ü');
    await props.moveTree('/😀', '/deep/er');
    expect(await colors('/deep/er', '/deep/er/é', '/deep/er/é/ü')).toEqual({
      '/deep/er': '/😀',
      '/deep/er/é': '/😀/é',
      '/deep/er/é/ü': '/😀/é/ü',
    });
    await props.copyTree('/deep/er/é', '/ü');
    expect(await colors('/ü', '/ü/ü')).toEqual({ '/ü': '/😀/é', '/ü/ü': '/😀/é/ü' });
  });

  it('moves and copies onto the root and removes everything from the root', async () => {
    await label('/', '/a', '/a/x');
    await expectDavError('forbidden', () => props.copyTree('/', '/b'));
    await expectDavError('forbidden', () => props.moveTree('/a', '/a/x/y'));
    await expectDavError('forbidden', () => props.moveTree('/a/x', '/a'));
    await props.copyTree('/a', '/a'); // onto itself: nothing to do
    expect(await colors('/', '/a', '/a/x')).toEqual({ '/': '/', '/a': '/a', '/a/x': '/a/x' });
    await props.removeTree('/');
    expect(await colors('/', '/a', '/a/x')).toEqual({});
  });
});

describe('one property across a folder (valuesIn)', () => {
  it("gives the folder's direct members that have the property, and nothing deeper or beside it", async () => {
    await props.patch('/d/a.txt', { '{urn:x}t': 'A' }, []);
    await props.patch('/d/b.txt', { '{urn:x}other': 'no' }, []);
    await props.patch('/d/sub', { '{urn:x}t': 'S' }, []);
    await props.patch('/d/sub/deep.txt', { '{urn:x}t': 'deep' }, []);
    await props.patch('/d0.txt', { '{urn:x}t': 'beside' }, []);
    await props.patch('/top.txt', { '{urn:x}t': 'top' }, []);
    expect(Object.fromEntries(await props.valuesIn('/d', '{urn:x}t'))).toEqual({ '/d/a.txt': 'A', '/d/sub': 'S' });
    expect(Object.fromEntries(await props.valuesIn('/', '{urn:x}t'))).toEqual({ '/top.txt': 'top', '/d0.txt': 'beside' });
    expect((await props.valuesIn('/empty', '{urn:x}t')).size).toBe(0);
  });
});

describe('sharing the state database', () => {
  it('works beside a journal on the same connection, and is unavailable once the journal closed it', async () => {
    const journal = new SqliteJournal(db);
    await journal.commit([{ path: '/f', removed: false, collection: false, etag: 'e' }]);
    await props.patch('/f', { [C]: 'red' }, []);
    expect(await props.get('/f')).toEqual({ [C]: 'red' });
    await journal.close();
    await expectDavError('unavailable', () => props.get('/f'));
    await expectDavError('unavailable', () => props.patch('/f', { [C]: 'x' }, []));
    await expectDavError('unavailable', () => props.removeTree('/f'));
  });
});

/**
 * The message a promise rejects with. (Not `rejects.toThrow`: the driver's
 * error class comes from the first jest realm that loaded the native addon,
 * so in a later test file it is not an `Error` of this realm.)
 */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return String((err as { message?: unknown }).message);
  }
  return 'no failure';
}
