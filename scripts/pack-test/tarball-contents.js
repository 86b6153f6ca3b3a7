'use strict';
// What a package tarball must hold, and must not. Checked against the file
// list `npm pack --json` reports and the installed copy of the tarball (which
// is exactly its contents), so what is checked is what a user gets.
const fs = require('node:fs');
const path = require('node:path');

const FORBIDDEN = [
  [/(^|\/)(test|tests|__tests__|__mocks__)\//, 'a test folder'],
  [/\.(test|spec)\.[cm]?[jt]sx?$/, 'a test file'],
  [/\.tsbuildinfo$/, 'a tsbuildinfo'],
  [/(^|\/)tsconfig[^/]*\.json$/, 'a tsconfig'],
  [/(^|\/)(coverage|node_modules|\.davsync)\//, 'a build or state folder'],
];

/** The files `exports`, `main`, `types` and `bin` name, as tarball paths. */
function namedFiles(manifest) {
  const named = [];
  const add = (p) => typeof p === 'string' && named.push(path.posix.normalize(p));
  add(manifest.main);
  add(manifest.types);
  const walk = (v) => (typeof v === 'string' ? add(v) : v && typeof v === 'object' && Object.values(v).forEach(walk));
  walk(manifest.exports);
  if (typeof manifest.bin === 'string') add(manifest.bin);
  else if (manifest.bin) Object.values(manifest.bin).forEach(add);
  return [...new Set(named)];
}

/**
 * Problems with one package's tarball: `files` is the tarball's file list,
 * `installed` the folder npm installed it into. An empty list means it is fine.
 */
function tarballProblems(manifest, files, installed) {
  const problems = [];
  const read = (f) => {
    try {
      return fs.readFileSync(path.join(installed, f), 'utf8');
    } catch {
      problems.push(`${f} is in the file list but not in the installed package`);
      return '';
    }
  };
  const has = new Set(files);
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!has.has(required)) problems.push(`missing ${required}`);
  }
  if (!files.some((f) => f.endsWith('.d.ts'))) problems.push('no .d.ts files');
  // npm publishes a scoped package's first version as restricted (paid,
  // private) unless told otherwise.
  if (manifest.name.startsWith('@') && manifest.publishConfig?.access !== 'public') {
    problems.push('scoped, but publishConfig.access is not "public"');
  }
  for (const f of files) {
    for (const [pattern, what] of FORBIDDEN) if (pattern.test(f)) problems.push(`${f} is ${what}`);
  }
  for (const f of namedFiles(manifest)) {
    if (!has.has(f)) problems.push(`package.json names ${f}, which is not in the tarball`);
  }
  for (const bin of Object.values(typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : manifest.bin ?? {})) {
    const text = read(bin);
    if (!text.startsWith('#!/usr/bin/env node')) problems.push(`bin ${bin} has no node shebang`);
  }
  // Maps: shipped maps must lead to sources that are shipped too, or a
  // debugger and an editor's go-to-definition end at a missing file.
  for (const f of files.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(read(f) || '{}');
    for (const source of map.sources ?? []) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), map.sourceRoot ?? '', source));
      if (!has.has(target)) problems.push(`${f} points at ${target}, which is not in the tarball`);
    }
  }
  for (const f of files.filter((f) => /\.(c|m)?js$|\.d\.ts$/.test(f))) {
    const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(read(f));
    if (m && !m[1].startsWith('data:')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]));
      if (!has.has(target)) problems.push(`${f} names the map ${target}, which is not in the tarball`);
    }
  }
  return problems;
}

module.exports = { tarballProblems };
