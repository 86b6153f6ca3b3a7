#!/usr/bin/env node
// Start-up benchmark of the command line (issue 14): wall time from spawning
// `davsync serve DIR --port 0` to its ready line, on folders of 1 000 and
// 100 000 files, for
//   - a first start (no DIR/.davsync yet: every file is indexed) and a
//     restart (the state of a previous clean stop is there);
//   - the command run directly (`node packages/cli/bin/davsync.js`) and
//     through `npx davsync` from the repository root.
// With each ready line it also times the first answer that needs the
// journal (a PROPFIND Depth 0 of the root's sync-token, sent as soon as the
// line is read), so a server that printed its line early but made requests
// wait would show it there. npx's own cost is measured apart: `--version`
// directly and through npx, and `npx --version` alone.
//
// Run: npm run bench:startup          (builds first; ~3–5 min on 2 cores)
//   DAVSYNC_STARTUP_RUNS=N   runs per case (default 5; the 100 000-file
//                            first start uses at most 3, it is the slowest)
//   DAVSYNC_STARTUP_SIZES=1000   folder sizes (default 1000,100000)
//   DAVSYNC_STARTUP_BASELINE=DIR also time another built checkout's CLI
//                            (DIR/packages/cli/bin/davsync.js, direct only),
//                            alternating run by run with this one: a
//                            before/after comparison that sees the same load
//                            (this machine's load moves a lot within minutes)
// The folders are written once into a temporary directory, reused by every
// run (a first start removes only DIR/.davsync), and removed at the end.
// Medians with min and max: the machine is shared, so read medians.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const REPO = path.join(__dirname, '..');
const BIN = path.join(REPO, 'packages', 'cli', 'bin', 'davsync.js');
const RUNS = Math.max(1, Number(process.env.DAVSYNC_STARTUP_RUNS ?? 5));
const SIZES = (process.env.DAVSYNC_STARTUP_SIZES ?? '1000,100000').split(',').map(Number);
/** No start may take longer than this: the benchmark then fails rather than hangs. */
const START_TIMEOUT_MS = 120_000;

function populate(dir, n) {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `m${i}.vcf`), `BEGIN:VCARD\r\nFN:Member ${i}\r\nEND:VCARD\r\n`);
}

/** How the command is started: directly with node, or through npx from the repository root. */
const BASELINE = process.env.DAVSYNC_STARTUP_BASELINE;
const LAUNCHERS = {
  direct: (args) => [process.execPath, [BIN, ...args]],
  npx: (args) => ['npx', ['davsync', ...args]],
  ...(BASELINE === undefined ? {} : { baseline: (args) => [process.execPath, [path.join(path.resolve(BASELINE), 'packages', 'cli', 'bin', 'davsync.js'), ...args]] }),
};

function propfindToken(origin) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin, { method: 'PROPFIND', headers: { depth: '0', 'content-type': 'application/xml' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 207 && /sync-token>/.test(body) ? resolve() : reject(new Error(`PROPFIND answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end('<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>');
  });
}

/**
 * One start: spawn, wait for the ready line, ask for the root's sync-token,
 * then stop it with SIGINT to its whole process group (what Ctrl-C does, so
 * npx's child gets it too) and wait for it to exit, so the state is closed
 * cleanly for the next restart. Times in ms from the spawn.
 */
function startOnce(launcher, dir) {
  const [cmd, args] = LAUNCHERS[launcher](['serve', dir, '--port', '0', '--log-level', 'warn']);
  const began = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - began) / 1e6;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    let result;
    const timer = setTimeout(() => {
      fail(new Error(`no ready line after ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const stop = () => {
      try {
        process.kill(-child.pid, 'SIGINT');
      } catch {
        // already gone
      }
    };
    const fail = (e) => {
      result = e;
      stop();
    };
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', async (d) => {
      if (result !== undefined) return;
      out += d;
      const m = /davsync listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      const readyMs = ms();
      result = 'pending';
      try {
        await propfindToken(m[1]);
        result = { readyMs, answerMs: ms() };
      } catch (e) {
        result = e;
      }
      stop();
    });
    child.once('exit', async (code, signal) => {
      clearTimeout(timer);
      // npm ends by re-raising the SIGINT, possibly before davsync has closed
      // its store: wait for the whole group, so the next start finds the lock free.
      await groupGone(child.pid);
      if (result instanceof Error || result === undefined || result === 'pending') {
        reject(new Error(`${launcher} serve ${dir}: ${result instanceof Error ? result.message : `exited ${code ?? signal} before it was ready`}; stderr: ${err.trim()}`));
      } else if (code !== 0 && !(launcher === 'npx' && signal === 'SIGINT')) {
        reject(new Error(`${launcher} serve ${dir}: exited ${code ?? signal} after SIGINT; stderr: ${err.trim()}`));
      } else resolve(result);
    });
  });
}

