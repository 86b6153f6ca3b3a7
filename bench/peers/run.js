#!/usr/bin/env node
// davsync against the servers people would otherwise pick (issue #8), side by
// side on one machine in one run. For each N and each server: a fresh
// temporary store holding the same N vCards (written before start, see
// servers.js), the server in its own process on 127.0.0.1, then
//   start-up      spawn → first 207 to PROPFIND Depth 0 (resourcetype) on the address book
//   initial sync  sync-collection REPORT, empty token, getetag (sync servers)
//   PROPFIND      Depth 1, getetag (every server)
//   delta k=10    before each run: take the token of the previous sync, make 10
//                 changes over HTTP (PUT 5 modified, PUT 3 new, DELETE 2),
//                 then time the REPORT with that token (sync servers)
//   up-to-date    REPORT with the latest token, nothing changed (sync servers)
//   memory        VmRSS after start-up and VmHWM (peak) after all of the above
// Latency: median, min and max of --runs runs (default 7) after one warm-up;
// the first initial sync (the warm-up) is also shown alone as "cold". Only the
// request is timed (send → whole answer received). Every answer is checked:
// initial sync and PROPFIND list exactly the current members, each delta
// exactly the 10 changed hrefs (8 with a 200 propstat, 2 as 404), an
// up-to-date sync nothing. A wrong answer is reported as a failure (and the
// exit status is 1), never as a time.
//
// Run:  npm run bench:peers   (= tsc -b && node bench/peers/run.js)
// Options: --n 1000,10000,50000  --runs 7  --peers davsync,radicale,xandikos,nephele,webdav-server
//          --json FILE (write the results)  --skip-missing (leave out peers not installed)
//          --slow-limit 30: a request whose warm-up takes longer than this many
//          seconds is measured once, not repeated (marked † in the table)
// Needs: Debian radicale and xandikos (apt-get install -y radicale xandikos);
// the npm peers are installed on demand into bench/peers/.peers/ (install.js).
'use strict';
const { time } = require('../support/measure');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { PEERS, startServer, stopServer, killAll, memory } = require('./servers');
const { request, syncReport, propfind1, propfind0, vcard, readMultistatus } = require('./client');

const ALL = Object.keys(PEERS);
let scratch; // the run's temporary directory, removed on the way out

