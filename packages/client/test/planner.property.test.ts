/**
 * The planner's promise, as a property: for random three-tree pictures
 * (edits, creations and deletions on both sides since the synced state),
 * carrying out the plan on a model of the two sides
 * - loses no edit: every version either side changed since the synced
 *   state ends on both sides, under its name or as a conflict copy;
 * - keeps what nobody touched;
 * - converges: afterwards both sides hold the same names with the same contents.
 * Contents are labels; a label is what the ETag (remote) or the identity
 * (local) stands for.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { LocalEntry, SyncedEntry } from '../src/sync/entries';
import { plan, type Action } from '../src/sync/planner';
import type { RemoteEntry } from '../src/remote/remote-entry';

const RUNS = Number(process.env['DAVSYNC_MODEL_RUNS'] ?? 500);
const FILES = ['a.txt', 'b', 'sub/c.txt', 'sub/d', 'sub/deep/e'];
const DIRS = ['sub', 'sub/deep'];

/** One file's history: its synced version (or none), then what each side did. */
type Side = 'same' | 'edit' | 'delete';
interface FileCase {
  readonly synced: boolean;
  readonly local: Side;
  readonly remote: Side;
  /** For a file new on both sides: the same bytes on both. */
  readonly sameNew: boolean;
}

const fileCase: fc.Arbitrary<FileCase> = fc.record({
  synced: fc.boolean(),
  local: fc.constantFrom<Side>('same', 'edit', 'delete'),
  remote: fc.constantFrom<Side>('same', 'edit', 'delete'),
  sameNew: fc.boolean(),
});

type Contents = Map<string, string | 'dir'>;

function picture(cases: readonly FileCase[]) {
  const synced = new Map<string, SyncedEntry>();
  const local = new Map<string, LocalEntry>();
  const remote = new Map<string, RemoteEntry>();
  const localC: Contents = new Map();
  const remoteC: Contents = new Map();
  const syncedC = new Map<string, string>();
  FILES.forEach((path, i) => {
    const c = cases[i]!;
    const base = `v0:${path}`;
    if (c.synced) {
      synced.set(path, { path, kind: 'file', etag: `"${base}"`, size: 1, mtimeNs: base, ino: path });
      syncedC.set(path, base);
      if (c.local !== 'delete') {
        const v = c.local === 'edit' ? `local:${path}` : base;
        local.set(path, { path, kind: 'file', size: 1, mtimeNs: v, ino: path });
        localC.set(path, v);
      }
      if (c.remote !== 'delete') {
        const v = c.remote === 'edit' ? `remote:${path}` : base;
        remote.set(path, { path, kind: 'file', etag: `"${v}"` });
        remoteC.set(path, v);
      }
    } else {
      // Not synced: 'edit' means created on that side.
      const shared = `new:${path}`;
      if (c.local === 'edit') {
        const v = c.sameNew ? shared : `local:${path}`;
        local.set(path, { path, kind: 'file', size: 1, mtimeNs: v, ino: path });
        localC.set(path, v);
      }
      if (c.remote === 'edit') {
        const v = c.sameNew ? shared : `remote:${path}`;
        remote.set(path, { path, kind: 'file', etag: `"${v}"` });
        remoteC.set(path, v);
      }
    }
  });
  // Folders exist on a side when it was synced with members, or holds a member now.
  for (const dir of DIRS) {
    const under = (m: ReadonlyMap<string, unknown>) => [...m.keys()].some((p) => p.startsWith(`${dir}/`));
    if (under(synced)) synced.set(dir, { path: dir, kind: 'dir', ino: dir });
    if (under(local) || (under(synced) && under(local))) local.set(dir, { path: dir, kind: 'dir', ino: dir });
    if (under(remote)) remote.set(dir, { path: dir, kind: 'dir' });
    if (local.has(dir)) localC.set(dir, 'dir');
    if (remote.has(dir)) remoteC.set(dir, 'dir');
  }
  return { synced, local, remote, localC, remoteC, syncedC };
}

/** Carries out the plan on the model; a condition the server would refuse fails the property. */
function apply(actions: readonly Action[], localC: Contents, remoteC: Contents): void {
  const ensureParents = (c: Contents, path: string) => {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) c.set(parts.slice(0, i).join('/'), 'dir');
  };
  for (const a of actions) {
    switch (a.type) {
      case 'download':
        expect(remoteC.has(a.path)).toBe(true);
        ensureParents(localC, a.path);
        localC.set(a.path, remoteC.get(a.path)!);
        break;
      case 'upload':
        if (a.ifMatch === undefined) expect(remoteC.has(a.path)).toBe(false);
        else expect(`"${remoteC.get(a.path)}"`).toBe(a.ifMatch);
        ensureParents(remoteC, a.path);
        remoteC.set(a.path, localC.get(a.path)!);
        break;
      case 'conflict': {
        const mine = localC.get(a.path)!;
        const theirs = remoteC.get(a.path)!;
        if (mine !== theirs) {
          expect(localC.has(a.copy) || remoteC.has(a.copy)).toBe(false);
          localC.set(a.copy, mine);
          remoteC.set(a.copy, mine);
        }
        localC.set(a.path, theirs);
        break;
      }
      case 'mkdir-local':
        ensureParents(localC, a.path);
        localC.set(a.path, 'dir');
        break;
      case 'mkdir-remote':
        ensureParents(remoteC, a.path);
        remoteC.set(a.path, 'dir');
        break;
      case 'delete-local':
        for (const p of [...localC.keys()]) if (p === a.path || p.startsWith(`${a.path}/`)) localC.delete(p);
        break;
      case 'delete-remote':
        if (a.ifMatch !== undefined) expect(`"${remoteC.get(a.path)}"`).toBe(a.ifMatch);
        for (const p of [...remoteC.keys()]) if (p === a.path || p.startsWith(`${a.path}/`)) remoteC.delete(p);
        break;
      case 'record':
        break;
      default:
        throw new Error(`unexpected action in this model: ${JSON.stringify(a)}`);
    }
  }
}

describe('planner property', () => {
  it('no edit is lost, untouched files stay, and both sides converge', () => {
    fc.assert(
      fc.property(fc.array(fileCase, { minLength: FILES.length, maxLength: FILES.length }), (cases) => {
        const { synced, local, remote, localC, remoteC, syncedC } = picture(cases);
        const edits = new Set<string>();
        for (const [p, v] of localC) if (v !== 'dir' && syncedC.get(p) !== v) edits.add(v);
        for (const [p, v] of remoteC) if (v !== 'dir' && syncedC.get(p) !== v) edits.add(v);
        const untouched = [...syncedC].filter(([p, v]) => localC.get(p) === v && remoteC.get(p) === v);

        apply(plan({ synced, local, remote, now: new Date(0) }), localC, remoteC);

        const finalVersions = (c: Contents) => new Set([...c.values()].filter((v) => v !== 'dir'));
        for (const v of edits) {
          expect(finalVersions(localC)).toContain(v);
          expect(finalVersions(remoteC)).toContain(v);
        }
        for (const [p, v] of untouched) expect([localC.get(p), remoteC.get(p)]).toEqual([v, v]);
        expect(new Map([...localC].sort())).toEqual(new Map([...remoteC].sort()));
      }),
      { numRuns: RUNS },
    );
  });
});
