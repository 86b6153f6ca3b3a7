#!/usr/bin/env node
// The sync client against `rclone bisync` (issue #18), side by side in one
// run. For each N: one `davsync serve` (fs store, the CLI users run) on a
// temporary folder whose `files/` holds N small files in nested folders
// (d0..d49/e0..e19/fI.txt, written before start). Each client reaches the
// server through a counting TCP proxy on 127.0.0.1 (bytes both ways, per
// pass) and syncs `files/` with an empty local folder of its own:
//   davsync  `davsync sync DIR URL --once --json` (this checkout's CLI)
//   rclone   `rclone bisync DIR X:files --workdir W` with
//            RCLONE_CONFIG_X_TYPE=webdav, _URL=<proxy>, _VENDOR=owncloud
//            (`rclone mkdir X:files` and `--resync` first)
//   davsync-running  `davsync sync DIR URL --json --interval S` (no --once:
//            the running client, folder watched, polling every --interval
//            seconds — the bench's server has no change stream), started
//            once and kept running; its passes are read from its --json lines
//            (each carries the pass's own wall-clock `ms` and its trigger)
// The initial sync (and rclone's --resync) is timed once and kept out of the
// passes. Then, --runs times: a pass with nothing changed; 10 local edits
// plus 10 remote edits (plain HTTP PUTs to the server, not through the
// proxy) and a pass. A pass's time is the client process's wall clock, spawn
// to exit (start-up included: what a user waits for). After every pass the
// two sides are compared — the local folder's files and contents against the
// server's folder on disk — and a difference is a failure (exit status 1),
// never a time.
//
// The running client's columns mean something else, as its passes do not
// start a process: "no change" is the in-process time of a pass its poll
// started (the bytes: that poll's), "10 + 10" is the wall clock from the
// first edit until the end of the pass that finished the 20 transfers —
// which includes waiting for the watcher's debounce (0.3 s) and for the next
// poll to see the server's edits (up to --interval) — and, beside it, the
// time spent inside those passes.
//
// --contacts: the same passes on an address book of N vCards (default 5 000,
// m0.vcf … with UID m0 …) in Radicale (Debian; set up as bench/peers does),
// davsync sync against vdirsyncer (Debian; a temporary config: a `carddav`
// storage through the proxy and a `filesystem` storage, `collections = null`,
// `vdirsyncer discover` then `sync` first). Edits keep each contact's UID;
// the sides are compared as sets of vCards — each as its set of lines,
// because vdirsyncer writes LF where Radicale sends CRLF and keeps its own
// version after an upload where Radicale serves the properties reordered.
//
// Run:  npm run bench:client   (= tsc -b && node bench/client.js)
// Options: --n 10000,50000  --runs 3  --clients davsync,davsync-running,rclone  --quick (N = 500, 1 run)  --contacts
//          --interval 1: the running client's poll, seconds
//          --initial-limit 1800: seconds an initial sync may take before that
//          client is given up at this N (reported, not timed)
//          --json FILE (write the results)
//          --timings: print davsync's phase times of each pass (DAVSYNC_TIMINGS=1:
//          root+scan, open, feed, state, plan — see packages/client/src/sync/pass-timings.ts)
// Needs rclone (Debian: apt-get install -y rclone); without it, davsync alone.
// --contacts needs radicale and vdirsyncer (apt-get install -y radicale vdirsyncer).
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { PEERS, startServer: startPeer, stopServer: stopPeer, killAll } = require('./peers/servers');
const { vcard } = require('./peers/client');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.join(__dirname, '..');
const DAVSYNC_BIN = path.join(REPO, 'packages', 'cli', 'bin', 'davsync.js');
const EDITS = 10;
const children = new Set(); // killed on the way out
let scratch;

