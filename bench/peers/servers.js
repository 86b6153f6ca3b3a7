// The servers compared by bench/peers/run.js: how each one's store is written
// before start, how it is started (always as a child process on 127.0.0.1,
// so its memory can be read from /proc/PID/status), and where its address
// book is. Every store holds the same N vCards, named m0.vcf … m{N-1}.vcf.
//
// davsync      the CLI users run: `davsync serve ROOT --port 0 --host 127.0.0.1`
//              (fs store, default options) over ROOT/contacts/*.vcf, written
//              before start; the address book is /contacts/.
// radicale     Debian `radicale` (3.x), `radicale --config FILE` with
//                [server] hosts = 127.0.0.1:PORT   [auth] type = none
//                [rights] type = authenticated (with auth none: anyone may read/write)
//                [storage] filesystem_folder = ROOT
//              The store is ROOT/collection-root/bench/contacts/ holding the
//              .vcf files and `.Radicale.props` = {"tag": "VADDRESSBOOK"}.
//              Radicale builds its item cache (.Radicale.cache/) lazily, on the
//              first request that lists the collection: the "cold" column.
// xandikos     Debian `xandikos` (0.2.x), `xandikos -d ROOT --defaults -l 127.0.0.1 -p PORT`
//              (no authentication is its only mode). The address book
//              ROOT/user/contacts/addressbook/ is a non-bare git repository
//              whose tree holds the .vcf files and `.xandikos`
//              ("[DEFAULT]\ntype = addressbook"), added in one commit before
//              start; --defaults then creates the principal's other collections.
// nephele      npm nephele + @nephele/adapter-file-system (see npm-server.js),
//              over ROOT/contacts/*.vcf. No sync-collection: PROPFIND only.
// webdav-server npm webdav-server v2, PhysicalFileSystem (see npm-server.js),
//              over ROOT/contacts/*.vcf. No sync-collection: PROPFIND only.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { vcard } = require('./client');

const REPO = path.join(__dirname, '..', '..');
const DAVSYNC_BIN = path.join(REPO, 'packages', 'cli', 'bin', 'davsync.js');

function writeMembers(dir, n) {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `m${i}.vcf`), vcard(`m${i}`));
}

