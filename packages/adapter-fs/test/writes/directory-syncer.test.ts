/**
 * Group fsync of directories: a caller is only released by an fsync that
 * started after it asked, and callers who arrive while one runs share the
 * next one.
 */
import { describe, expect, it } from '@jest/globals';
import { DirectorySyncer } from '../../src/writes/directory-syncer';

/** An fsync whose runs are started and finished by the test. */
function manualFsync() {
  const runs: { dir: string; finish: (err?: Error) => void }[] = [];
  const fsync = (dir: string) =>
    new Promise<void>((resolve, reject) => {
      runs.push({ dir, finish: (err) => (err === undefined ? resolve() : reject(err)) });
    });
  return { runs, fsync };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('DirectorySyncer', () => {
  it('releases a caller only after an fsync that started after its call, and shares that fsync', async () => {
    const { runs, fsync } = manualFsync();
    const syncer = new DirectorySyncer(fsync);
    const released: string[] = [];
    const first = syncer.sync('/d').then(() => released.push('first'));
    expect(runs).toHaveLength(1);
    // These two arrive while the first fsync runs: it may predate their renames.
    const second = syncer.sync('/d').then(() => released.push('second'));
    const third = syncer.sync('/d').then(() => released.push('third'));
    runs[0]!.finish();
    await first;
    await tick();
    expect(released).toEqual(['first']);
    // One more fsync serves both of them.
    expect(runs).toHaveLength(2);
    runs[1]!.finish();
    await Promise.all([second, third]);
    expect(released).toEqual(['first', 'second', 'third']);
    expect(runs).toHaveLength(2);
  });

  it('keeps folders apart', async () => {
    const { runs, fsync } = manualFsync();
    const syncer = new DirectorySyncer(fsync);
    const a = syncer.sync('/a');
    const b = syncer.sync('/b');
    expect(runs.map((r) => r.dir)).toEqual(['/a', '/b']);
    for (const r of runs) r.finish();
    await Promise.all([a, b]);
  });

  it('gives a failed fsync to its callers only, and still runs the next', async () => {
    const { runs, fsync } = manualFsync();
    const syncer = new DirectorySyncer(fsync);
    const failing = syncer.sync('/d');
    const queued = syncer.sync('/d');
    runs[0]!.finish(new Error('EIO'));
    await expect(failing).rejects.toThrow('EIO');
    await tick();
    runs[1]!.finish();
    await expect(queued).resolves.toBeUndefined();
    // Idle again: the next call starts at once.
    const later = syncer.sync('/d');
    expect(runs).toHaveLength(3);
    runs[2]!.finish();
    await later;
  });
});