function parseArgs(argv) {
  const opts = { n: undefined, runs: 3, clients: undefined, initialLimitS: 1800, json: undefined, contacts: false, timings: false, interval: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--n') opts.n = value().split(',').map(Number);
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--clients') opts.clients = value().split(',');
    else if (a === '--initial-limit') opts.initialLimitS = Number(value());
    else if (a === '--interval') opts.interval = Number(value());
    else if (a === '--json') opts.json = value();
    else if (a === '--quick') Object.assign(opts, { n: [500], runs: 1 });
    else if (a === '--contacts') opts.contacts = true;
    else if (a === '--timings') {
      opts.timings = true;
      process.env.DAVSYNC_TIMINGS = '1'; // inherited by every davsync sync the bench starts
    }
    else if (a === '--help') {
      console.log('Usage: node bench/client.js [--contacts] [--n 10000,50000] [--runs 3] [--clients davsync,davsync-running,rclone] [--interval 1] [--initial-limit 1800] [--quick] [--json FILE] [--timings]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  opts.n ??= opts.contacts ? [5000] : [10000, 50000];
  opts.clients ??= opts.contacts ? ['davsync', 'vdirsyncer'] : ['davsync', 'davsync-running', 'rclone'];
  if (opts.n.some((n) => !Number.isInteger(n) || n < 4 * EDITS) || !(opts.runs >= 1)) throw new Error('--n needs integers ≥ 40, --runs ≥ 1');
  return opts;
}

// ---- the server's folder --------------------------------------------------

const fileOf = (i) => `d${i % 50}/e${Math.floor(i / 50) % 20}/f${i}.txt`;
const original = (i) => `file ${i}: ${'x'.repeat(64)}\n`;

function populate(dir, n) {
  for (let i = 0; i < n; i++) {
    const p = path.join(dir, fileOf(i));
    if (i < 1000) fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, original(i));
  }
}

/** path → content of every regular file under `dir`, leaving out `skip` (a client's state folder). */
function treeOf(dir, skip) {
  const out = new Map();
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      if (p === skip) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(p, fs.readFileSync(path.join(dir, p), 'latin1'));
      else out.set(p, `<${e.isSymbolicLink() ? 'symlink' : 'special'}>`);
    }
  };
  walk('');
  return out;
}

/** A vCard's lines, line ends and order aside. */
const card = (text) => text.split(/\r?\n/).filter(Boolean).sort().join('\n');

/** The first difference between the two trees, or undefined when they are the same. */
function difference(local, remote, byContent = false) {
  if (byContent) {
    // As vCards, not as bytes: vdirsyncer writes LF where the server sends CRLF, and keeps its own
    // version after an upload where Radicale serves the properties in another order.
    const a = [...local.values()].map(card).sort();
    const b = [...remote.values()].map(card).sort();
    if (a.length !== b.length) return `${a.length} vCards here, ${b.length} on the server`;
    const i = a.findIndex((x, k) => x !== b[k]);
    return i < 0 ? undefined : `a vCard differs: ${JSON.stringify(a[i].slice(0, 80))}`;
  }
  if (local.size !== remote.size) return `${local.size} files here, ${remote.size} on the server`;
  for (const [p, c] of remote) {
    if (!local.has(p)) return `${p} missing here`;
    if (local.get(p) !== c) return `${p} differs`;
  }
  return undefined;
}

// ---- processes and the network -------------------------------------------

function startServer(root) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DAVSYNC_BIN, 'serve', root, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(String(d));
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`davsync serve exited with ${code}: ${err.trim()}`)));
  });
}

function stopChild(child) {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A TCP proxy on 127.0.0.1 that counts the bytes that cross it, both ways. */
function startProxy(targetPort) {
  const counts = { up: 0, down: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => (counts.up += d.length));
    upstream.on('data', (d) => (counts.down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        take() {
          const c = { ...counts };
          counts.up = counts.down = 0;
          return c;
        },
        close: () => new Promise((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
      }),
    );
  });
}

/** Runs a client to its exit: wall clock, output; killed after `limitMs`. */
function runClient(cmd, args, { env = {}, limitMs }) {
  return new Promise((resolve) => {
    const began = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr.length < 100_000 ? (stderr += d) : undefined));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.once('error', (err) => (stderr += String(err)));
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, timedOut, ms: Number(process.hrtime.bigint() - began) / 1e6, stdout, stderr });
    });
  });
}

