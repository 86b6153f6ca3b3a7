/**
 * Deterministic regression tests for what the fuzz tests found (see
 * docs/security.md#fuzzing). Each names the finding it pins down.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { createDavHandler, type DavHandler, type DavResponse } from '@davsync/express';
import { parseXml, serializeElement } from '@davsync/protocol';
import { multistatus } from '../support/dav';

async function text(body: DavResponse['body']): Promise<string> {
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  let out = '';
  for await (const c of body) out += typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
  return out;
}

function send(h: DavHandler, method: string, url: string, body = '', headers: Record<string, string> = {}): Promise<DavResponse> {
  return h({ method, url, base: '', headers, body: Readable.from(body === '' ? [] : [Buffer.from(body)]) });
}

describe('fuzz finding 1: method tokens that name Object.prototype members', () => {
  it.each(['constructor', 'valueOf', 'toString', 'hasOwnProperty', '__proto__', 'isPrototypeOf'])('%s is a 405 with Allow, not a 500', async (method) => {
    const unexpected: unknown[] = [];
    const h = createDavHandler({ adapter: new MemoryAdapter(), onError: (err) => unexpected.push(err) });
    const res = await send(h, method, '/');
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toContain('PROPFIND');
    expect(unexpected).toEqual([]);
  });
});

describe('fuzz finding 2: an attribute or a prefix called __proto__', () => {
  const value = '<Z:p xmlns:Z="urn:z" xmlns:__proto__="urn:p" __proto__="v" __proto__:q="w">__proto__:name</Z:p>';

  it('the reader keeps them like any other attribute or binding', async () => {
    const root = await parseXml(value);
    expect(Object.keys(root.attrs).sort()).toEqual(['__proto__', '{urn:p}q']);
    expect(root.attrs['__proto__']).toBe('v');
    expect(root.namespaces['__proto__']).toBe('urn:p');
    expect(root.scope['__proto__']).toBe('urn:p');
  });

  it('a dead property keeps them through PROPPATCH and PROPFIND, and the 207 stays well-formed', async () => {
    const h = createDavHandler({ adapter: new MemoryAdapter() });
    expect((await send(h, 'PUT', '/f', 'x')).status).toBe(201);
    const patch = await send(h, 'PROPPATCH', '/f', `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>${value}</D:prop></D:set></D:propertyupdate>`);
    expect(patch.status).toBe(207);
    await text(patch.body);
    const found = await send(h, 'PROPFIND', '/f', '<D:propfind xmlns:D="DAV:"><D:prop><Z:p xmlns:Z="urn:z"/></D:prop></D:propfind>', { depth: '0' });
    expect(found.status).toBe(207);
    const ms = await multistatus(await text(found.body));
    const p = ms.get('/f').prop('{urn:z}p');
    expect(p?.attrs['__proto__']).toBe('v');
    expect(p?.attrs['{urn:p}q']).toBe('w');
    expect(p?.scope['__proto__']).toBe('urn:p');
    expect(p?.text).toBe('__proto__:name');
  });

  it('the serialised value declares the __proto__ prefix', async () => {
    const out = serializeElement(await parseXml(value));
    expect(out).toContain('xmlns:__proto__="urn:p"');
    expect(out).toContain('__proto__="v"');
    await expect(parseXml(out)).resolves.toBeDefined();
  });
});
