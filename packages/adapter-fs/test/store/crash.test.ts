/**
 * Crash safety of the filesystem store (issue: filesystem adapter). Each
 * round: a server process on a fs store takes a burst of PUT, DELETE, MOVE
 * and MKCOL from concurrent clients and is killed with SIGKILL at a random
 * moment; after a restart on the same folder,
 *  - every acknowledged write is on disk (an unacknowledged one may or may
 *    not be, but never half);
 *  - a client that synced before the crash and syncs again from its token
 *    ends with exactly what the server holds, which is exactly what is on
 *    disk (or gets a clean 403 valid-sync-token and converges by a full sync).
 * DAVSYNC_CRASH_ROUNDS sets the number of rounds (default 20).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { removeTemp, tempDir } from '../support/temp-store';

const ROUNDS = Number(process.env['DAVSYNC_CRASH_ROUNDS']) || 20;
const SERVER = join(__dirname, '..', 'support', 'fs-server.js');
const WORKERS = 4;

/** Deterministic pseudo-random numbers, so a failing round can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Server {
  child: ChildProcess;
  url: string;
}

function startServer(root: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    child.stdout!.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** The model of one worker's subtree: path → file content, or DIR. */
type Tree = Map<string, string>;
const DIR = '\u0000dir';

type Op =
  | { kind: 'put'; path: string; body: string }
  | { kind: 'delete'; path: string }
  | { kind: 'mkcol'; path: string }
  | { kind: 'move'; from: string; to: string };

function parentExists(tree: Tree, path: string, base: string): boolean {
  const parent = path.slice(0, path.lastIndexOf('/'));
  return parent === base || tree.get(parent) === DIR;
}

/** What the op does to the model when the server acknowledges it; undefined when it would be refused. */
function apply(tree: Tree, op: Op, base: string): Tree | undefined {
  const next = new Map(tree);
  const under = (p: string, root: string) => p === root || p.startsWith(root + '/');
  switch (op.kind) {
    case 'put':
      if (!parentExists(tree, op.path, base) || tree.get(op.path) === DIR) return undefined;
      next.set(op.path, op.body);
      return next;
    case 'delete':
      if (!tree.has(op.path)) return undefined;
      for (const p of tree.keys()) if (under(p, op.path)) next.delete(p);
      return next;
    case 'mkcol':
      if (tree.has(op.path) || !parentExists(tree, op.path, base)) return undefined;
      next.set(op.path, DIR);
      return next;
    case 'move': {
      if (!tree.has(op.from) || op.from === op.to || under(op.to, op.from) || under(op.from, op.to) || !parentExists(tree, op.to, base)) return undefined;
      for (const p of tree.keys()) if (under(p, op.to)) next.delete(p);
      for (const [p, v] of tree) {
        if (!under(p, op.from)) continue;
        next.delete(p);
        next.set(op.to + p.slice(op.from.length), v);
      }
      return next;
    }
  }
}

function randomOp(random: () => number, base: string, n: number): Op {
  const names = ['a', 'b', 'c', 'd/a', 'd/b'];
  const pick = () => `${base}/${names[Math.floor(random() * names.length)]}`;
  const r = random();
  if (r < 0.45) return { kind: 'put', path: pick(), body: `v${n}-${Math.floor(random() * 1e6)}` };
  if (r < 0.6) return { kind: 'delete', path: random() < 0.2 ? `${base}/d` : pick() };
  if (r < 0.75) return { kind: 'mkcol', path: `${base}/d` };
  return { kind: 'move', from: random() < 0.2 ? `${base}/d` : pick(), to: pick() };
}

async function send(url: string, op: Op): Promise<number> {
  const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  switch (op.kind) {
    case 'put':
      return (await fetch(url + enc(op.path), { method: 'PUT', body: op.body })).status;
    case 'delete':
      return (await fetch(url + enc(op.path), { method: 'DELETE' })).status;
    case 'mkcol':
      return (await fetch(url + enc(op.path), { method: 'MKCOL' })).status;
    case 'move':
      return (await fetch(url + enc(op.from), { method: 'MOVE', headers: { destination: url + enc(op.to), overwrite: 'T' } })).status;
  }
}

