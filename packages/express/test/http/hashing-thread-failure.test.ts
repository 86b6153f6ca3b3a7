/**
 * The hashing thread failing under a PUT (issue 17): never a 500. A thread
 * that dies mid-upload takes its hashes' state with it, so that upload is
 * refused with 503 and stores nothing; the death is told through the
 * warning path (console.warn by default, the store's `onWarning` when
 * given), and the uploads after it are hashed on the request thread, with
 * correct checksums. A thread that cannot start at all loses no upload.
 * Runs on every store (DAVSYNC_TEST_STORE).
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { useHashingWorkerFactory } from '@davsync/core/testing';
import { startServer, type TestServer } from '../support/server';
import { dav, propfind, propfindBody, textOf } from '../support/dav';

const OC = 'http://owncloud.org/ns';
const ASK = propfindBody('<oc:checksums/>', ` xmlns:oc="${OC}"`);
// Well over one 256 KiB batch, so it goes to the thread.
const BODY = Buffer.alloc(2 * 1024 * 1024, 'davsync ');
const sums = (bytes: Buffer): string =>
  ['sha1', 'md5', 'sha256'].map((a) => `${a.toUpperCase()}:${createHash(a).update(bytes).digest('hex')}`).join(' ');

let s: TestServer;
let warnings: string[];
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  useHashingWorkerFactory(undefined);
  await s.close();
});
afterEach(() => {
  jest.restoreAllMocks();
  useHashingWorkerFactory(undefined);
});

function captureWarnings(): void {
  warnings = [];
  jest.spyOn(console, 'warn').mockImplementation((m: unknown) => void warnings.push(String(m)));
}

async function served(name: string): Promise<string | undefined> {
  const r = (await propfind(`${s.url}/${name}`, '0', ASK)).get(`/${name}`);
  return textOf(r.prop(`{${OC}}checksums`)?.children[0]);
}

it('a thread that dies mid-upload: 503, nothing stored, a warning; the next upload is hashed here, correctly', async () => {
  captureWarnings();
  // Workers that take their first batch and die (one per hashing lane).
  const exits: Promise<unknown>[] = [];
  useHashingWorkerFactory(() => {
    const worker = new Worker("require('node:worker_threads').parentPort.once('message', () => process.exit(3));", { eval: true });
    exits.push(new Promise((resolve) => worker.once('exit', resolve)));
    return worker;
  });
  const refused = await dav(`${s.url}/dies.bin`, 'PUT', { body: BODY });
  expect(refused.status).toBe(503);
  expect((await dav(`${s.url}/dies.bin`, 'HEAD')).status).toBe(404);
  expect(warnings.join('\n')).toMatch(/hashing thread stopped \(exit code 3\)/);
  // Every lane's thread got a batch and dies; the next upload comes once all are known dead (on
  // Node 22 the second lane's exit could arrive after the next PUT had taken that lane: a 503 too).
  expect(exits.length).toBeGreaterThan(0);
  await Promise.all(exits);
  const next = await dav(`${s.url}/after.bin`, 'PUT', { body: BODY });
  expect(next.status).toBe(201);
  expect(await served('after.bin')).toBe(sums(BODY));
});

it('a thread that cannot start: the upload is hashed on the request thread and stored, with a warning', async () => {
  captureWarnings();
  useHashingWorkerFactory(() => {
    throw new Error('no threads left');
  });
  const r = await dav(`${s.url}/nostart.bin`, 'PUT', { body: BODY });
  expect(r.status).toBe(201);
  expect(await served('nostart.bin')).toBe(sums(BODY));
  expect(warnings.join('\n')).toMatch(/cannot start \(Error: no threads left\)/);
});

it('a healthy thread gives the same checksums (the comparison above can fail)', async () => {
  const r = await dav(`${s.url}/healthy.bin`, 'PUT', { body: BODY });
  expect(r.status).toBe(201);
  expect(await served('healthy.bin')).toBe(sums(BODY));
  expect(await served('healthy.bin')).not.toBe(sums(Buffer.from('other')));
});