// A connection per PUT (agent: false): the edits come seconds apart, and a kept-alive socket the server
// has just timed out (Keep-Alive: timeout=5) would be reused as it closes (ECONNRESET).
const put = (port, urlPath, body) => request(port, 'PUT', urlPath, body);

/** Every vCard of an address book as the server serves it, by one addressbook-query REPORT (href → text). */
function addressBook(port, urlPath) {
  const body =
    '<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop></C:addressbook-query>';
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'REPORT', agent: false, headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => {
        if (res.statusCode !== 207) return reject(new Error(`REPORT ${urlPath}: ${res.statusCode}`));
        const out = new Map();
        for (const m of text.matchAll(/<(?:\w+:)?response\b[\s\S]*?<(?:\w+:)?href>([^<]*)<[\s\S]*?<(?:\w+:)?address-data\b[^>]*>([\s\S]*?)<\/(?:\w+:)?address-data>/g)) {
          out.set(m[1], m[2].replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e.toLowerCase()] ?? String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))));
        }
        resolve(out);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
function request(port, method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, agent: false, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`${method} ${urlPath}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---- the clients ----------------------------------------------------------

const CLIENTS = {
  davsync: {
    available: () => true,
    version: () => `${require(path.join(REPO, 'packages', 'cli', 'package.json')).version} (this checkout)`,
    stateDir: '.davsync-client',
    run(ctx, limitMs) {
      return runClient(process.execPath, [DAVSYNC_BIN, 'sync', ctx.local, `${ctx.url}${ctx.collection}`, '--once', '--json', '--max-delete', '100'], { limitMs });
    },
    initial(ctx, limitMs) {
      return this.run(ctx, limitMs);
    },
    /** The actions of each pass, from --json: the last pass must have none. */
    summary(out) {
      const passes = out.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      return passes.map((p) => Object.entries(p.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(' ') || 'nothing').join(' / ');
    },
  },
  'davsync-running': {
    available: () => true,
    version: () => `${require(path.join(REPO, 'packages', 'cli', 'package.json')).version} (this checkout, without --once)`,
    stateDir: '.davsync-client',
  },
  rclone: {
    available: () => {
      try {
        execFileSync('rclone', ['version'], { stdio: 'ignore' });
        return true;
      } catch {
        return 'rclone is not installed (Debian: apt-get install -y rclone)';
      }
    },
    version: () => execFileSync('rclone', ['version'], { encoding: 'utf8' }).split('\n')[0].trim(),
    stateDir: undefined, // --workdir is outside the synced folder
    env(ctx) {
      return {
        RCLONE_CONFIG: path.join(ctx.work, 'rclone.conf'), // an empty config: nothing of the user's is read
        RCLONE_CONFIG_X_TYPE: 'webdav',
        RCLONE_CONFIG_X_URL: ctx.url,
        RCLONE_CONFIG_X_VENDOR: 'owncloud',
      };
    },
    run(ctx, limitMs, extra = []) {
      return runClient('rclone', ['bisync', ctx.local, `X:${ctx.collection}`, '--workdir', path.join(ctx.work, 'bisync'), '-q', ...extra], { env: this.env(ctx), limitMs });
    },
    async initial(ctx, limitMs) {
      fs.writeFileSync(path.join(ctx.work, 'rclone.conf'), '');
      const mk = await runClient('rclone', ['mkdir', `X:${ctx.collection}`], { env: this.env(ctx), limitMs: 60_000 });
      if (mk.code !== 0) return mk;
      const r = await this.run(ctx, limitMs, ['--resync']);
      return { ...r, ms: r.ms + mk.ms };
    },
    summary: () => '',
  },
  vdirsyncer: {
    available: () => {
      try {
        execFileSync('vdirsyncer', ['--version'], { stdio: 'ignore' });
        return true;
      } catch {
        return 'vdirsyncer is not installed (Debian: apt-get install -y vdirsyncer)';
      }
    },
    version: () => execFileSync('vdirsyncer', ['--version'], { encoding: 'utf8' }).trim(),
    stateDir: undefined, // status_path is outside the synced folder
    env: (ctx) => ({ VDIRSYNCER_CONFIG: path.join(ctx.work, 'vdirsyncer.conf') }),
    run(ctx, limitMs) {
      return runClient('vdirsyncer', ['sync'], { env: this.env(ctx), limitMs });
    },
    async initial(ctx, limitMs) {
      fs.writeFileSync(
        path.join(ctx.work, 'vdirsyncer.conf'),
        [
          '[general]',
          `status_path = "${path.join(ctx.work, 'status')}/"`,
          '',
          '[pair bench]',
          'a = "local"',
          'b = "remote"',
          'collections = null',
          '',
          '[storage local]',
          'type = "filesystem"',
          `path = "${ctx.local}/"`,
          'fileext = ".vcf"',
          '',
          '[storage remote]',
          'type = "carddav"',
          `url = "${ctx.url}${ctx.collection}"`,
          '',
        ].join('\n'),
      );
      const discover = await runClient('vdirsyncer', ['discover'], { env: this.env(ctx), limitMs: 120_000 });
      if (discover.code !== 0) return discover;
      const r = await this.run(ctx, limitMs);
      return { ...r, ms: r.ms + discover.ms };
    },
    summary: () => '',
  },
};

// ---- what is synced: a folder of files on davsync, or an address book on Radicale -------

const FILES = {
  title: 'davsync sync vs rclone bisync',
  server: () => 'davsync serve (fs store) on 127.0.0.1',
  collection: 'files/',
  byContent: false,
  async start(root, n) {
    populate(path.join(root, 'files'), n);
    const s = await startServer(root);
    return { port: s.port, dir: path.join(root, 'files'), stop: () => stopChild(s.child) };
  },
  editLocal: (local, i, tag) => fs.writeFileSync(path.join(local, fileOf(i)), `edited here ${tag} ${i}\n`),
  editRemote: (server, j, tag) => put(server.port, `/files/${fileOf(j)}`, `edited on the server ${tag} ${j}\n`),
};

const CONTACTS = {
  title: 'davsync sync vs vdirsyncer, an address book on Radicale',
  server: () => `Radicale ${PEERS.radicale.version()} on 127.0.0.1 (set up as in bench/peers/servers.js)`,
  collection: 'bench/contacts/',
  byContent: true,
  async start(root, n) {
    PEERS.radicale.populate(root, n);
    const s = await startPeer('radicale', root);
    const port = Number(new URL(s.origin).port);
    // Radicale builds its item cache on the first listing: wait for the server, not for that.
    for (let i = 0; ; i++) {
      try {
        await request(port, 'PROPFIND', '/bench/contacts/', '', { depth: '0' });
        break;
      } catch (err) {
        if (i > 300 || s.hasExited()) throw new Error(`radicale did not start: ${err.message}\n${s.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // What the server serves, not its files: Radicale sends its own serialization of what it stored.
    return { port, members: () => addressBook(port, '/bench/contacts/'), stop: () => stopPeer(s) };
  },
  editLocal: (local, i, tag) => fs.writeFileSync(path.join(local, `m${i}.vcf`), vcard(`m${i}`, `here-${tag}`)),
  editRemote: (server, j, tag) => request(server.port, 'PUT', `/bench/contacts/m${j}.vcf`, vcard(`m${j}`, `server-${tag}`), { 'content-type': 'text/vcard; charset=utf-8' }),
};