/** What is on disk under `dir`, as a model (state directory excluded). */
async function diskTree(root: string, dir: string, out: Tree = new Map()): Promise<Tree> {
  for (const e of await fsp.readdir(join(root, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (p === '/.davsync') continue;
    if (e.isDirectory()) {
      out.set(p, DIR);
      await diskTree(root, p, out);
    } else out.set(p, await fsp.readFile(join(root, p), 'utf8'));
  }
  return out;
}

const sameTree = (a: Tree, b: Tree) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

function syncBody(token: string | null, limit: number): string {
  return (
    `<D:sync-collection xmlns:D="DAV:"><D:sync-token>${token ?? ''}</D:sync-token><D:sync-level>infinite</D:sync-level>` +
    `<D:limit><D:nresults>${limit}</D:nresults></D:limit><D:prop><D:getetag/></D:prop></D:sync-collection>`
  );
}

/** A sync client's mirror: href path → ETag, kept up to date by paging through sync reports. */
async function sync(url: string, mirror: Map<string, string>, token: string | null, limit: number): Promise<{ token: string; fullSyncs: number }> {
  let fullSyncs = 0;
  for (let page = 0; page < 1000; page++) {
    const res = await fetch(`${url}/`, { method: 'REPORT', headers: { 'content-type': 'application/xml' }, body: syncBody(token, limit) });
    const text = await res.text();
    if (res.status === 403 && text.includes('valid-sync-token')) {
      token = null;
      mirror.clear();
      fullSyncs++;
      continue;
    }
    expect(res.status).toBe(207);
    let truncated = false;
    for (const m of text.matchAll(/<D:response><D:href>([^<]*)<\/D:href>(.*?)<\/D:response>/g)) {
      const path = decodeURIComponent(m[1]!).replace(/\/$/, '');
      const etag = /<D:getetag>"([^"]*)"<\/D:getetag>/.exec(m[2]!)?.[1];
      if (path === '' && m[2]!.includes('507')) truncated = true;
      else if (etag !== undefined) mirror.set(path, etag);
      else for (const p of [...mirror.keys()]) if (p === path || p.startsWith(path + '/')) mirror.delete(p);
    }
    token = /<D:sync-token>([^<]+)<\/D:sync-token>/.exec(text)![1]!;
    if (!truncated) return { token, fullSyncs };
  }
  throw new Error('sync did not finish in 1000 pages');
}

/** The server's view: path → ETag of every member, from PROPFIND Depth: infinity. */
async function serverView(url: string): Promise<Map<string, string>> {
  const res = await fetch(`${url}/`, {
    method: 'PROPFIND',
    headers: { depth: 'infinity', 'content-type': 'application/xml' },
    body: '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
  });
  const out = new Map<string, string>();
  for (const m of (await res.text()).matchAll(/<D:response><D:href>([^<]*)<\/D:href>.*?<D:getetag>"([^"]*)"<\/D:getetag>/g)) {
    const path = decodeURIComponent(m[1]!).replace(/\/$/, '');
    if (path !== '') out.set(path, m[2]!);
  }
  return out;
}

const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await removeTemp(d);
});

describe('crash safety (SIGKILL during a burst of writes)', () => {
  it(`loses no acknowledged write and no change a client must see, over ${ROUNDS} random rounds`, async () => {
    let totalAcked = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const seed = 1000 + round;
      const random = rng(seed);
      const dir = tempDir();
      temps.push(dir);
      const root = join(dir, 'root');
      let server = await startServer(root);
      try {
        const bases = Array.from({ length: WORKERS }, (_, i) => `/w${i}`);
        for (const b of bases) expect(await send(server.url, { kind: 'mkcol', path: b })).toBe(201);
        const mirror = new Map<string, string>();
        const first = await sync(server.url, mirror, null, 5);

        const models: Tree[] = bases.map(() => new Map());
        const inFlight: (Op | undefined)[] = bases.map(() => undefined);
        let crashed = false;
        const workers = bases.map(async (base, w) => {
          for (let n = 0; n < 200 && !crashed; n++) {
            const op = randomOp(random, base, n);
            inFlight[w] = op;
            let status: number;
            try {
              status = await send(server.url, op);
            } catch {
              return; // the server died with this op in flight
            }
            inFlight[w] = undefined;
            if (status >= 200 && status < 300) {
              const next = apply(models[w]!, op, base);
              expect(next).toBeDefined(); // the server accepted what the model allows
              models[w] = next!;
              totalAcked++;
            }
          }
        });
        await new Promise((r) => setTimeout(r, 20 + random() * 300));
        crashed = true;
        server.child.kill('SIGKILL');
        await Promise.all(workers);
        await stopped(server.child);

        server = await startServer(root);
        // Every acknowledged write is on disk; the op in flight may have happened or not.
        for (const [w, base] of bases.entries()) {
          const disk = await diskTree(root, base);
          const op = inFlight[w];
          const after = op === undefined ? undefined : apply(models[w]!, op, base);
          const ok = sameTree(disk, models[w]!) || (after !== undefined && sameTree(disk, after));
          if (!ok) throw new Error(`round ${round} (seed ${seed}), ${base}: disk ${JSON.stringify([...disk])} != model ${JSON.stringify([...models[w]!])} (in flight: ${JSON.stringify(op)})`);
        }
        // The client that synced before the crash converges to the server, which matches the disk.
        await sync(server.url, mirror, first.token, 1 + Math.floor(random() * 6));
        const view = await serverView(server.url);
        expect(Object.fromEntries([...mirror].sort())).toEqual(Object.fromEntries([...view].sort()));
        const disk = await diskTree(root, '');
        expect([...view.keys()].sort()).toEqual([...disk.keys()].sort());
      } finally {
        server.child.kill('SIGKILL');
        await stopped(server.child);
      }
    }
    expect(totalAcked).toBeGreaterThan(ROUNDS * 5);
  }, 300_000);
});
