import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { StateDir } from '../../src/writes/state-dir';
import { removeTemp, tempDir } from '../support/temp-store';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeTemp(d);
});

async function setup() {
  const dir = tempDir();
  dirs.push(dir);
  const root = join(dir, 'root');
  await fsp.mkdir(root);
  await fsp.writeFile(join(root, 'old.txt'), 'acknowledged earlier');
  return { root, stateDir: join(root, '.davsync') };
}

describe('StateDir', () => {
  it('puts back a member displaced by a replacement that a crash cut short', async () => {
    const { root, stateDir } = await setup();
    const state = await StateDir.open(stateDir);
    await state.displace(join(root, 'old.txt'));
    // Crash here: the new member never took the place; nothing settled.
    await expect(fsp.readFile(join(root, 'old.txt'), 'utf8')).rejects.toThrow();
    await StateDir.open(stateDir);
    expect(await fsp.readFile(join(root, 'old.txt'), 'utf8')).toBe('acknowledged earlier');
    expect(await fsp.readdir(join(stateDir, 'trash'))).toEqual([]);
  });

  it('keeps the replacement when the crash came after it landed', async () => {
    const { root, stateDir } = await setup();
    const state = await StateDir.open(stateDir);
    await state.displace(join(root, 'old.txt'));
    await fsp.mkdir(join(root, 'old.txt')); // the new member (a folder) landed; crash before settle
    await StateDir.open(stateDir);
    expect((await fsp.stat(join(root, 'old.txt'))).isDirectory()).toBe(true);
    expect(await fsp.readdir(join(stateDir, 'trash'))).toEqual([]);
  });

  it('empties the trash of settled replacements at start-up', async () => {
    const { root, stateDir } = await setup();
    const state = await StateDir.open(stateDir);
    const { settle } = await state.displace(join(root, 'old.txt'));
    await fsp.writeFile(join(root, 'old.txt'), 'new');
    await settle();
    await StateDir.open(stateDir);
    expect(await fsp.readFile(join(root, 'old.txt'), 'utf8')).toBe('new');
    expect(await fsp.readdir(join(stateDir, 'trash'))).toEqual([]);
  });
});

describe('StateDir with an intent cut short', () => {
  it('starts when a crash left an empty intent file, and keeps the member in place', async () => {
    const { root, stateDir } = await setup();
    await StateDir.open(stateDir);
    await fsp.writeFile(join(stateDir, 'trash', 'displaced-x.restore.json'), '');
    await StateDir.open(stateDir);
    expect(await fsp.readFile(join(root, 'old.txt'), 'utf8')).toBe('acknowledged earlier');
    expect(await fsp.readdir(join(stateDir, 'trash'))).toEqual([]);
  });
});
