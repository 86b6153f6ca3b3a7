/**
 * The per-request glue that the up-to-date sync REPORT's speed asked to be
 * cheap (docs/performance.md): the abort signal made only when read, a
 * request copied with another body without reading that signal, and the
 * request body's client-closed mapping as a plain iterator.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { ClientClosedError, failingAsClientClosed } from '../../src/client-closed';
import { withBody, type DavRequest } from '../../src/dav-request';
import { watchClient } from '../../src/node-http';

/** Enough of a ServerResponse for `watchClient`: a 'close' event and `writableFinished`. */
function fakeResponse(): ServerResponse & { finish(): void; close(): void } {
  const res = new EventEmitter() as EventEmitter & { writableFinished: boolean; finish(): void; close(): void };
  res.writableFinished = false;
  res.finish = () => {
    res.writableFinished = true;
  };
  res.close = () => res.emit('close');
  return res as unknown as ServerResponse & { finish(): void; close(): void };
}

describe('watchClient', () => {
  it('aborts a signal made before the client went away', () => {
    const res = fakeResponse();
    const client = watchClient(res);
    const signal = client.signal;
    expect(signal.aborted).toBe(false);
    expect(client.gone).toBe(false);
    res.close();
    expect(client.gone).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(String(signal.reason)).toMatch(/client closed the connection/);
  });

  it('makes a signal read after the client went away already aborted, and the same one on every read', () => {
    const res = fakeResponse();
    const client = watchClient(res);
    res.close();
    expect(client.signal.aborted).toBe(true);
    expect(client.signal).toBe(client.signal);
  });

  it('does not abort when the response finished before it closed', () => {
    const res = fakeResponse();
    const client = watchClient(res);
    const signal = client.signal;
    res.finish();
    res.close();
    expect(client.gone).toBe(false);
    expect(signal.aborted).toBe(false);
    expect(watchClient(res).gone).toBe(false);
  });
});

describe('withBody', () => {
  const body = (async function* () {})();

  it('copies every field but the body, and reads the signal through the original only when asked', () => {
    let reads = 0;
    const controller = new AbortController();
    const interim = () => undefined;
    const req: DavRequest = {
      method: 'REPORT',
      url: '/c/',
      base: '/dav',
      headers: { depth: '0' },
      body: (async function* () {})(),
      origin: 'http://127.0.0.1:1',
      user: 'ann',
      interim,
      get signal() {
        reads++;
        return controller.signal;
      },
    };
    const copy = withBody(req, body);
    expect(reads).toBe(0);
    expect(copy.body).toBe(body);
    expect([copy.method, copy.url, copy.base, copy.headers, copy.origin, copy.user, copy.interim]).toEqual([
      'REPORT',
      '/c/',
      '/dav',
      { depth: '0' },
      'http://127.0.0.1:1',
      'ann',
      interim,
    ]);
    expect(copy.signal).toBe(controller.signal);
    expect(reads).toBe(1);
  });

  it('leaves absent optional fields absent', () => {
    const copy = withBody({ method: 'GET', url: '/', base: '', headers: {}, body }, body);
    expect([copy.origin, copy.user, copy.interim, copy.signal]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('failingAsClientClosed', () => {
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array([1]);
    throw new Error('aborted');
  }

  async function read(body: AsyncIterable<Uint8Array>): Promise<number[]> {
    const bytes: number[] = [];
    for await (const chunk of body) bytes.push(...chunk);
    return bytes;
  }

  it('passes the bytes through', async () => {
    const source = (async function* () {
      yield new Uint8Array([1, 2]);
      yield new Uint8Array([3]);
    })();
    expect(await read(failingAsClientClosed(source, () => true))).toEqual([1, 2, 3]);
  });

  it('turns a read error before the request was complete into ClientClosedError, with the cause', async () => {
    const err = await read(failingAsClientClosed(failing(), () => false)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientClosedError);
    expect(((err as Error).cause as Error).message).toBe('aborted');
  });

  it('leaves a read error after the request was complete as it is', async () => {
    const err = await read(failingAsClientClosed(failing(), () => true)).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ClientClosedError);
    expect((err as Error).message).toBe('aborted');
  });

  it('stops the source when the reader stops early', async () => {
    let stopped = false;
    const source = (async function* () {
      try {
        yield new Uint8Array([1]);
        yield new Uint8Array([2]);
      } finally {
        stopped = true;
      }
    })();
    for await (const chunk of failingAsClientClosed(source, () => true)) {
      expect([...chunk]).toEqual([1]);
      break;
    }
    expect(stopped).toBe(true);
  });
});
