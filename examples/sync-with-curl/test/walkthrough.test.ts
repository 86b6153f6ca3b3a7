import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { davsync } from '@davsync/express';
import { EXPECTED_OUTPUT, listenOnLoopback, runWalkthrough } from '../src/run';

const hasCurl = spawnSync('curl', ['--version']).status === 0;

if (!hasCurl && process.env['CI']) {
  it('needs curl, which CI must provide', () => {
    throw new Error('curl is not installed: the sync-with-curl walk-through cannot run');
  });
}

// Without curl (and outside CI) the tests are skipped, saying why.
const withCurl = hasCurl ? it : (name: string) => it.skip(`${name} [skipped: curl is not installed]`, () => undefined);

let expected: string;
beforeAll(async () => {
  expected = await readFile(EXPECTED_OUTPUT, 'utf8');
});

describe('against an in-memory server (npm start)', () => {
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  beforeAll(async () => {
    server = await listenOnLoopback(davsync({ adapter: new MemoryAdapter() }));
  });
  afterAll(() => server.close());

  withCurl('prints expected-output.txt exactly', async () => {
    expect(await runWalkthrough(server.url)).toBe(expected);
  });

  withCurl('prints it again on a second run against the same server', async () => {
    expect(await runWalkthrough(`${server.url}/`)).toBe(expected);
  });
});

describe('against a folder store (what `davsync serve ./data` serves)', () => {
  let dir: string;
  let store: FsStore;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'davsync-walkthrough-'));
    store = await openFsStore({ root: join(dir, 'data') });
    server = await listenOnLoopback(davsync({ engine: store.engine }));
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  withCurl('prints expected-output.txt exactly', async () => {
    expect(await runWalkthrough(server.url)).toBe(expected);
  });
});
