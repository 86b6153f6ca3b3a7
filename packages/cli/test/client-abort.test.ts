/**
 * `davsync serve` and a client that cancels an upload: one request-log line,
 * no error and no stack trace, nothing stored, and the server keeps serving.
 */
import { afterEach, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { cleanup, lines, startServe, tempDir } from './support';

afterEach(cleanup);

it('a PUT cancelled mid-body is logged as aborted, not as an unexpected error, and stores nothing', async () => {
  const data = join(await tempDir(), 'data');
  const { proc, url, port } = await startServe([data]);

  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`PUT /partial.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(1000)}`);
  // Let the server start the write (a temporary file, a lock on the path), then cancel.
  await new Promise((r) => setTimeout(r, 200));
  socket.destroy();
  await proc.waitFor(/ PUT \/partial\.txt - \d+\.\dms aborted\n/);

  // Still serving, the path free again, the cancelled body nowhere.
  expect((await fetch(`${url}partial.txt`)).status).toBe(404);
  expect((await fetch(`${url}other.txt`, { method: 'PUT', body: 'other' })).status).toBe(201);
  expect((await readdir(data)).sort()).toEqual(['.davsync', 'other.txt']);
  expect(await readdir(join(data, '.davsync', 'tmp'))).toEqual([]);

  proc.child.kill('SIGTERM');
  expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
  expect(proc.stderr()).toBe('');
  expect(lines(proc.stdout()).filter((l) => l.includes('PUT /partial.txt'))).toEqual([expect.stringMatching(/ PUT \/partial\.txt - \d+\.\dms aborted$/)]);
});
