/**
 * The path guard, through every adapter operation: nothing outside the root
 * or inside the state directory can be reached, symlinks are never
 * followed, and names the OS cannot hold are refused before they reach it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, promises as fsp, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DavErrorCode, StorageAdapter } from '@davsync/core';
import { FsAdapter } from '@davsync/adapter-fs';
import { bodyOf, COLLECTION, expectDavError, listAll, readText, seed, writeText } from '@davsync/core/testing';
import { nameProblem, NAME_MAX_BYTES } from '../../src/paths/safe-path';
import { MemoryPropertyTable } from '../support/memory-property-table';
import { removeTemp, tempDir, tempStore, type TempStore } from '../support/temp-store';

const NS = '{urn:davsync:test}';

/** Every adapter operation that takes a path, aimed at `path` (as source or destination where both apply). */
function everyOperation(adapter: StorageAdapter, path: string, other: string): Record<string, () => Promise<unknown>> {
  const props = adapter.properties!;
  return {
    stat: () => adapter.stat(path),
    list: () => listAll(adapter, path),
    read: () => adapter.read(path),
    write: () => adapter.write(path, bodyOf('payload')),
    remove: () => adapter.remove(path),
    mkcol: () => adapter.mkcol(path),
    'copy from': () => adapter.copy(path, other),
    'copy to': () => adapter.copy(other, path),
    'move from': () => adapter.move(path, other),
    'move to': () => adapter.move(other, path),
    'properties.get': () => props.get(path),
    'properties.patch': () => props.patch(path, { [`${NS}x`]: 'y' }, []),
  };
}

async function expectEveryOperationRefused(adapter: StorageAdapter, path: string, code: DavErrorCode, other = '/inside.txt'): Promise<void> {
  for (const [name, op] of Object.entries(everyOperation(adapter, path, other))) {
    try {
      await expectDavError(code, op);
    } catch (err) {
      throw new Error(`${name} ${JSON.stringify(path)}: ${(err as Error).message}`);
    }
  }
}

let store: TempStore;
/** A directory beside the root, which nothing may reach. */
let outside: string;

