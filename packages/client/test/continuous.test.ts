/**
 * The pieces of continuous mode on their own: the change stream (events,
 * a dropped stream opened again, a server without one) and the folder
 * watcher (what it ignores). The whole loop is tested through the CLI
 * (packages/cli/test/sync.test.ts).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FolderWatcher, RemoteCollection, type StreamStatus } from '../src/index';
import { startDavServer, type TestDavServer } from './support/davsync-server';
import { putRemote } from './support/trees';

let tmp: string;
let server: TestDavServer | undefined;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'davsync-client-cont-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(tmp, { recursive: true, force: true });
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RemoteChangeStream', () => {
  it('hears the current token, then one per change; a stream the server ends is opened again (and says so)', async () => {
    let streams = 0;
    server = await startDavServer({ changeStream: {}, before: (req) => void (req.headers.accept === 'text/event-stream' && streams++) });
    const remote = new RemoteCollection({ url: server.url });
    const tokens: string[] = [];
    const statuses: StreamStatus['state'][] = [];
    const stop = new AbortController();
    const listening = remote.changeStream().listen({ onToken: (t) => tokens.push(t), onStatus: (s) => statuses.push(s.state) }, stop.signal);
    await until(() => tokens.length === 1);
    await putRemote(remote, tmp, 'a.txt', 'a');
    await until(() => tokens.length === 2);
    expect(tokens[1]).not.toBe(tokens[0]);
    // The connection drops (a network failure, a proxy's timeout): the client comes back by itself.
    server.dropConnections!();
    await until(() => statuses.includes('retrying'));
    await until(() => tokens.length === 3, 5_000);
    expect(tokens[2]).toBe(tokens[1]); // the first event of the new connection: the current token
    expect(streams).toBe(2);
    stop.abort();
    expect(await listening).toBe(true);
  });

  it('a server without the stream answers the GET with its collection page: unsupported, and listen resolves false', async () => {
    server = await startDavServer();
    const statuses: StreamStatus[] = [];
    const result = await new RemoteCollection({ url: server.url }).changeStream().listen({ onToken: () => undefined, onStatus: (s) => statuses.push(s) }, new AbortController().signal);
    expect(result).toBe(false);
    expect(statuses).toEqual([{ state: 'unsupported', why: expect.stringMatching(/^GET with Accept: text\/event-stream answered 200 text\/html/) }]);
  });
});

describe('FolderWatcher', () => {
  it('reports changes in new subfolders too, and nothing for the client state folder', async () => {
    const dir = join(tmp, 'folder');
    await mkdir(join(dir, '.davsync-client'), { recursive: true });
    const seen: (string | undefined)[] = [];
    const watcher = new FolderWatcher(dir, { onChange: (p) => seen.push(p) });
    watcher.start();
    try {
      await writeFile(join(dir, '.davsync-client', 'state.db'), 'x');
      await mkdir(join(dir, 'new', 'deeper'), { recursive: true });
      await new Promise((r) => setTimeout(r, 200)); // inotify watches are added as folders appear
      await writeFile(join(dir, 'new', 'deeper', 'f.txt'), 'f');
      await until(() => seen.includes('new/deeper/f.txt'));
      expect(seen.filter((p) => p?.startsWith('.davsync-client'))).toEqual([]);
    } finally {
      watcher.close();
    }
  });
});
