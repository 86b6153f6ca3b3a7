import { describe, expect, it } from '@jest/globals';
import { PathLock } from '../src/path-lock';

const tick = () => new Promise((r) => setImmediate(r));

describe('PathLock', () => {
  it('runs unrelated paths concurrently and overlapping ones one after the other', async () => {
    const lock = new PathLock();
    const log: string[] = [];
    let releaseA!: () => void;
    const a = lock.run(['/a/x'], () => new Promise<void>((r) => { log.push('a start'); releaseA = () => { log.push('a end'); r(); }; }));
    const b = lock.run(['/b'], async () => { log.push('b'); });
    const parent = lock.run(['/a'], async () => { log.push('parent'); });
    await tick();
    expect(log).toEqual(['a start', 'b']);
    releaseA();
    await Promise.all([a, b, parent]);
    expect(log).toEqual(['a start', 'b', 'a end', 'parent']);
  });

  it('serves waiters in arrival order so none starves', async () => {
    const lock = new PathLock();
    const log: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => lock.run(['/same'], async () => { await tick(); log.push(n); })));
    expect(log).toEqual([1, 2, 3, 4]);
  });

  it('releases the lock when the task fails', async () => {
    const lock = new PathLock();
    await expect(lock.run(['/x'], async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(lock.run(['/x'], async () => 'ok')).resolves.toBe('ok');
  });
});
