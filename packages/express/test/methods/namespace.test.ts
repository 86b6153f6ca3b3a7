/**
 * MKCOL, COPY and MOVE in process (RFC 4918 §9.3, §9.8, §9.9): the neutral
 * handler called with a `DavRequest`, no socket. Runs on the store
 * DAVSYNC_TEST_STORE names.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { handlerForThisFile } from '../support/method-calls';

const { req } = handlerForThisFile();
const text = async (url: string): Promise<string | number> => {
  const r = await req('GET', url);
  return r.status === 200 ? r.text : r.status;
};

describe('MKCOL', () => {
  it('creates a collection (201); a second MKCOL there is 405; a missing parent is 409; a body is 415', async () => {
    expect((await req('MKCOL', '/mk')).status).toBe(201);
    const found = await req('PROPFIND', '/mk/', { depth: '0' });
    expect(found.status).toBe(207);
    expect(found.text).toContain('collection');
    expect((await req('MKCOL', '/mk')).status).toBe(405);
    expect((await req('MKCOL', '/no/such/parent')).status).toBe(409);
    expect((await req('MKCOL', '/mk-body', { 'content-type': 'text/plain' }, 'x')).status).toBe(415);
    expect((await req('PROPFIND', '/mk-body/', { depth: '0' })).status).toBe(404);
  });

  it('answers 405 over an existing file', async () => {
    await req('PUT', '/mk-file', {}, 'x');
    expect((await req('MKCOL', '/mk-file')).status).toBe(405);
    expect(await text('/mk-file')).toBe('x');
  });
});

describe('COPY', () => {
  beforeAll(async () => {
    await req('MKCOL', '/src');
    await req('PUT', '/src/a.txt', {}, 'a');
    await req('MKCOL', '/src/sub');
    await req('PUT', '/src/sub/b.txt', {}, 'b');
  });

  it('copies a file: 201 when created, 204 when it replaced, the source kept', async () => {
    expect((await req('COPY', '/src/a.txt', { destination: '/copy-a.txt' })).status).toBe(201);
    expect(await text('/copy-a.txt')).toBe('a');
    await req('PUT', '/copy-a.txt', {}, 'changed');
    expect((await req('COPY', '/src/a.txt', { destination: 'http://localhost/copy-a.txt' })).status).toBe(204);
    expect(await text('/copy-a.txt')).toBe('a');
    expect(await text('/src/a.txt')).toBe('a');
  });

  it('Overwrite: F onto an existing destination is 412 and changes nothing', async () => {
    await req('PUT', '/keep.txt', {}, 'keep');
    expect((await req('COPY', '/src/a.txt', { destination: '/keep.txt', overwrite: 'F' })).status).toBe(412);
    expect(await text('/keep.txt')).toBe('keep');
  });

  it('copies a collection whole with Depth: infinity, and only itself with Depth: 0', async () => {
    expect((await req('COPY', '/src/', { destination: '/deep/' })).status).toBe(201);
    expect(await text('/deep/sub/b.txt')).toBe('b');
    expect((await req('COPY', '/src/', { destination: '/shallow/', depth: '0' })).status).toBe(201);
    expect((await req('PROPFIND', '/shallow/', { depth: '0' })).status).toBe(207);
    expect(await text('/shallow/a.txt')).toBe(404);
  });

  it('no Destination is 400; onto itself 403; a missing source 404; a missing destination parent 409', async () => {
    expect((await req('COPY', '/src/a.txt')).status).toBe(400);
    expect((await req('COPY', '/src/a.txt', { destination: '/src/a.txt' })).status).toBe(403);
    expect((await req('COPY', '/nothing.txt', { destination: '/x.txt' })).status).toBe(404);
    expect((await req('COPY', '/src/a.txt', { destination: '/no/parent.txt' })).status).toBe(409);
  });
});

describe('MOVE', () => {
  it('renames: 201 at the destination, 404 at the source', async () => {
    await req('PUT', '/mv.txt', {}, 'moving');
    expect((await req('MOVE', '/mv.txt', { destination: '/moved.txt' })).status).toBe(201);
    expect(await text('/moved.txt')).toBe('moving');
    expect(await text('/mv.txt')).toBe(404);
  });

  it('moves a collection with its members, replacing (204) unless Overwrite: F (412); refuses Depth: 0 (400)', async () => {
    await req('MKCOL', '/mvc');
    await req('PUT', '/mvc/m.txt', {}, 'm');
    await req('PUT', '/target.txt', {}, 't');
    expect((await req('MOVE', '/mvc/', { destination: '/mvc2/', depth: '0' })).status).toBe(400);
    expect((await req('MOVE', '/mvc/', { destination: '/target.txt', overwrite: 'F' })).status).toBe(412);
    expect(await text('/target.txt')).toBe('t');
    expect((await req('MOVE', '/mvc/', { destination: '/target.txt' })).status).toBe(204);
    expect(await text('/target.txt/m.txt')).toBe('m');
    expect(await text('/mvc/m.txt')).toBe(404);
  });
});
