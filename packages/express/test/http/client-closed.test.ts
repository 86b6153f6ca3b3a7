/**
 * A client that closes its connection mid-upload is not a server error:
 * nothing is reported to `onError`, the response is not a 500 (nor a 503:
 * the PostgreSQL store maps a bare ECONNRESET to "database unavailable"),
 * nothing is stored, and the path is free for the next request. Runs over
 * the store this run asks for (`DAVSYNC_TEST_STORE`: memory, fs, postgres).
 */
import { afterEach, expect, it } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { davsync } from '@davsync/express';
import { closeServer, listen, startServer } from '../support/server';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
});

/** Sends the head of a PUT and part of its body, waits until the server has the request, then closes the connection. */
async function abortedPut(port: number, path: string, received: () => boolean): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(1000)}`);
  await until(received);
  // Time for the write to start (a path lock, a temporary file, a transaction) and read what was sent.
  await new Promise((r) => setTimeout(r, 100));
  socket.destroy();
}

/** Polls `done` every 10 ms, for at most 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!done()) throw new Error('timed out');
}

it('a PUT whose client goes away mid-body: not reported, not a 500, nothing stored, and the server keeps serving', async () => {
  // The run's store, served by a middleware of our own so the response object can be watched.
  const store = await startServer();
  cleanups.push(() => store.close());
  const reported: unknown[] = [];
  const responses: ServerResponse[] = [];
  const dav = davsync({ engine: store.engine, onError: (err) => reported.push(err) });
  const { server, origin } = await listen((req, res) => {
    responses.push(res);
    dav(req, res);
  });
  cleanups.push(() => closeServer(server));

  await abortedPut(Number(new URL(origin).port), '/big.txt', () => responses.length === 1);
  const aborted = responses[0] as ServerResponse;
  // The handler is done with it once the middleware has ended the response.
  await until(() => aborted.writableEnded);
  expect(reported).toEqual([]);
  expect(aborted.statusCode).toBe(499);

  expect((await fetch(`${origin}/big.txt`)).status).toBe(404);
  const put = await fetch(`${origin}/big.txt`, { method: 'PUT', body: 'whole' });
  expect(put.status).toBe(201); // created: the cancelled body left nothing behind
  expect(await (await fetch(`${origin}/big.txt`)).text()).toBe('whole');
  expect(reported).toEqual([]);
});
