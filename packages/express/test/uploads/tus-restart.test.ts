/**
 * tus on the fs store across a restart: tus-js-client sends the first
 * chunk of an upload, the server and its store close, a new server opens
 * the same folder, and the upload resumes from the kept offset — sending
 * only the rest — and completes by rename (the member has the upload
 * file's inode: no second copy, also on the tus path).
 */
import { afterAll, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { davsync } from '@davsync/express';
import { closeServer, listen } from '../support/server';
import { tusUpload, type TusUploadOptions } from '../support/tus-upload';

let dir: string | undefined;
const open: Array<{ server: Server; store: FsStore }> = [];

afterAll(async () => {
  for (const { server, store } of open.splice(0)) await stop(server, store);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function start(root: string): Promise<{ origin: string; server: Server; store: FsStore }> {
  const store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0 });
  const middleware = davsync({ engine: store.engine, uploads: { tus: true } });
  const { server, origin } = await listen((req, res) => middleware(req, res));
  open.push({ server, store });
  return { origin, server, store };
}

async function stop(server: Server, store: FsStore): Promise<void> {
  await closeServer(server);
  await store.close();
}

/** tus-js-client against the server at `origin`, as `/restarted.bin`. */
function upload(origin: string, data: Buffer, options: Omit<TusUploadOptions, 'endpoint' | 'metadata'>) {
  return tusUpload(data, { endpoint: `${origin}/.tus/`, metadata: { path: '/restarted.bin' }, ...options });
}

it('a tus upload survives a server restart, resumes with only the rest, and completes by rename', async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-tus-restart-'));
  const root = join(dir, 'root');
  const data = randomBytes(3 * 1024 * 1024);
  const first = await start(root);
  const begun = await upload(first.origin, data, { stopAfterFirstChunk: true });
  expect(begun.error).toBeUndefined();
  open.splice(0);
  await stop(first.server, first.store);

  const second = await start(root);
  const id = (begun.url as string).slice((begun.url as string).lastIndexOf('/') + 1);
  const kept = await stat(join(root, '.davsync', 'uploads', `${id}.data`));
  expect(kept.size).toBe(1024 * 1024);
  const url = `${second.origin}/.tus/${id}`;
  const rest = await upload(second.origin, data, { uploadUrl: url });
  expect(rest.error).toBeUndefined();
  expect(rest.patches).toBe(2);
  const member = join(root, 'restarted.bin');
  expect((await stat(member)).ino).toBe(kept.ino);
  expect(createHash('sha256').update(await readFile(member)).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
}, 60_000);
