/**
 * Reading a member's dead properties for PROPFIND: a member removed since it
 * was listed has none, but a store that fails must not be answered as "this
 * member has no properties" (a client would take them for removed).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { DavError, SyncEngine, type DavErrorCode } from '@davsync/core';
import { createDavHandler, type DavResponse } from '@davsync/express';

const PROP = '<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><D:prop><X:color/></D:prop></D:propfind>';
const ALLPROP = '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';

async function text(body: DavResponse['body']): Promise<string> {
  if (body === undefined || typeof body === 'string') return body ?? '';
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  let out = '';
  for await (const chunk of body) out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return out;
}

/** A memory store whose dead-property reads fail with `code` once `failing` is set. */
async function storeFailingWith(code: DavErrorCode) {
  const adapter = new MemoryAdapter();
  const engine = new SyncEngine({ adapter });
  const handler = createDavHandler({ engine });
  await engine.write('/a.txt', Readable.from([Buffer.from('a')]));
  await engine.patchProperties('/a.txt', { '{urn:x}color': 'blue' }, []);
  const props = adapter.properties!;
  const real = props.get.bind(props);
  let failing = false;
  props.get = (path: string) => (failing ? Promise.reject(new DavError(code, `davsync: ${code}`, path)) : real(path));
  const propfind = (body: string) =>
    handler({ method: 'PROPFIND', url: '/a.txt', base: '', headers: { depth: '0' }, body: Readable.from([Buffer.from(body)]) });
  return { propfind, fail: () => (failing = true) };
}

describe('PROPFIND of dead properties', () => {
  it('answers a stored property while the store reads', async () => {
    const s = await storeFailingWith('unavailable');
    const r = await s.propfind(PROP);
    expect(r.status).toBe(207);
    expect(await text(r.body)).toContain('blue');
  });

  it('fails the answer when the store cannot read them, rather than reporting none', async () => {
    for (const body of [PROP, ALLPROP]) {
      const s = await storeFailingWith('unavailable');
      s.fail();
      const r = await s.propfind(body);
      // The multistatus streams: the failure surfaces while its body is read
      // (the HTTP layer then cuts the connection), never as a 404 propstat.
      await expect(text(r.body)).rejects.toMatchObject({ code: 'unavailable' });
    }
  });

  it('treats a member removed since it was listed as having none', async () => {
    const s = await storeFailingWith('not-found');
    s.fail();
    const r = await s.propfind(PROP);
    const xml = await text(r.body);
    expect(xml).toContain('404');
    expect(xml).not.toContain('blue');
  });
});
