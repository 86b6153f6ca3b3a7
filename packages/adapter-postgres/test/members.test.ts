/**
 * `members.ts`: the key range of a subtree, file ETags, the public view of
 * a row, and the subtree statement on real rows whose names share a
 * prefix with the subtree's root (`/a.b`, `/a-b`, `/a0`, `/ab`).
 */
import { describe, expect, it } from '@jest/globals';
import { bodyOf } from '@davsync/core/testing';
import { below, checksumValues, fileTag, memberSql, toEntry, type MemberRow } from '../src/members';
import { quoteSchema } from '../src/schema';
import { PostgresAdapter } from '../src/postgres-adapter';
import { freshSchema, newPool } from './support/postgres';

const row = (over: Partial<MemberRow>): MemberRow => ({
  path: '/f',
  collection: false,
  etag: 'abc',
  size: '12',
  content_type: 'text/plain',
  blob: '7',
  created: new Date(1000),
  modified: new Date(2000),
  file_id: '42',
  ...over,
});

describe('pure parts', () => {
  it('below: the exclusive key range of what lies strictly under a path (the root: everything but itself)', () => {
    expect(below('/a')).toEqual(['/a/', '/a0']);
    expect(below('/a/b c')).toEqual(['/a/b c/', '/a/b c0']);
    expect(below('/')).toEqual(['/', '0']);
    // '0' follows '/' in byte order, so the range is exactly the paths starting with '/a/'.
    expect('/a/'.charCodeAt(2) + 1).toBe('0'.charCodeAt(0));
  });

  it('fileTag: the content hash, extended by the client time in base-36 ms so a time change is a new tag', () => {
    expect(fileTag('deadbeef', undefined)).toBe('deadbeef');
    const t = new Date(1_700_000_000_123);
    expect(fileTag('deadbeef', t)).toBe(`deadbeef-m${(1_700_000_000_123).toString(36)}`);
    expect(fileTag('deadbeef', t).split('-')[0]).toBe('deadbeef');
    expect(fileTag('deadbeef', new Date(1_700_000_000_124))).not.toBe(fileTag('deadbeef', t));
  });

  it('toEntry: a file with size, type and checksums only when stored; a collection without; dates copied', () => {
    const r = row({ sha1: 's1', md5: null, sha256: 's256', blocks: null });
    const entry = toEntry(r);
    expect(entry).toEqual({
      path: '/f',
      collection: false,
      etag: 'abc',
      fileId: '42',
      size: 12,
      contentType: 'text/plain',
      checksums: { sha1: 's1', sha256: 's256' },
      created: new Date(1000),
      modified: new Date(2000),
    });
    (entry.modified as Date).setTime(0);
    expect(r.modified.getTime()).toBe(2000);
    expect(toEntry(row({ content_type: null, size: null }))).not.toHaveProperty('contentType');
    expect(toEntry(row({ size: null })).size).toBe(0);
    expect(toEntry(row({}))).not.toHaveProperty('checksums');
    expect(toEntry(row({ path: '/c', collection: true }))).toEqual({ path: '/c', collection: true, etag: 'abc', fileId: '42', created: new Date(1000), modified: new Date(2000) });
  });

  it('checksumValues: the four columns in order, NULL for what was not computed', () => {
    expect(checksumValues(undefined)).toEqual([null, null, null, null]);
    expect(checksumValues({ md5: 'm', blocks: 'b' })).toEqual([null, 'm', null, 'b']);
  });
});

describe('the subtree statements on real rows', () => {
  it('select exactly the members below a path, parents first, never a sibling that shares its prefix', async () => {
    const schema = await freshSchema();
    const pool = await newPool(2);
    const adapter = new PostgresAdapter({ pool, schema });
    for (const c of ['/a', '/a/b', '/ab', '/a-b', '/a0']) await adapter.mkcol(c);
    for (const f of ['/a/x', '/a/b/y', '/a.b', '/a-b/z', '/a0/w', '/ab/v']) await adapter.write(f, bodyOf('x'));
    const sql = memberSql(quoteSchema(schema));
    const subtree = async (path: string): Promise<string[]> => {
      const [lo, hi] = below(path);
      return (await pool.query<{ path: string }>(sql.subtree, [path, lo, hi])).rows.map((r) => r.path);
    };
    expect(await subtree('/a')).toEqual(['/a', '/a/b', '/a/b/y', '/a/x']);
    expect(await subtree('/a/b')).toEqual(['/a/b', '/a/b/y']);
    expect(await subtree('/a-b')).toEqual(['/a-b', '/a-b/z']);
    expect(await subtree('/a.b')).toEqual(['/a.b']);
    expect((await subtree('/')).length).toBe(12);
    // The pool and schema go with the file's database (the support's afterAll).
  });
});
