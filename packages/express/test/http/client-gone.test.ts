/**
 * A client that goes away mid-request: the store's listing and read are
 * told through their AbortSignal and stop, and the host's `onError` hears
 * nothing (a disconnect is not an error of the server).
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import type { ByteRange, Entry, ReadOptions } from '@davsync/core';
import { davsync } from '@davsync/express';
import { closeServer, listen } from '../support/server';

/** A memory store whose listings and reads of `/slow` hang until their signal aborts. */
class StallingStore extends MemoryAdapter {
  readonly aborted: string[] = [];

  override async *list(path: string, options: ReadOptions = {}): AsyncIterable<Entry> {
    yield* super.list(path, options);
    if (path === '/slow') await this.stall('list', options.signal);
  }

  override async read(path: string, range?: ByteRange, options: ReadOptions = {}) {
    const body = await super.read(path, range, options);
    if (path !== '/slow/big.bin') return body;
    const stall = (what: string, signal: AbortSignal | undefined) => this.stall(what, signal);
    return (async function* () {
      yield* body;
      await stall('read', options.signal);
    })();
  }

  private stall(what: string, signal: AbortSignal | undefined): Promise<never> {
    return new Promise((_, reject) => {
      signal?.addEventListener('abort', () => {
        this.aborted.push(what);
        reject(signal.reason);
      });
    });
  }
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Sends a request and destroys it once the response has started (or after `ms`). */
function leaveEarly(origin: string, method: string, path: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${origin}${path}`, { method, headers });
    req.on('response', (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => resolve());
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 300);
    req.end();
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('a client that goes away', () => {
  it('aborts the listing of a PROPFIND and the read of a GET, and reports no error', async () => {
    const adapter = new StallingStore();
    await adapter.mkcol('/slow');
    await adapter.write('/slow/big.bin', (async function* () {
      yield new Uint8Array(200 * 1024);
    })());
    const errors: unknown[] = [];
    const { server, origin } = await listen(davsync({ adapter, onError: (err) => errors.push(err) }));
    close = () => closeServer(server);

    await leaveEarly(origin, 'PROPFIND', '/slow/', { depth: '1' });
    await until(() => adapter.aborted.includes('list'));
    expect(adapter.aborted).toContain('list');

    await leaveEarly(origin, 'GET', '/slow/big.bin');
    await until(() => adapter.aborted.includes('read'));
    expect(adapter.aborted).toContain('read');
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
  });
});
