/**
 * cadaver (the neon-based command-line WebDAV client, no one here wrote
 * it) locking davsync, two sessions at once: A uploads and LOCKs a file,
 * `discover` shows the lock davsync holds; B's `put` is refused 423 while
 * A's own `put` (which sends its token in If) succeeds; B `steal`s the
 * token (discovers it and adopts it) and may then write; A's `unlock`
 * frees the file for anyone. Each step is checked in the store too.
 *
 * Needs /usr/bin/cadaver (Debian package `cadaver`, installed by .ci/run).
 * Without it the test is skipped, except under CI, where it fails.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dav } from '../support/dav';
import { CADAVER, cadaverInstalled, openCadaver, type CadaverSession } from '../support/cadaver';
import { lockTokensOf } from '../support/locks';
import { startServer, type TestServer } from '../support/server';

const installed = cadaverInstalled();
const inCI = Boolean(process.env['CI']);

if (!installed && !inCI) {
  describe('cadaver (skipped)', () => {
    it.skip(`skipped: ${CADAVER} is not installed (apt-get install cadaver; CI installs it)`, () => undefined);
  });
} else {
  describe('cadaver: lock, discover, put, steal, unlock', () => {
    let server: TestServer;
    const sessions: CadaverSession[] = [];

    const content = async (path: string): Promise<string> => {
      const r = await dav(`${server.url}${path}`, 'GET');
      expect(r.status).toBe(200);
      return r.text;
    };

    beforeAll(async () => {
      if (!installed) throw new Error(`${CADAVER} is missing: .ci/run must apt-get install cadaver`);
      server = await startServer({ mount: '/dav' });
    });
    afterAll(async () => {
      for (const s of sessions) await s.close();
      await server?.close();
    });

    it('honours the lock between two cadaver sessions and a plain HTTP client', async () => {
      const a = await openCadaver(`${server.url}/`);
      sessions.push(a);
      const b = await openCadaver(`${server.url}/`);
      sessions.push(b);
      await a.local('a.txt', 'from A\n');
      await a.local('a2.txt', 'from A again\n');
      await b.local('b.txt', 'from B\n');

      expect(await a.run('put a.txt doc.txt')).toMatch(/succeeded/);
      expect(await content('/doc.txt')).toBe('from A\n');

      expect(await a.run('lock doc.txt')).toMatch(/Locking `doc\.txt': succeeded/);
      const tokens = await lockTokensOf(`${server.url}/doc.txt`);
      expect(tokens).toEqual([expect.stringMatching(/^urn:uuid:/)]);
      const token = tokens[0] as string;

      const discovered = await a.run('discover doc.txt');
      expect(discovered).toContain(`Lock token <${token}>`);
      expect(discovered).toMatch(/Scope: exclusive\s+Type: write/);
      expect(await a.run('showlocks')).toContain(`<${token}>`);

      // B has no token: refused, and the content stays A's.
      expect(await b.run('put b.txt doc.txt')).toMatch(/failed:\s*423 Locked/);
      expect((await dav(`${server.url}/doc.txt`, 'PUT', { body: 'plain HTTP' })).status).toBe(423);
      expect(await content('/doc.txt')).toBe('from A\n');

      // A's put carries its token.
      expect(await a.run('put a2.txt doc.txt')).toMatch(/succeeded/);
      expect(await content('/doc.txt')).toBe('from A again\n');

      // steal: B finds the lock by discovery and adopts its token.
      expect(await b.run('steal doc.txt')).toContain(`<${token}>`);
      expect(await b.run('put b.txt doc.txt')).toMatch(/succeeded/);
      expect(await content('/doc.txt')).toBe('from B\n');

      expect(await a.run('unlock doc.txt')).toMatch(/Unlocking `doc\.txt': succeeded/);
      expect(await a.run('showlocks')).toMatch(/No owned locks/);
      expect(await lockTokensOf(`${server.url}/doc.txt`)).toEqual([]);
      expect((await dav(`${server.url}/doc.txt`, 'PUT', { body: 'plain HTTP' })).status).toBe(204);
      expect(await content('/doc.txt')).toBe('plain HTTP');
    }, 60_000);

    it('locks a new name (an empty file appears) and unlocks it; a second lock from the other session conflicts', async () => {
      const a = await openCadaver(`${server.url}/`);
      sessions.push(a);
      const b = await openCadaver(`${server.url}/`);
      sessions.push(b);
      expect(await a.run('lock fresh.txt')).toMatch(/succeeded/);
      expect(await content('/fresh.txt')).toBe('');
      expect(await b.run('lock fresh.txt')).toMatch(/failed:[\s\S]*423/);
      expect(await a.run('unlock fresh.txt')).toMatch(/succeeded/);
      expect(await b.run('lock fresh.txt')).toMatch(/succeeded/);
      expect(await b.run('unlock fresh.txt')).toMatch(/succeeded/);
      expect(await lockTokensOf(`${server.url}/fresh.txt`)).toEqual([]);
    }, 60_000);
  });
}