function parseArgs(argv) {
  const opts = { n: [1000, 10000, 50000], runs: 7, warmup: 1, slowLimitMs: 30_000, peers: ALL, json: undefined, skipMissing: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--n') opts.n = value().split(',').map((s) => Number(s.replace(/_/g, '')));
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--slow-limit') opts.slowLimitMs = Number(value()) * 1000;
    else if (a === '--peers') opts.peers = value().split(',');
    else if (a === '--json') opts.json = value();
    else if (a === '--skip-missing') opts.skipMissing = true;
    else if (a === '-h' || a === '--help') {
      console.log('Usage: node bench/peers/run.js [--n 1000,10000,50000] [--runs 7] [--slow-limit 30] [--peers LIST] [--json FILE] [--skip-missing]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const p of opts.peers) if (!PEERS[p]) throw new Error(`unknown peer ${p} (known: ${ALL.join(', ')})`);
  if (!opts.n.every((n) => Number.isInteger(n) && n > 0)) throw new Error('--n: positive integers');
  if (!(Number.isInteger(opts.runs) && opts.runs > 0)) throw new Error('--runs: a positive integer');
  const rounds = opts.runs + opts.warmup;
  const small = opts.n.find((n) => n < 10 * rounds);
  if (small) throw new Error(`N = ${small} is too small for ${rounds} delta rounds (need N ≥ ${10 * rounds})`);
  return opts;
}

const ms = (since) => Number(process.hrtime.bigint() - since) / 1e6;
const stats = (t) => {
  const s = [...t].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

/** Waits until the server answers a PROPFIND Depth 0 on the address book with 207; returns ms since spawn. */
async function waitReady(server, agent, coll, limitMs = 10 * 60_000) {
  for (;;) {
    if (server.hasExited()) throw new Error(`exited during start-up:\n${server.output()}`);
    try {
      const r = await propfind0(agent, server.origin, coll);
      if (r.status === 207) return ms(server.began);
    } catch {
      // not listening yet
    }
    if (ms(server.began) > limitMs) throw new Error(`not ready after ${limitMs} ms:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Checks an answer listing the whole collection: exactly `members`, each with a 200 getetag (the collection itself may appear). */
function checkListing(res, origin, coll, members, what) {
  if (res.status !== 207) throw new Error(`${what}: status ${res.status}`);
  const { token, responses } = readMultistatus(res.body, origin);
  const listed = responses.filter((r) => r.path !== coll && r.path !== coll.replace(/\/$/, ''));
  const bad = listed.filter((r) => r.kind !== 'ok' || !members.has(r.path));
  const seen = new Set(listed.map((r) => r.path));
  if (bad.length || seen.size !== listed.length || seen.size !== members.size) {
    throw new Error(`${what}: ${listed.length} responses (${seen.size} distinct) for ${members.size} members; unexpected: ${bad.slice(0, 3).map((r) => `${r.path} ${r.status}`).join(', ')}`);
  }
  return token;
}

/** Checks a delta: exactly the expected changed hrefs (200 propstat) and removed hrefs (404). */
function checkDelta(res, origin, expected, what) {
  if (res.status !== 207) throw new Error(`${what}: status ${res.status}`);
  const { token, responses } = readMultistatus(res.body, origin);
  const got = {
    changed: responses.filter((r) => r.kind === 'ok').map((r) => r.path).sort(),
    removed: responses.filter((r) => r.kind === 'gone').map((r) => r.path).sort(),
    other: responses.filter((r) => r.kind === 'other').map((r) => `${r.path} ${r.status}`),
  };
  const want = { changed: [...expected.changed].sort(), removed: [...expected.removed].sort(), other: [] };
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: wrong answer ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  if (!token) throw new Error(`${what}: no sync-token`);
  return token;
}

/** Round r's 10 changes over HTTP: PUT 5 modified, PUT 3 new, DELETE 2. Updates `members`; returns the expected delta. */
async function tenChanges(agent, origin, coll, n, r, members) {
  const step = Math.floor(n / 10);
  const modified = [0, 1, 2, 3, 4].map((i) => `m${i * step + r}`);
  const added = [0, 1, 2].map((i) => `n${r}-${i}`);
  const removed = [n - 1 - 2 * r, n - 2 - 2 * r].map((i) => `m${i}`);
  for (const [name, v] of [...modified.map((m) => [m, r + 1]), ...added.map((a) => [a, 0])]) {
    const res = await request(agent, origin, 'PUT', `${coll}${name}.vcf`, { headers: { 'content-type': 'text/vcard; charset=utf-8' }, body: vcard(name, v) });
    if (res.status < 200 || res.status >= 300) throw new Error(`PUT ${coll}${name}.vcf: ${res.status} ${String(res.body).slice(0, 200)}`);
  }
  for (const name of removed) {
    const res = await request(agent, origin, 'DELETE', `${coll}${name}.vcf`);
    if (res.status < 200 || res.status >= 300) throw new Error(`DELETE ${coll}${name}.vcf: ${res.status}`);
  }
  for (const a of added) members.add(`${coll}${a}.vcf`);
  for (const d of removed) members.delete(`${coll}${d}.vcf`);
  return { changed: [...modified, ...added].map((x) => `${coll}${x}.vcf`), removed: removed.map((x) => `${coll}${x}.vcf`) };
}

/** One server at one N: every workload that applies; a failed check is recorded, not timed. */
async function benchOne(name, n, opts, tmp) {
  const peer = PEERS[name];
  const coll = peer.collection;
  const root = fs.mkdtempSync(path.join(tmp, `${name}-${n}-`));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out = { server: name, n, workloads: {}, errors: [] };
  let server;
  try {
    let t = process.hrtime.bigint();
    peer.populate(root, n);
    out.populateMs = ms(t);
    server = await startServer(name, root);
    out.startupMs = await waitReady(server, agent, coll);
    out.rssAfterStart = memory(server.pid).rss;
    const origin = server.origin;
    const members = new Set(Array.from({ length: n }, (_, i) => `${coll}m${i}.vcf`));
    const { runs } = opts;
    let token;

    const workload = async (key, fn) => {
      try {
        out.workloads[key] = await fn();
      } catch (err) {
        out.workloads[key] = { error: String(err.message || err).slice(0, 600) };
        out.errors.push(`${key}: ${out.workloads[key].error}`);
      }
    };

    /**
     * Warm-up, then `runs` timed runs of `send` (measure.js), every answer checked.
     * A server whose warm-up (after a cold first request, when `cold`) took longer
     * than --slow-limit seconds is measured by that one request only, flagged
     * `single`, so one very slow peer cannot stretch the run by hours.
     */
    const repeated = async (send, check, { cold = false } = {}) => {
      const timedOnce = async () => {
        const s = process.hrtime.bigint();
        const answer = await send();
        const took = ms(s);
        check(answer);
        return { answer, took };
      };
      const first = cold ? await timedOnce() : undefined;
      let last = first;
      if (!first || first.took > opts.slowLimitMs) for (let i = 0; i < opts.warmup; i++) last = await timedOnce();
      if (last.took > opts.slowLimitMs) {
        return { median: last.took, min: last.took, max: last.took, single: true, coldMs: first?.took, bytes: last.answer.body.length };
      }
      const answers = [];
      const r = await time(async () => answers.push(await send()), { runs, warmup: 0, unit: 'ms' });
      answers.forEach(check);
      return { ...r, coldMs: first?.took, bytes: answers[answers.length - 1].body.length };
    };

    if (peer.sync) {
      await workload('initial', () =>
        repeated(
          () => syncReport(agent, origin, coll, ''),
          (a) => {
            token = checkListing(a, origin, coll, members, 'initial sync');
            if (!token) throw new Error('initial sync: no sync-token');
          },
          { cold: true },
        ),
      );
    }

    await workload('propfind', () => repeated(() => propfind1(agent, origin, coll), (a) => checkListing(a, origin, coll, members, 'PROPFIND Depth 1')));

    if (peer.sync && token) {
      await workload('delta', async () => {
        const times = [];
        let bytes = 0;
        for (let round = 0; round < opts.warmup + runs; round++) {
          const expected = await tenChanges(agent, origin, coll, n, round, members);
          const s = process.hrtime.bigint();
          const res = await syncReport(agent, origin, coll, token);
          const took = ms(s);
          token = checkDelta(res, origin, expected, `delta round ${round + 1}`);
          if (round >= opts.warmup) times.push(took);
          bytes = res.body.length;
        }
        return { ...stats(times), bytes };
      });

      await workload('upToDate', async () => {
        const answers = [];
        const r = await time(async () => answers.push(await syncReport(agent, origin, coll, token)), { runs, warmup: opts.warmup, unit: 'ms' });
        answers.forEach((a, i) => checkDelta(a, origin, { changed: [], removed: [] }, `up-to-date sync #${i + 1}`));
        return { ...r, bytes: answers[answers.length - 1].body.length };
      });
    }
    out.peakRss = memory(server.pid).peak;
    if (server.hasExited()) out.errors.push(`server exited during the run:\n${server.output()}`);
  } catch (err) {
    out.errors.push(String(err.stack || err).slice(0, 2000));
  } finally {
    agent.destroy();
    if (server) await stopServer(server);
    fs.rmSync(root, { recursive: true, force: true });
  }
  return out;
}

// ---- formatting ----

const group = (s) => s.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
const num = (x) => {
  if (x === undefined || Number.isNaN(x)) return '–';
  const d = x >= 100 ? 0 : x >= 10 ? 1 : x >= 1 ? 2 : 3;
  const [i, f] = x.toFixed(d).split('.');
  return f ? `${group(i)}.${f}` : group(i);
};
const mib = (b) => (Number.isFinite(b) ? num(b / 2 ** 20) : '–');
const cell = (w) => (!w ? 'n/a' : w.error ? '**FAILED**' : w.single ? `${num(w.median)} †` : `${num(w.median)} (${num(w.min)}–${num(w.max)})`);
const bytes = (w) => (!w ? 'n/a' : w.error ? '–' : group(String(w.bytes)));

function tables(results, opts) {
  const lines = [];
  lines.push(
    `Latency in ms: median (min–max) of ${opts.runs} runs after ${opts.warmup} warm-up; n/a = the server has no sync-collection; ` +
      `† = one request only: its warm-up took longer than ${opts.slowLimitMs / 1000} s, so it was not repeated.`,
    '',
  );
  lines.push('| N | server | initial sync | delta k=10 | up-to-date k=0 | PROPFIND Depth 1 |', '|---:|---|---:|---:|---:|---:|');
  for (const r of results) {
    const w = r.workloads;
    const sync = PEERS[r.server].sync;
    lines.push(`| ${group(String(r.n))} | ${r.server} | ${sync ? cell(w.initial) : 'n/a'} | ${sync ? cell(w.delta) : 'n/a'} | ${sync ? cell(w.upToDate) : 'n/a'} | ${cell(w.propfind)} |`);
  }
  lines.push('', 'Start-up (spawn → first 207), the first initial sync on a fresh server ("cold"), response bytes, server memory (RSS after start-up, peak VmHWM over the whole run):', '');
  lines.push('| N | server | start-up ms | cold initial sync ms | initial bytes | delta bytes | PROPFIND bytes | RSS after start MiB | peak RSS MiB |', '|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const w = r.workloads;
    const sync = PEERS[r.server].sync;
    lines.push(
      `| ${group(String(r.n))} | ${r.server} | ${num(r.startupMs)} | ${sync ? (w.initial?.coldMs ? num(w.initial.coldMs) : '–') : 'n/a'} | ${sync ? bytes(w.initial) : 'n/a'} | ${sync ? bytes(w.delta) : 'n/a'} | ${bytes(w.propfind)} | ${mib(r.rssAfterStart)} | ${mib(r.peakRss)} |`,
    );
  }
  return lines;
}

function ratios(results) {
  const get = (server, n, key) => {
    const w = results.find((r) => r.server === server && r.n === n)?.workloads[key];
    return w && !w.error ? w.median : undefined;
  };
  const lines = ['Targets (ratios from this run):'];
  const verdict = (x, ok, unit = "") => (x === undefined ? "not measured" : `${x.toFixed(x >= 10 ? 0 : 2)}${unit}${ok(x) ? " — met" : " — **missed**"}`);
  const fasterOf = (...xs) => {
    const v = xs.filter((x) => x !== undefined);
    return v.length ? Math.min(...v) : undefined;
  };
  const div = (a, b) => (a === undefined || b === undefined ? undefined : a / b);
  for (const n of [10000, 50000]) {
    const peer = fasterOf(get('radicale', n, 'delta'), get('xandikos', n, 'delta'));
    lines.push(`- delta k=10 at ${group(String(n))}: faster of Radicale and Xandikos / davsync = ${verdict(div(peer, get('davsync', n, 'delta')), (x) => x >= 50, "×")} (target ≥ 50×)`);
  }
  lines.push(`- davsync delta k=10, 50 000 / 1 000: ${verdict(div(get('davsync', 50000, 'delta'), get('davsync', 1000, 'delta')), (x) => x <= 1.5)} (target ≤ 1.5)`);
  lines.push(`- initial sync at 10 000: Xandikos / davsync = ${verdict(div(get('xandikos', 10000, 'initial'), get('davsync', 10000, 'initial')), (x) => x >= 5, "×")} (target ≥ 5×)`);
  const pf = fasterOf(...['radicale', 'xandikos', 'nephele', 'webdav-server'].map((p) => get(p, 10000, 'propfind')));
  lines.push(`- PROPFIND Depth 1 at 10 000: fastest peer / davsync = ${verdict(div(pf, get('davsync', 10000, 'propfind')), (x) => x >= 5, "×")} (target ≥ 5×)`);
  return lines;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const missing = opts.peers.map((p) => [p, PEERS[p].available()]).filter(([, ok]) => ok !== true);
  if (missing.length && !opts.skipMissing) {
    throw new Error(`missing peers (or pass --skip-missing):\n${missing.map(([p, why]) => `  ${p}: ${why}`).join('\n')}`);
  }
  const peers = opts.peers.filter((p) => !missing.some(([m]) => m === p));
  if (peers.includes('nephele') || peers.includes('webdav-server')) require('./install').ensureInstalled({ quiet: true });

  const load0 = os.loadavg();
  const startedAt = new Date();
  const tmp = (scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-peers-')));
  const results = [];
  try {
    for (const n of opts.n) {
      for (const p of peers) {
        process.stderr.write(`[bench:peers] N = ${n}, ${p}… `);
        const s = process.hrtime.bigint();
        const r = await benchOne(p, n, opts, tmp);
        const brief = Object.entries(r.workloads).map(([k, w]) => `${k} ${w.error ? 'FAILED' : num(w.median)}`).join(', ');
        process.stderr.write(`${(ms(s) / 1000).toFixed(1)} s (${brief})${r.errors.length ? ` — ${r.errors.length} failure(s)` : ''}\n`);
        results.push(r);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const load1 = os.loadavg();

  const lines = [
    `# davsync and peers — ${startedAt.toISOString()} (${((Date.now() - startedAt) / 60000).toFixed(1)} min)`,
    `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`,
    '',
    'Versions:',
    ...peers.map((p) => `- ${p}: ${PEERS[p].version()}`),
    missing.length ? `- not installed, left out: ${missing.map(([p]) => p).join(', ')}` : '',
    '',
    ...tables(results, opts),
    '',
    ...ratios(results),
    '',
  ];
  const failures = results.flatMap((r) => r.errors.map((e) => `${r.server} at N = ${r.n}: ${e}`));
  const checked = results.reduce((a, r) => a + Object.values(r.workloads).filter((w) => !w.error).length, 0);
  lines.push(
    failures.length
      ? `Correctness: **${failures.length} failure(s)**:\n${failures.map((f) => `- ${f}`).join('\n')}`
      : `Correctness: every answer checked (${checked} workloads: exact member lists, exact delta hrefs with 2 as 404, empty up-to-date answers): all correct.`,
  );
  console.log(lines.join('\n'));
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ startedAt, node: process.version, load: { start: load0, end: load1 }, opts, versions: Object.fromEntries(peers.map((p) => [p, PEERS[p].version()])), results, failures }, null, 2));
  if (failures.length) process.exitCode = 1;
}

function cleanUp() {
  killAll();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    cleanUp();
    process.exit(130);
  });
}
process.once('exit', cleanUp);

main().catch((err) => {
  cleanUp();
  console.error(String(err.stack || err));
  process.exit(1);
});
