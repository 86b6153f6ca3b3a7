/**
 * `davsync serve --postgres URL`: two command-line servers on one database
 * serve the same tree and accept each other's sync tokens; the password
 * never shows in the ready line; an unreachable database is one clear line
 * and exit status 1.
 */
import { describe, expect, it } from '@jest/globals';
import { startServe, runToEnd } from '../../cli/test/support';
import { dav, multistatus } from '../../express/test/support/dav';
import { syncBody } from '../../express/test/support/server';
import { database } from './support/postgres';

describe('davsync serve --postgres', () => {
  it('runs two servers on one database that share the tree and the tokens', async () => {
    const { server } = await database();
    const url = await server.createDatabase('davsync_cli');
    try {
      const withPassword = new URL(url);
      withPassword.password = 'secret-in-url'; // trust authentication ignores it
      const a = await startServe(['--postgres', withPassword.href, '--log-level', 'warn']);
      const b = await startServe(['--postgres', url, '--log-level', 'warn']);
      try {
        expect(a.store).toMatch(/^postgres: postgresql:\/\/davsync:\*\*\*@/);
        expect(a.proc.stdout() + a.proc.stderr()).not.toContain('secret-in-url');
        expect((await dav(`${a.url}hello.txt`, 'PUT', { body: 'hello' })).status).toBe(201);
        const first = await multistatus((await dav(b.url, 'REPORT', { body: syncBody(null, '1') })).text);
        expect(first.hrefs).toEqual(['/hello.txt']);
        expect((await dav(`${b.url}second.txt`, 'PUT', { body: 'two' })).status).toBe(201);
        // b's token, answered by a.
        const next = await multistatus((await dav(a.url, 'REPORT', { body: syncBody(first.syncToken as string, '1') })).text);
        expect(next.hrefs).toEqual(['/second.txt']);
      } finally {
        a.proc.child.kill('SIGTERM');
        b.proc.child.kill('SIGTERM');
        expect((await a.proc.waitExit()).code).toBe(0);
        expect((await b.proc.waitExit()).code).toBe(0);
      }
    } finally {
      await server.dropDatabase(url);
    }
  }, 60_000);

  it('exits with one clear line when the database cannot be reached', async () => {
    const result = await runToEnd(['serve', '--postgres', 'postgresql://nobody@127.0.0.1:1/none', '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot serve postgres: postgresql:\/\/nobody@127\.0\.0\.1:1\/none: .*unavailable|cannot be used/);
  }, 30_000);

  it('refuses --postgres together with a folder or --memory', async () => {
    for (const extra of [['./data'], ['--memory']]) {
      const result = await runToEnd(['serve', '--postgres', 'postgresql://localhost/x', ...extra]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('only one');
    }
  });
});