beforeEach(async () => {
  store = await tempStore();
  outside = join(store.dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  await seed(store.adapter, { '/inside.txt': 'inside', '/dir': COLLECTION });
});

afterEach(async () => {
  await removeTemp(store.dir);
});

/** What is outside the root, to compare before and after. */
const outsideState = (): string[] => readdirSync(outside).sort();

describe('traversal', () => {
  const attempts = ['/../outside/secret.txt', '/dir/../../outside', '/./inside.txt', '..', 'outside', '/a\0b'];

  it.each(attempts)('refuses %j in every operation with bad-request', async (path) => {
    await expectEveryOperationRefused(store.adapter, path, 'bad-request');
    expect(outsideState()).toEqual(['secret.txt']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('treats percent-encoded dots and backslashes as plain characters of a name on POSIX', async () => {
    if (process.platform === 'win32') return;
    const names = ['/%2e%2e', '/..%2f..%2foutside', '/a\\..\\..\\outside'];
    for (const name of names) await writeText(store.adapter, name, name);
    for (const name of names) expect(await readText(store.adapter, name)).toBe(name);
    expect(existsSync(join(store.root, '..\\..\\outside'))).toBe(false);
    expect(outsideState()).toEqual(['secret.txt']);
  });
});

describe('symbolic links', () => {
  beforeEach(() => {
    symlinkSync(join(outside, 'secret.txt'), join(store.root, 'link-file'));
    symlinkSync(outside, join(store.root, 'link-dir'));
    symlinkSync(join(store.root, 'inside.txt'), join(store.root, 'link-inside'));
    symlinkSync(join(store.root, 'dir'), join(store.root, 'alias'));
    symlinkSync(join(store.root, 'nowhere'), join(store.root, 'dangling'));
  });

  it('are invisible in listings', async () => {
    expect((await listAll(store.adapter, '/')).map((e) => e.path).sort()).toEqual(['/dir', '/inside.txt']);
  });

  it.each(['/link-file', '/link-dir', '/link-inside', '/alias', '/dangling'])('refuse %s in every operation with forbidden', async (path) => {
    await expectEveryOperationRefused(store.adapter, path, 'forbidden');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(outsideState()).toEqual(['secret.txt']);
  });

  it.each(['/link-dir/secret.txt', '/link-dir/new.txt', '/alias/member', '/link-dir/sub/deeper'])(
    'refuse a path through a symlinked directory, %s, in every operation',
    async (path) => {
      await expectEveryOperationRefused(store.adapter, path, 'forbidden');
      expect(outsideState()).toEqual(['secret.txt']);
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    },
  );

  it('are left in place by a refused remove, and the target is untouched', async () => {
    await expectDavError('forbidden', () => store.adapter.remove('/link-dir'));
    expect(readFileSync(join(store.root, 'link-dir', 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('inside a copied or moved collection are not followed or carried along', async () => {
    symlinkSync(outside, join(store.root, 'dir', 'escape'));
    symlinkSync(join(outside, 'secret.txt'), join(store.root, 'dir', 'secret-link'));
    await writeText(store.adapter, '/dir/kept.txt', 'kept');
    await store.adapter.copy('/dir', '/copy');
    expect(readdirSync(join(store.root, 'copy'))).toEqual(['kept.txt']);
    expect((await listAll(store.adapter, '/copy')).map((e) => e.path)).toEqual(['/copy/kept.txt']);
    expect(outsideState()).toEqual(['secret.txt']);
  });

  it('are not followed when the root itself is reached through one', async () => {
    const via = join(store.dir, 'root-link');
    symlinkSync(store.root, via);
    const adapter = new FsAdapter({ root: via, properties: new MemoryPropertyTable() });
    expect(await readText(adapter, '/inside.txt')).toBe('inside');
    await expectDavError('forbidden', () => adapter.read('/link-file'));
  });
});

describe('special files', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('hides a socket and refuses to address it', async () => {
    if (process.platform === 'win32') return;
    const socketPath = join(store.root, 'sock');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    expect((await listAll(store.adapter, '/')).map((e) => e.path).sort()).toEqual(['/dir', '/inside.txt']);
    await expectDavError('forbidden', () => store.adapter.stat('/sock'));
    await expectDavError('forbidden', () => store.adapter.read('/sock'));
    await expectDavError('forbidden', () => store.adapter.write('/sock', bodyOf('x')));
  });

  it('hides a FIFO and refuses to read it instead of hanging', async () => {
    if (process.platform === 'win32') return;
    try {
      execFileSync('mkfifo', [join(store.root, 'fifo')]);
    } catch {
      return; // no mkfifo on this system: nothing to test
    }
    expect((await listAll(store.adapter, '/')).map((e) => e.path).sort()).toEqual(['/dir', '/inside.txt']);
    await expectDavError('forbidden', () => store.adapter.read('/fifo'));
    await expectDavError('forbidden', () => store.adapter.copy('/fifo', '/copy'));
  });
});

describe('the state directory', () => {
  it('is invisible in the root listing', async () => {
    expect(existsSync(join(store.root, '.davsync', 'tmp'))).toBe(true);
    expect((await listAll(store.adapter, '/')).map((e) => e.path).sort()).toEqual(['/dir', '/inside.txt']);
  });

  const spellings = ['/.davsync', '/.davsync/tmp', '/.davsync/state.db', '/.DAVSYNC', '/.DavSync/trash'];

  it.each(spellings)('is forbidden as %s in every operation', async (path) => {
    await expectEveryOperationRefused(store.adapter, path, 'forbidden');
    expect(readdirSync(join(store.root, '.davsync')).sort()).toEqual(['tmp', 'trash']);
  });

  it('is an ordinary name below the root', async () => {
    await store.adapter.mkcol('/dir/.davsync');
    await writeText(store.adapter, '/dir/.davsync/f.txt', 'f');
    expect(await readText(store.adapter, '/dir/.davsync/f.txt')).toBe('f');
  });

  it('leaves `.davsync` an ordinary name when it is kept outside the root', async () => {
    const dir = tempDir();
    try {
      const root = join(dir, 'root');
      mkdirSync(root);
      const adapter = new FsAdapter({ root, stateDir: join(dir, 'state'), properties: new MemoryPropertyTable() });
      await adapter.mkcol('/.davsync');
      await writeText(adapter, '/.davsync/f.txt', 'f');
      expect((await listAll(adapter, '/')).map((e) => e.path)).toEqual(['/.davsync']);
      expect(readdirSync(join(dir, 'state')).sort()).toEqual(['tmp', 'trash']);
    } finally {
      await removeTemp(dir);
    }
  });

  it('may be renamed: a custom name directly in the root is hidden the same way', async () => {
    const dir = tempDir();
    try {
      const root = join(dir, 'root');
      mkdirSync(root);
      const adapter = new FsAdapter({ root, stateDir: join(root, '_state'), properties: new MemoryPropertyTable() });
      await writeText(adapter, '/.davsync', 'an ordinary file now');
      expect((await listAll(adapter, '/')).map((e) => e.path)).toEqual(['/.davsync']);
      await expectDavError('forbidden', () => adapter.stat('/_state'));
      await expectDavError('forbidden', () => adapter.write('/_state/tmp/x', bodyOf('x')));
    } finally {
      await removeTemp(dir);
    }
  });
});

describe('names and paths the OS cannot hold', () => {
  it(`accepts a name of ${NAME_MAX_BYTES} bytes and refuses one byte more with bad-request`, async () => {
    const longest = `/${'n'.repeat(NAME_MAX_BYTES)}`;
    await writeText(store.adapter, longest, 'fits');
    expect(await readText(store.adapter, longest)).toBe('fits');
    const tooLong = `/${'n'.repeat(NAME_MAX_BYTES + 1)}`;
    await expectEveryOperationRefused(store.adapter, tooLong, 'bad-request');
  });

  it('counts UTF-8 bytes, not characters', async () => {
    // 128 × 'é' is 128 characters but 256 bytes.
    await expectDavError('bad-request', () => writeText(store.adapter, `/${'é'.repeat(128)}`, 'x'));
    await expectDavError('bad-request', () => store.adapter.mkcol(`/dir/${'日'.repeat(86)}`));
    await writeText(store.adapter, `/${'日'.repeat(85)}`, 'fits');
  });

  it('refuses a path longer than the OS allows with bad-request', async () => {
    const segment = 'd'.repeat(200);
    const deep = `/${Array.from({ length: 25 }, () => segment).join('/')}`;
    await expectDavError('bad-request', () => store.adapter.stat(deep));
    await expectDavError('bad-request', () => store.adapter.mkcol(deep));
    await expectDavError('bad-request', () => writeText(store.adapter, `${deep}/f.txt`, 'x'));
  });

  it('keeps names byte-exact: NFC and NFD spellings are two members where the filesystem keeps them apart', async () => {
    if (process.platform !== 'linux') return;
    const nfc = '/caf\u00e9.txt';
    const nfd = '/cafe\u0301.txt';
    await writeText(store.adapter, nfc, 'composed');
    await writeText(store.adapter, nfd, 'decomposed');
    expect(await readText(store.adapter, nfc)).toBe('composed');
    expect(await readText(store.adapter, nfd)).toBe('decomposed');
    const names = (await listAll(store.adapter, '/')).map((e) => e.path);
    expect(names).toEqual(expect.arrayContaining([nfc, nfd]));
  });

  it('keeps names that differ only in case apart on a case-sensitive filesystem', async () => {
    if (process.platform !== 'linux') return;
    await writeText(store.adapter, '/Readme', 'upper');
    await writeText(store.adapter, '/readme', 'lower');
    expect(await readText(store.adapter, '/Readme')).toBe('upper');
    expect(await readText(store.adapter, '/readme')).toBe('lower');
  });

  it('does not list a file whose name is not valid UTF-8, since no path can address it', async () => {
    if (process.platform !== 'linux') return;
    const invalid = Buffer.concat([Buffer.from(store.root + '/bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);
    writeFileSync(invalid, 'unreachable');
    expect((await listAll(store.adapter, '/')).map((e) => e.path).sort()).toEqual(['/dir', '/inside.txt']);
  });

  it('lists such a name once when a file with the decoded name exists too', async () => {
    if (process.platform !== 'linux') return;
    writeFileSync(Buffer.concat([Buffer.from(store.root + '/x'), Buffer.from([0xff])]), 'invalid');
    writeFileSync(join(store.root, 'x\uFFFD'), 'valid');
    const paths = (await listAll(store.adapter, '/')).map((e) => e.path).filter((p) => p.startsWith('/x'));
    expect(paths).toEqual(['/x\uFFFD']);
    expect(await readText(store.adapter, '/x\uFFFD')).toBe('valid');
  });
});

describe('nameProblem', () => {
  it('accepts ordinary names on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      for (const name of ['a.txt', 'with space', 'naïve ☃', '100%', '.hidden', 'n'.repeat(255)]) {
        expect({ platform, name, problem: nameProblem(name, platform) }).toEqual({ platform, name, problem: undefined });
      }
    }
  });

  it('refuses names no platform can hold', () => {
    for (const name of ['', '.', '..', 'a/b', 'a\0b', 'n'.repeat(256)]) expect(nameProblem(name, 'linux')).toEqual(expect.any(String));
  });

  it('refuses on Windows what Windows cannot hold or would read as a path', () => {
    const names = ['a\\..\\..\\x', 'c:evil', 'what?', 'star*', 'pipe|', 'quote"', '<tag>', 'tab\t', 'dot.', 'space ', 'CON', 'nul.txt', 'com1', 'LPT9.log'];
    for (const name of names) {
      expect({ name, problem: nameProblem(name, 'win32') }).toEqual({ name, problem: expect.any(String) });
      if (!name.includes('\\')) expect(nameProblem(name, 'linux')).toBeUndefined();
    }
  });
});

describe('writes never create anything outside the root', () => {
  it('even when a symlinked directory appears between two writes', async () => {
    await writeText(store.adapter, '/dir/a.txt', 'a');
    await fsp.rm(join(store.root, 'dir'), { recursive: true });
    symlinkSync(outside, join(store.root, 'dir'));
    await expectDavError('forbidden', () => writeText(store.adapter, '/dir/a.txt', 'b'));
    await expectDavError('forbidden', () => store.adapter.copy('/inside.txt', '/dir/copied.txt'));
    await expectDavError('forbidden', () => store.adapter.move('/inside.txt', '/dir/moved.txt'));
    expect(outsideState()).toEqual(['secret.txt']);
  });
});