/** A port that was free a moment ago (for servers that cannot be asked for port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The first line of `cmd --version`, or undefined when it is not installed. */
function commandVersion(cmd) {
  try {
    return execFileSync(cmd, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

function debVersion(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const PEERS = {
  davsync: {
    sync: true,
    collection: '/contacts/',
    available: () => fs.existsSync(path.join(REPO, 'packages', 'cli', 'dist', 'index.js')) || 'run `npx tsc -b` first (the CLI needs dist/)',
    version: () => `${require(path.join(REPO, 'packages', 'cli', 'package.json')).version} (this checkout, fs store)`,
    populate: (root, n) => writeMembers(path.join(root, 'contacts'), n),
    async command(root) {
      return { cmd: process.execPath, args: [DAVSYNC_BIN, 'serve', root, '--port', '0', '--host', '127.0.0.1'], portFrom: /davsync listening on http:\/\/127\.0\.0\.1:(\d+)\// };
    },
  },
  radicale: {
    sync: true,
    collection: '/bench/contacts/',
    available: () => Boolean(commandVersion('radicale')) || 'radicale is not installed (Debian: apt-get install -y radicale)',
    version: () => `${commandVersion('radicale')} (Debian ${debVersion('radicale') ?? '?'})`,
    populate(root, n) {
      const book = path.join(root, 'store', 'collection-root', 'bench', 'contacts');
      writeMembers(book, n);
      fs.writeFileSync(path.join(book, '.Radicale.props'), JSON.stringify({ tag: 'VADDRESSBOOK' }));
    },
    async command(root) {
      const port = await freePort();
      const config = path.join(root, 'radicale.conf');
      fs.writeFileSync(
        config,
        [
          '[server]',
          `hosts = 127.0.0.1:${port}`,
          '[auth]',
          'type = none',
          '[rights]',
          'type = authenticated',
          '[storage]',
          `filesystem_folder = ${path.join(root, 'store')}`,
          '[logging]',
          'level = warning',
          '',
        ].join('\n'),
      );
      return { cmd: 'radicale', args: ['--config', config], port };
    },
  },
  xandikos: {
    sync: true,
    collection: '/user/contacts/addressbook/',
    available: () => Boolean(commandVersion('xandikos')) || 'xandikos is not installed (Debian: apt-get install -y xandikos)',
    version: () => `${commandVersion('xandikos')} (Debian ${debVersion('xandikos') ?? '?'}, dulwich ${debVersion('python3-dulwich') ?? '?'})`,
    populate(root, n) {
      const book = path.join(root, 'store', 'user', 'contacts', 'addressbook');
      writeMembers(book, n);
      fs.writeFileSync(path.join(book, '.xandikos'), '[DEFAULT]\ntype = addressbook\n');
      const git = (...args) =>
        execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...args], {
          cwd: book,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      git('init', '-q');
      git('add', '-A');
      git('commit', '-q', '-m', `populate ${n} members`);
    },
    async command(root) {
      const port = await freePort();
      return { cmd: 'xandikos', args: ['-d', path.join(root, 'store'), '--defaults', '-l', '127.0.0.1', '-p', String(port)], port };
    },
  },
  nephele: {
    sync: false,
    collection: '/contacts/',
    available: () => true, // installed on demand by run.js
    version: () => {
      const { installed } = require('./install');
      return `nephele ${installed('nephele')}, @nephele/adapter-file-system ${installed('@nephele/adapter-file-system')}, express ${installed('express')}`;
    },
    populate: (root, n) => writeMembers(path.join(root, 'contacts'), n),
    async command(root) {
      return { cmd: process.execPath, args: [path.join(__dirname, 'npm-server.js'), 'nephele', root], portFrom: /ready (\d+)/ };
    },
  },
  'webdav-server': {
    sync: false,
    collection: '/contacts/',
    available: () => true,
    version: () => `webdav-server ${require('./install').installed('webdav-server')}`,
    populate: (root, n) => writeMembers(path.join(root, 'contacts'), n),
    async command(root) {
      return { cmd: process.execPath, args: [path.join(__dirname, 'npm-server.js'), 'webdav-server', root], portFrom: /ready (\d+)/ };
    },
  },
};

const running = new Set();

/** Kills every server still running (SIGKILL): used on the way out, even after a failure. */
function killAll() {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/**
 * Starts peer `name` over `root` (already populated). Resolves with { child, pid,
 * origin, output() } once the port is known; the caller probes for readiness.
 * stdout and stderr are drained (a server that logs every request would block
 * on a full pipe otherwise) and the last 16 KiB kept for error messages.
 */
async function startServer(name, root) {
  const { cmd, args, port, portFrom } = await PEERS[name].command(root);
  const began = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  running.add(child);
  let out = '';
  const keep = (d) => {
    out = (out + d).slice(-16384);
  };
  let exited = false;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const server = { child, pid: child.pid, began, output: () => out, exit, hasExited: () => exited };
  const portKnown = new Promise((resolve, reject) => {
    if (port) return resolve(port);
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = portFrom.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('error', reject);
    exit.then(({ code, signal }) => reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${out}`)));
  });
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  child.once('error', () => {});
  try {
    server.origin = `http://127.0.0.1:${await portKnown}`;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return server;
}

/** SIGTERM, then SIGKILL after 5 s. */
async function stopServer(server) {
  if (server.hasExited()) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await server.exit;
  clearTimeout(timer);
}

/** Peak and current resident memory of a process, in bytes (Linux /proc). */
function memory(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peak: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return { peak: NaN, rss: NaN };
  }
}

module.exports = { PEERS, startServer, stopServer, killAll, memory };