/** Resolves once no process of the group `pgid` is left (at most 30 s). */
async function groupGone(pgid) {
  for (let i = 0; i < 3000; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process group ${pgid} still running 30 s after SIGINT`);
}

/** Wall time of a command that runs to its end (the `--version` probes). */
function runOnce(cmd, args) {
  const began = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO, stdio: 'ignore' });
    child.once('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - began) / 1e6) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], n: s.length };
}

(async () => {
  // npx must find the workspace's own link, never fetch a package named davsync.
  if (!fs.existsSync(path.join(REPO, 'node_modules', '.bin', 'davsync'))) throw new Error('node_modules/.bin/davsync is missing: run npm install first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-startup-'));
  const f = (x) => x.toFixed(0);
  const lines = [
    `# start-up benchmark — ${new Date().toISOString()}`,
    `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, temp dir on ${tmp}`,
    '',
  ];
  try {
    const probes = [
      ['node davsync.js --version', process.execPath, [BIN, '--version']],
      ['npx davsync --version', 'npx', ['davsync', '--version']],
      ['npx --version', 'npx', ['--version']],
      ['node -e 0', process.execPath, ['-e', '0']],
      ...(BASELINE === undefined ? [] : [['baseline: node davsync.js --version', process.execPath, [path.join(path.resolve(BASELINE), 'packages', 'cli', 'bin', 'davsync.js'), '--version']]]),
    ];
    lines.push(`| command that exits at once (${RUNS} runs) | median ms | min | max |`, '|---|---:|---:|---:|');
    for (const [label, cmd, args] of probes) {
      const t = [];
      for (let i = 0; i < RUNS; i++) t.push(await runOnce(cmd, args));
      const s = stats(t);
      lines.push(`| \`${label}\` | ${f(s.median)} | ${f(s.min)} | ${f(s.max)} |`);
    }
    lines.push('');

    lines.push(
      '| folder | start | launcher | runs | ready line: median ms | min | max | first PROPFIND answered: median ms | min | max |',
      '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const n of SIZES) {
      const dir = path.join(tmp, `f${n}`);
      populate(dir, n);
      // The baseline gets a folder of its own: its state database may be of
      // another schema version, which neither build would open.
      const dirOf = { direct: dir, npx: dir, baseline: `${dir}-baseline` };
      if (BASELINE !== undefined) populate(dirOf.baseline, n);
      // Launchers compared with each other run alternately, run by run.
      for (const group of BASELINE === undefined ? [['direct'], ['npx']] : [['direct', 'baseline'], ['npx']]) {
        const first = Object.fromEntries(group.map((l) => [l, []]));
        const again = Object.fromEntries(group.map((l) => [l, []]));
        // First start: no state. Repeated from scratch, so each run indexes every file.
        for (let i = 0; i < (n >= 100000 ? Math.min(RUNS, 3) : RUNS); i++) {
          for (const launcher of group) {
            fs.rmSync(path.join(dirOf[launcher], '.davsync'), { recursive: true, force: true });
            first[launcher].push(await startOnce(launcher, dirOf[launcher]));
          }
        }
        // Restart: the state the last start closed cleanly is there.
        for (let i = 0; i < RUNS; i++) for (const launcher of group) again[launcher].push(await startOnce(launcher, dirOf[launcher]));
        for (const [kind, byLauncher] of [['first start', first], ['restart', again]]) {
          for (const [launcher, rs] of Object.entries(byLauncher)) {
            const ready = stats(rs.map((r) => r.readyMs));
            const answer = stats(rs.map((r) => r.answerMs));
            lines.push(
              `| ${n.toLocaleString('en')} | ${kind} | ${launcher} | ${ready.n} | ${f(ready.median)} | ${f(ready.min)} | ${f(ready.max)} | ${f(answer.median)} | ${f(answer.min)} | ${f(answer.max)} |`,
            );
          }
        }
        console.error(`done: ${n} files, ${group.join(' + ')}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(lines.join('\n'));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
