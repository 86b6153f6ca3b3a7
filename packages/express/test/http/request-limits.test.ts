/**
 * The request-level limits: a request target longer than `limits.urlLength`
 * is 414, and a body that stops arriving for `limits.bodyIdleMs` is 408 with
 * the connection closed, nothing stored and the previous content intact.
 * Runs over the memory store and, in `npm test`'s second pass, the fs store.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';
import { dav, put, rawRequest } from '../support/dav';

let s: TestServer;
const unexpected: unknown[] = [];

beforeAll(async () => {
  s = await startServer({ limits: { urlLength: 1000, bodyIdleMs: 300 }, onError: (err) => unexpected.push(err) });
  await put(`${s.url}/kept.txt`, 'precious');
});
afterAll(async () => {
  await s.close();
  expect(unexpected).toEqual([]);
});

describe('request target length', () => {
  it('is 414 past the limit, and the server answers the next request', async () => {
    const long = `/${'a'.repeat(1200)}.txt`;
    const r = await rawRequest(s.origin, 'PUT', long, { body: 'x', headers: { 'content-length': '1' } });
    expect(r.status).toBe(414);
    expect((await dav(`${s.url}${long}`, 'GET')).status).toBe(414);
    expect((await dav(`${s.url}/kept.txt`, 'GET')).text).toBe('precious');
  });

  it('is answered normally up to the limit', async () => {
    const fits = `/${['b', 'c', 'd', 'e'].map((l) => l.repeat(200)).join('/')}.txt`; // names within NAME_MAX
    expect((await dav(`${s.url}${fits}`, 'GET')).status).toBe(404);
  });
});

/** Sends a PUT's headers and the first bytes of its body, then nothing; resolves with the status line and whether the server closed. */
function stalledPut(path: string, declared: number, sent: string): Promise<{ statusLine: string; closed: boolean; ms: number }> {
  const { hostname, port } = new URL(s.origin);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to a stalled PUT within 5 s; got ${JSON.stringify(data)}`));
    }, 5000);
    socket.on('connect', () => {
      socket.write(`PUT ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Length: ${declared}\r\n\r\n${sent}`);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ statusLine: data.split('\r\n')[0] ?? '', closed: true, ms: Date.now() - started });
    });
  });
}

describe('a stalled request body', () => {
  it('is 408 with the connection closed, and a new member is not created', async () => {
    const r = await stalledPut('/new.txt', 100, 'only ten b');
    expect(r.statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(4000);
    expect((await dav(`${s.url}/new.txt`, 'GET')).status).toBe(404);
  });

  it('leaves the member it was replacing as it was', async () => {
    const r = await stalledPut('/kept.txt', 100, 'half of a new ');
    expect(r.statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect((await dav(`${s.url}/kept.txt`, 'GET')).text).toBe('precious');
    // The path is not left locked: the next write goes through.
    await put(`${s.url}/kept.txt`, 'precious');
  });
});
