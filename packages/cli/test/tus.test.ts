/**
 * `davsync serve DIR --tus`: the real CLI takes tus 1.0 uploads at
 * `/.tus/` (tus-js-client from Node), and an upload begun before the
 * server is SIGKILLed resumes on the restarted server with only the rest
 * sent; the member is the file. Without `--tus`, `/.tus/` is not tus.
 */
import { afterEach, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tusUpload, type TusUploadOptions } from '../../express/test/support/tus-upload';
import { cleanup, startServe, tempDir } from './support';

afterEach(cleanup);

/** tus-js-client against `davsync serve --tus` at `base`, as `/tus.bin`. */
function upload(base: string, data: Buffer, options: Omit<TusUploadOptions, 'endpoint' | 'metadata'>) {
  return tusUpload(data, { endpoint: `${base}.tus/`, metadata: { path: '/tus.bin', filetype: 'application/x-test' }, ...options });
}

it('serve --tus: an upload begun before a SIGKILL resumes on the restarted server, sending only the rest', async () => {
  const dir = await tempDir();
  const folder = join(dir, 'served');
  const data = randomBytes(3 * 1024 * 1024);
  const first = await startServe([folder, '--tus', '--log-level', 'warn']);
  const begun = await upload(first.url, data, { stopAfterFirstChunk: true });
  expect(begun.error).toBeUndefined();
  first.proc.child.kill('SIGKILL');
  await first.proc.exited;

  const second = await startServe([folder, '--tus', '--log-level', 'warn']);
  const url = `${second.url}.tus/${new URL(begun.url as string).pathname.split('/').pop() as string}`;
  const rest = await upload(second.url, data, { uploadUrl: url });
  expect(rest.error).toBeUndefined();
  expect(rest.patches).toBe(2);
  const stored = await readFile(join(folder, 'tus.bin'));
  expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  const got = await fetch(`${second.url}tus.bin`, { method: 'HEAD' });
  expect(got.headers.get('content-type')).toBe('application/x-test');
}, 60_000);

it('serve without --tus: /.tus/ is an ordinary path', async () => {
  const dir = await tempDir();
  const server = await startServe([join(dir, 'served'), '--log-level', 'warn']);
  const r = await fetch(`${server.url}.tus/`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' } });
  expect(r.headers.get('tus-resumable')).toBeNull();
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
}, 60_000);
