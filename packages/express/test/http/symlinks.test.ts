/**
 * Symlink probes over HTTP, through every method, on the filesystem store
 * (the memory store has no symlinks; its path probes are in hostile.test.ts,
 * which `npm test` also runs over the fs store). Symlinks placed in the root
 * by someone with shell access — to a file or a directory outside, to the
 * state directory, to a directory inside — are never followed: each request
 * is a 4xx, nothing outside the root is read or written, and the store is
 * unchanged.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { davsync } from '@davsync/express';
import { closeServer, listen, syncBody } from '../support/server';
import { rawRequest, sync } from '../support/dav';

let dir: string;
let store: FsStore;
let origin: string;
let close: () => Promise<void>;
const unexpected: unknown[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-symlinks-'));
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'outside secret');
  store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0 });
  await mkdir(join(root, 'c'));
  await writeFile(join(root, 'c', 'doc.txt'), 'inside');
  await store.engine.refresh();
  await symlink(join(outside, 'secret.txt'), join(root, 'link-file'));
  await symlink(outside, join(root, 'link-dir'));
  await symlink(join(root, 'c'), join(root, 'alias'));
  await symlink(join(root, '.davsync'), join(root, 'state-link'));
  const server = await listen(davsync({ engine: store.engine, onError: (err) => unexpected.push(err) }));
  origin = server.origin;
  close = () => closeServer(server.server);
});
afterAll(async () => {
  await close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  expect(unexpected).toEqual([]);
});

const PROPPATCH_BODY =
  '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:p>v</Z:p></D:prop></D:set></D:propertyupdate>';
const METHODS = ['GET', 'HEAD', 'PROPFIND', 'PROPPATCH', 'PUT', 'DELETE', 'COPY', 'MOVE', 'MKCOL', 'REPORT'];

function probe(method: string, target: string, destination = '/c/copied.txt') {
  const headers: Record<string, string> = method === 'COPY' || method === 'MOVE' ? { destination } : {};
  const body = method === 'PUT' ? 'overwritten' : method === 'REPORT' ? syncBody('', '1') : method === 'PROPPATCH' ? PROPPATCH_BODY : undefined;
  return rawRequest(origin, method, target, { headers, ...(body === undefined ? {} : { body }) });
}

async function outsideIsIntact(): Promise<void> {
  expect(await readdir(join(dir, 'outside'))).toEqual(['secret.txt']);
  expect(await readFile(join(dir, 'outside', 'secret.txt'), 'utf8')).toBe('outside secret');
}

describe('symlinks in the served folder', () => {
  const targets = ['/link-file', '/link-dir', '/link-dir/secret.txt', '/link-dir/new.txt', '/alias/doc.txt', '/alias', '/state-link', '/state-link/journal.db', '/.davsync', '/.davsync/journal.db', '/c/../.davsync'];

  it.each(targets)('every method on %s is a 4xx and touches nothing', async (target) => {
    const before = (await sync(`${origin}/`, syncBody('', 'infinite'))).syncToken!;
    for (const method of METHODS) {
      const r = await probe(method, target);
      expect({ method, target, clientError: r.status >= 400 && r.status < 500 }).toEqual({ method, target, clientError: true });
      expect(r.text).not.toContain('outside secret');
    }
    await outsideIsIntact();
    expect((await sync(`${origin}/`, syncBody(before, 'infinite'))).responses).toEqual([]);
  });

  it.each(['/link-dir/stolen.txt', '/alias/copy.txt', '/state-link/x'])('COPY and MOVE with Destination %s are a 4xx and move nothing', async (destination) => {
    for (const method of ['COPY', 'MOVE']) {
      const r = await probe(method, '/c/doc.txt', destination);
      expect({ method, destination, clientError: r.status >= 400 && r.status < 500 }).toEqual({ method, destination, clientError: true });
    }
    await outsideIsIntact();
    expect(await readFile(join(dir, 'root', 'c', 'doc.txt'), 'utf8')).toBe('inside');
  });

  it('listings do not show the symlinks', async () => {
    const ms = await sync(`${origin}/`, syncBody('', 'infinite'));
    expect(ms.responses.map((r) => r.href).sort()).toEqual(['/c/', '/c/doc.txt']);
  });
});