// ---- one client at one N --------------------------------------------------

async function benchClient(name, n, opts, server, tmp, scenario) {
  const client = CLIENTS[name];
  const work = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const local = path.join(work, 'local');
  fs.mkdirSync(local);
  const proxy = await startProxy(server.port);
  const ctx = { local, work, url: `http://127.0.0.1:${proxy.port}/`, collection: scenario.collection };
  const result = { client: name, n, passes: { initial: [], unchanged: [], changed: [] }, errors: [] };
  const check = async (what) => {
    const remote = server.dir === undefined ? await server.members() : treeOf(server.dir);
    const diff = difference(treeOf(local, client.stateDir), remote, scenario.byContent);
    if (diff !== undefined) result.errors.push(`${what}: the two sides differ (${diff})`);
    return diff === undefined;
  };
  const pass = async (kind, run) => {
    proxy.take();
    const out = await run();
    const bytes = proxy.take();
    const record = { ms: out.ms, up: bytes.up, down: bytes.down, summary: client.summary(out) };
    if (out.timedOut || out.code !== 0) {
      result.errors.push(`${kind}: ${out.timedOut ? 'timed out' : `exit ${out.code}`}: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      return false;
    }
    result.passes[kind].push(record);
    process.stderr.write(`${kind} ${seconds(out.ms)} s ${group(bytes.up + bytes.down)} B; `);
    // --timings: davsync's own phase times for the pass (DAVSYNC_TIMINGS=1), where its time goes.
    const timings = out.stderr.match(/pass timings: .*/g);
    if (opts.timings && timings !== null && kind !== 'initial') process.stderr.write(`[${timings.join(' | ')}] `);
    return await check(`${kind} pass ${result.passes[kind].length}`);
  };
  try {
    if (!(await pass('initial', () => client.initial(ctx, opts.initialLimitS * 1000)))) return result;
    for (let r = 0; r < opts.runs; r++) {
      if (!(await pass('unchanged', () => client.run(ctx, 600_000)))) return result;
      // 10 edits here and 10 on the server, on distinct files (no conflicts), each changing the size.
      const tag = `${name}-${r}`;
      for (let k = 0; k < EDITS; k++) {
        const i = (Math.floor((k * n) / (2 * EDITS)) + r) % n;
        scenario.editLocal(local, i, tag);
        await scenario.editRemote(server, (i + Math.floor(n / 2)) % n, tag);
      }
      if (!(await pass('changed', () => client.run(ctx, 600_000)))) return result;
    }
  } finally {
    await proxy.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return result;
}

// ---- the running client ---------------------------------------------------

/**
 * `davsync sync` without --once, started once: the initial sync is its first pass; then, --runs
 * times, a pass its poll starts with nothing changed, and 10 + 10 edits until a pass has carried
 * them all. Passes are read from its --json lines as they come.
 */
async function benchRunning(n, opts, server, tmp, scenario) {
  const name = 'davsync-running';
  const work = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const local = path.join(work, 'local');
  fs.mkdirSync(local);
  const proxy = await startProxy(server.port);
  const result = { client: name, n, passes: { initial: [], unchanged: [], changed: [] }, errors: [] };
  const seen = []; // { at, pass } for every --json line
  let wake;
  const began = now();
  const child = spawn(process.execPath, [DAVSYNC_BIN, 'sync', local, `http://127.0.0.1:${proxy.port}/${scenario.collection}`, '--json', '--max-delete', '100', '--interval', String(opts.interval)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    for (let nl = stdout.indexOf('\n'); nl >= 0; nl = stdout.indexOf('\n')) {
      const line = stdout.slice(0, nl);
      stdout = stdout.slice(nl + 1);
      if (line.trim() !== '') seen.push({ at: now(), pass: JSON.parse(line) });
    }
    wake?.();
  });
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-100_000)));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    wake?.();
  });
  /** The first pass from index `from` on that `ok` accepts (or an error after `limitMs`). */
  const passFrom = async (from, ok, limitMs) => {
    const deadline = now() + limitMs;
    for (;;) {
      for (let i = from; i < seen.length; i++) if (ok(seen[i].pass, i)) return { index: i, ...seen[i] };
      if (exited) throw new Error(`the client exited: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const left = deadline - now();
      if (left <= 0) throw new Error(`no such pass within ${limitMs / 1000} s`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  const idle = (p) => Object.values(p.counts).every((v) => v === 0);
  const summary = (p) => Object.entries(p.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(' ') || 'nothing';
  const check = async (what) => {
    const diff = difference(treeOf(local, '.davsync-client'), treeOf(server.dir), false);
    if (diff !== undefined) throw new Error(`${what}: the two sides differ (${diff})`);
  };
  const timingsOf = (from) => (stderr.match(/pass timings: .*/g) ?? []).slice(-from);
  try {
    proxy.take();
    const first = await passFrom(0, (p) => p.trigger === 'start', opts.initialLimitS * 1000);
    const bytes0 = proxy.take();
    result.passes.initial.push({ ms: first.at - began, up: bytes0.up, down: bytes0.down, summary: summary(first.pass) });
    process.stderr.write(`initial ${seconds(first.at - began)} s; `);
    await check('initial pass');
    // Settled: a poll that neither scanned nor found anything (the first polls scan the initial sync's own
    // watcher events, and hash the files downloaded in the last tick).
    let settled = await passFrom(first.index + 1, (p) => p.trigger === 'timer' && !p.scanned && idle(p), 600_000);
    for (let r = 0; r < opts.runs; r++) {
      // A poll with nothing changed: bytes counted from the end of the pass before it.
      let before = await passFrom(settled.index + 1, () => true, 600_000);
      proxy.take();
      const poll = await passFrom(before.index + 1, (p) => p.trigger === 'timer', 600_000);
      const pb = proxy.take();
      if (!idle(poll.pass) || poll.pass.scanned) result.errors.push(`unchanged pass ${r + 1}: expected an idle scan-free poll, got ${summary(poll.pass)}, scanned ${poll.pass.scanned}`);
      result.passes.unchanged.push({ ms: poll.pass.ms, up: pb.up, down: pb.down, summary: summary(poll.pass) });
      process.stderr.write(`unchanged ${seconds(poll.pass.ms)} s ${group(pb.up + pb.down)} B; `);
      if (opts.timings) process.stderr.write(`[${timingsOf(1).join(' | ')}] `);
      await check(`unchanged pass ${r + 1}`);

      // 10 edits here and 10 on the server (as for the other clients), then passes until all 20 are carried.
      before = await passFrom(poll.index + 1, () => true, 600_000);
      proxy.take();
      const edited = seen.length;
      const t0 = now();
      const tag = `${name}-${r}`;
      for (let k = 0; k < EDITS; k++) {
        const i = (Math.floor((k * n) / (2 * EDITS)) + r) % n;
        scenario.editLocal(local, i, tag);
        await scenario.editRemote(server, (i + Math.floor(n / 2)) % n, tag);
      }
      const sum = (i, key) => seen.slice(edited, i + 1).reduce((x, s) => x + s.pass.counts[key], 0);
      const done = await passFrom(edited, (_p, i) => sum(i, 'uploaded') >= EDITS && sum(i, 'downloaded') >= EDITS, 600_000);
      const cb = proxy.take();
      const carried = seen.slice(edited, done.index + 1).map((s) => s.pass);
      for (const p of carried) if (p.counts.failed + p.counts.deferred + p.counts.conflicts > 0) result.errors.push(`changed pass ${r + 1}: ${summary(p)}`);
      const passMs = carried.reduce((sum, p) => sum + p.ms, 0);
      result.passes.changed.push({ ms: done.at - t0, passMs, up: cb.up, down: cb.down, summary: carried.map((p) => `${p.trigger}: ${summary(p)}${p.scanned ? ' (scanned)' : ''}`).join(' / ') });
      process.stderr.write(`changed ${seconds(done.at - t0)} s (${carried.length} passes, ${seconds(passMs)} s in them) ${group(cb.up + cb.down)} B; `);
      if (opts.timings) process.stderr.write(`[${timingsOf(carried.length).join(' | ')}] `);
      await check(`changed pass ${r + 1}`);
      settled = await passFrom(done.index + 1, (p) => p.trigger === 'timer' && !p.scanned && idle(p), 600_000);
    }
  } catch (err) {
    result.errors.push(err.message);
  } finally {
    await stopChild(child);
    await proxy.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return result;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

// ---- report ---------------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const group = (x) => String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
const seconds = (ms) => (ms >= 10_000 ? (ms / 1000).toFixed(0) : ms < 100 ? (ms / 1000).toFixed(3) : (ms / 1000).toFixed(2));
function stats(list) {
  if (list.length === 0) return undefined;
  const ms = list.map((p) => p.ms);
  return { ms: median(ms), min: Math.min(...ms), max: Math.max(...ms), bytes: median(list.map((p) => p.up + p.down)), up: median(list.map((p) => p.up)), down: median(list.map((p) => p.down)) };
}
const cell = (s, range = true) => (s === undefined ? 'failed' : range && s.min !== s.max ? `${seconds(s.ms)} (${seconds(s.min)}–${seconds(s.max)})` : seconds(s.ms));
const bytesCell = (s) => (s === undefined ? '–' : `${group(s.bytes)} (↑${group(s.up)} ↓${group(s.down)})`);

function tables(results, opts) {
  const lines = [
    `Time in seconds, client spawn → exit: median (min–max) of ${opts.runs} passes; the initial sync once. Bytes on the wire, both ways through the proxy (↑ to the server, ↓ from it), median.`,
    '',
    '| N | client | initial sync s | no change s | 10 + 10 changes s | initial bytes | no-change bytes | 10 + 10 bytes |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const [i, u, c] = ['initial', 'unchanged', 'changed'].map((k) => stats(r.passes[k]));
    // The running client: its 10 + 10 cell is edits → agreed, with the time inside its passes beside it.
    const inPasses = r.client === 'davsync-running' && c !== undefined ? ` [in passes ${seconds(median(r.passes.changed.map((p) => p.passMs)))}]` : '';
    lines.push(`| ${group(r.n)} | ${r.client} | ${cell(i, false)} | ${cell(u)} | ${cell(c)}${inPasses} | ${bytesCell(i)} | ${bytesCell(u)} | ${bytesCell(c)} |`);
  }
  if (results.some((r) => r.client === 'davsync-running')) {
    lines.push(
      '',
      'davsync-running (no --once, started once): initial = spawn → end of its first pass; no change = the in-process time of a pass its poll started;',
      '10 + 10 = first edit → end of the pass that finished the 20 transfers (includes the 0.3 s watcher debounce and up to one --interval',
      'of waiting for the poll that sees the server\'s edits), [in passes] = the time spent inside those passes.',
    );
  }
  return lines;
}

function ratios(results, opts) {
  const other = opts.clients.find((c) => !c.startsWith('davsync')) ?? 'rclone';
  const lines = [`Ratios, ${other} / davsync (from this run):`];
  const get = (client, n, kind) => stats(results.find((r) => r.client === client && r.n === n)?.passes[kind] ?? []);
  const fmt = (a, b, key, goal) => {
    if (a === undefined || b === undefined) return 'not measured';
    const x = a[key] / b[key];
    return `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×${goal === undefined ? '' : ` (goal ≥ ${group(goal)}×: ${x >= goal ? 'met' : '**missed**'})`}`;
  };
  for (const n of opts.n) {
    const goal = (g) => (n === 50000 && !opts.contacts ? g : undefined);
    for (const mine of ['davsync', 'davsync-running']) {
      if (!results.some((r) => r.client === mine && r.n === n)) continue;
      const them = other;
      const [ru, du, rc, dc] = [get(them, n, 'unchanged'), get(mine, n, 'unchanged'), get(them, n, 'changed'), get(mine, n, 'changed')];
      lines.push(
        `- N = ${group(n)}, ${them} / ${mine}: no change — time ${fmt(ru, du, 'ms', goal(100))}, bytes ${fmt(ru, du, 'bytes', goal(1000))}; ` +
          `10 + 10 changes — time ${fmt(rc, dc, 'ms', goal(50))}, bytes ${fmt(rc, dc, 'bytes')}`,
      );
      if (mine === 'davsync-running' && rc !== undefined && dc !== undefined) {
        const inPasses = median(results.find((r) => r.client === mine && r.n === n).passes.changed.map((p) => p.passMs));
        lines.push(`  (10 + 10, ${them}'s pass / the time inside the running client's passes: ${fmt(rc, { ms: inPasses }, 'ms', goal(50))})`);
      }
    }
  }
  return lines;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(REPO, 'packages', 'cli', 'dist', 'index.js'))) throw new Error('run `npx tsc -b` first (the CLI needs dist/)');
  const missing = opts.clients.map((c) => [c, CLIENTS[c]?.available() ?? 'unknown client']).filter(([, ok]) => ok !== true);
  for (const [c, why] of missing) process.stderr.write(`[bench:client] leaving out ${c}: ${why}\n`);
  const clients = opts.clients.filter((c) => !missing.some(([m]) => m === c));
  const scenario = opts.contacts ? CONTACTS : FILES;
  const load0 = os.loadavg();
  const startedAt = new Date();
  const tmp = (scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-client-')));
  const results = [];
  try {
    for (const n of opts.n) {
      const root = path.join(tmp, `server-${n}`);
      fs.mkdirSync(root);
      const server = await scenario.start(root, n);
      try {
        for (const c of clients) {
          process.stderr.write(`[bench:client] N = ${n}, ${c}… `);
          const s = Date.now();
          const r = c === 'davsync-running' ? await benchRunning(n, opts, server, tmp, scenario) : await benchClient(c, n, opts, server, tmp, scenario);
          const brief = ['initial', 'unchanged', 'changed'].map((k) => `${k} ${r.passes[k].map((p) => seconds(p.ms)).join(',') || '–'}`).join('; ');
          process.stderr.write(`${((Date.now() - s) / 1000).toFixed(0)} s (${brief})${r.errors.length ? ` — ${r.errors.join('; ')}` : ''}\n`);
          results.push(r);
        }
      } finally {
        await server.stop();
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const load1 = os.loadavg();
  const failures = results.flatMap((r) => r.errors.map((e) => `${r.client} at N = ${r.n}: ${e}`));
  const lines = [
    `# ${scenario.title} — ${startedAt.toISOString()} (${((Date.now() - startedAt) / 60000).toFixed(1)} min)`,
    `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`,
    `Clients: ${clients.map((c) => `${c} ${CLIENTS[c].version()}`).join('; ')}; server: ${scenario.server()}`,
    '',
    ...tables(results, opts),
    '',
    ...ratios(results, opts),
    '',
    'davsync pass summaries (--json counts of each pass of --once):',
    ...results.filter((r) => r.client === 'davsync').map((r) => `- N = ${group(r.n)}: ${['initial', 'unchanged', 'changed'].map((k) => `${k}: ${r.passes[k].map((p) => p.summary).join(' | ')}`).join('; ')}`),
    '',
    failures.length ? `Correctness: **${failures.length} failure(s)**:\n${failures.map((f) => `- ${f}`).join('\n')}` : `Correctness: after every pass the local folder equals the server's folder (${scenario.byContent ? 'the same vCards, each compared as its set of lines' : 'every file, every byte'}): all passes.`,
  ];
  console.log(lines.join('\n'));
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ startedAt, node: process.version, load: { start: load0, end: load1 }, opts, results, failures }, null, 2));
  if (failures.length) process.exitCode = 1;
}

function cleanUp() {
  for (const c of children) c.kill('SIGKILL');
  killAll(); // a Radicale started through bench/peers/servers.js
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanUp();
  process.exit(130);
});
main().catch((err) => {
  cleanUp();
  console.error(err);
  process.exit(1);
});
