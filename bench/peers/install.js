#!/usr/bin/env node
// Installs the npm peers (nephele with its file-system adapter, webdav-server)
// into bench/peers/.peers/, a scratch directory used only by this benchmark
// (git-ignored, never a project dependency). Versions are pinned here so a
// run is reproducible; `node bench/peers/install.js` is idempotent and is
// called by run.js when something is missing.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const DIR = path.join(__dirname, '.peers');
const PACKAGES = {
  nephele: '1.0.0-alpha.67',
  '@nephele/adapter-file-system': '1.0.0-alpha.61',
  '@nephele/authenticator-none': '1.0.0-alpha.61',
  express: '5.1.0',
  'webdav-server': '2.6.3',
};

/** The installed version of `name`, or undefined. */
function installed(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function ensureInstalled({ quiet = false } = {}) {
  if (Object.entries(PACKAGES).every(([name, v]) => installed(name) === v)) return;
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(
    path.join(DIR, 'package.json'),
    JSON.stringify({ name: 'davsync-bench-peers', private: true, description: 'scratch install for bench/peers only', dependencies: PACKAGES }, null, 2) + '\n',
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // --prefix: this folder is its own npm project; the monorepo's node_modules and lock file are not touched.
  execFileSync(npm, ['install', '--prefix', DIR, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', '--workspaces=false'], {
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    cwd: DIR,
  });
  for (const [name, v] of Object.entries(PACKAGES)) {
    if (installed(name) !== v) throw new Error(`npm peer ${name}@${v} did not install into ${DIR}`);
  }
}

module.exports = { DIR, PACKAGES, ensureInstalled, installed };

if (require.main === module) ensureInstalled();
