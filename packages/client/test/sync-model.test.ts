/**
 * Model-based test of the whole client against a davsync server: random
 * edits, deletions and renames on both sides, passes, and passes cut short after a
 * random number of actions (a crash between two actions; the CLI test
 * kills a real process mid-action). After every pass:
 * - no edit is lost: every version present on either side before the pass
 *   that was never in sync at its path is present on both sides after it
 *   (by name or as a conflict copy) — only a version both sides once agreed
 *   on may go, replaced or deleted by the other side;
 * and after a complete pass, both sides are the same.
 * Versions are unique strings, so "present" is exact.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RemoteCollection, syncUntilAgreed } from '../src/index';
import { startDavServer } from './support/davsync-server';
import { localFiles, remoteFiles } from './support/trees';

const RUNS = Number(process.env['DAVSYNC_CLIENT_MODEL_RUNS'] ?? 12);
const PATHS = ['a.txt', 'b', 'd/c.txt', 'd/e'];

type Op =
  | { kind: 'local-write' | 'remote-write'; path: string }
  | { kind: 'local-delete' | 'remote-delete'; path: string }
  | { kind: 'local-rename' | 'remote-move'; path: string; to: string }
  | { kind: 'sync'; crashAfter: number | null };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('local-write' as const, 'remote-write' as const), path: fc.constantFrom(...PATHS) }),
  fc.record({ kind: fc.constantFrom('local-delete' as const, 'remote-delete' as const), path: fc.constantFrom(...PATHS) }),
  fc.record({ kind: fc.constantFrom('local-rename' as const, 'remote-move' as const), path: fc.constantFrom(...PATHS), to: fc.constantFrom(...PATHS) }),
  fc.record({ kind: fc.constant('sync' as const), crashAfter: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }) }),
);

class Crash extends Error {}

describe('sync model', () => {
  it('random edits on both sides, passes and crashes: nothing is lost, complete passes converge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 14 }), async (ops) => {
        const server = await startDavServer();
        const tmp = await mkdtemp(join(tmpdir(), 'davsync-client-model-'));
        const dir = join(tmp, 'folder');
        await mkdir(dir);
        const remote = new RemoteCollection({ url: server.url });
        let counter = 0;
        /** Contents each path has had while both sides agreed on it. */
        const agreed = new Map<string, Set<string>>();
        const noteAgreed = (l: Record<string, string>, r: Record<string, string>) => {
          for (const [p, v] of Object.entries(l)) if (r[p] === v) agreed.set(p, new Set([...(agreed.get(p) ?? []), v]));
        };
        try {
          for (const o of [...ops, { kind: 'sync', crashAfter: null } as Op]) {
            const version = `v${++counter}${'.'.repeat(counter % 7)}`;
            if (o.kind === 'local-write') {
              const file = join(dir, ...o.path.split('/'));
              await mkdir(dirname(file), { recursive: true });
              await writeFile(file, version);
              // A distinct mtime per write: two writes in one clock tick with one size would look unchanged.
              await utimes(file, 1_700_000_000 + counter, 1_700_000_000 + counter);
            } else if (o.kind === 'local-delete') {
              await unlink(join(dir, ...o.path.split('/'))).catch(() => undefined);
            } else if (o.kind === 'remote-write') {
              if (o.path.includes('/')) await remote.mkcol(dirname(o.path)).catch(() => undefined);
              const src = join(tmp, 'src');
              await writeFile(src, version);
              await remote.upload(o.path, src, {});
            } else if (o.kind === 'remote-delete') {
              await remote.remove(o.path, {});
            } else if (o.kind === 'local-rename') {
              // A rename keeps inode, size and mtime: the planner sees a move.
              const to = join(dir, ...o.to.split('/'));
              if (o.to !== o.path && !existsSync(to)) {
                await mkdir(dirname(to), { recursive: true });
                await rename(join(dir, ...o.path.split('/')), to).catch(() => undefined);
              }
            } else if (o.kind === 'remote-move') {
              if (o.to !== o.path && (await remote.stat(o.to)) === undefined && (await remote.stat(o.path))?.kind === 'file') {
                if (o.to.includes('/')) await remote.mkcol(dirname(o.to)).catch(() => undefined);
                await remote.move(o.path, o.to, {});
              }
            } else {
              const beforeL = await localFiles(dir);
              const beforeR = await remoteFiles(remote, tmp);
              const crashAfter = (o as Extract<Op, { kind: 'sync' }>).crashAfter;
              let actions = 0;
              let crashed = false;
              try {
                await syncUntilAgreed({
                  dir,
                  url: server.url,
                  maxDeletePercent: 100,
                  onAction: () => {
                    if (crashAfter !== null && ++actions > crashAfter) throw new Crash();
                  },
                });
              } catch (err) {
                if (!(err instanceof Crash)) throw err;
                crashed = true;
              }
              const afterL = await localFiles(dir);
              const afterR = await remoteFiles(remote, tmp);
              const present = (tree: Record<string, string>) => new Set(Object.values(tree));
              for (const [p, v] of [...Object.entries(beforeL), ...Object.entries(beforeR)]) {
                if (v === '/' || agreed.get(p)?.has(v)) continue;
                // An unsynced version: it must be somewhere, and after a complete pass on both sides.
                if (crashed) expect([present(afterL).has(v) || present(afterR).has(v), p, v]).toEqual([true, p, v]);
                else expect([present(afterL).has(v), present(afterR).has(v), p, v]).toEqual([true, true, p, v]);
              }
              if (!crashed) expect(afterL).toEqual(afterR);
              noteAgreed(afterL, afterR);
            }
          }
        } finally {
          await server.close();
          await rm(tmp, { recursive: true, force: true });
        }
      }),
      {
        numRuns: RUNS,
        // The stories the rules are about, always run first: delete against edit both ways, a conflict, a crash inside one.
        examples: [
          [
            [
              { kind: 'local-write', path: 'a.txt' },
              { kind: 'remote-write', path: 'd/c.txt' },
              { kind: 'sync', crashAfter: null },
              { kind: 'local-delete', path: 'a.txt' },
              { kind: 'remote-write', path: 'a.txt' },
              { kind: 'remote-delete', path: 'd/c.txt' },
              { kind: 'local-write', path: 'd/c.txt' },
              { kind: 'sync', crashAfter: null },
              { kind: 'local-write', path: 'b' },
              { kind: 'remote-write', path: 'b' },
              { kind: 'sync', crashAfter: 0 },
              { kind: 'sync', crashAfter: null },
            ],
          ],
        ],
      },
    );
  }, 240_000);
});
