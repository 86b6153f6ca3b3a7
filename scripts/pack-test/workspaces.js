'use strict';
// The packages a release publishes: every workspace of the root package.json
// that is not private and not an example. Read from the root manifest rather
// than listed here, so a new package is tested the day it is added.
const fs = require('node:fs');
const path = require('node:path');

/** Expand one `workspaces` entry: a folder, or `folder/*`. */
function expand(root, pattern) {
  if (!pattern.endsWith('/*')) return [pattern];
  const parent = pattern.slice(0, -2);
  const dir = path.join(root, parent);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${parent}/${d.name}`)
    .sort();
}

/** `{ dir, name, version, manifest }` for each publishable workspace, in manifest order. */
function publishablePackages(root) {
  const rootManifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const found = [];
  for (const pattern of rootManifest.workspaces ?? []) {
    if (pattern.split('/')[0] === 'examples') continue;
    for (const rel of expand(root, pattern)) {
      const file = path.join(root, rel, 'package.json');
      if (!fs.existsSync(file)) continue;
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (manifest.private) continue;
      found.push({ dir: path.join(root, rel), rel, name: manifest.name, version: manifest.version, manifest });
    }
  }
  return found;
}

/**
 * The module specifiers a user can load: the package name for ".", and
 * name + subpath for each other entry of `exports` ("./package.json" aside).
 */
function entryPoints(pkg) {
  const exp = pkg.manifest.exports;
  if (!exp || typeof exp === 'string') return [pkg.name];
  return Object.keys(exp)
    .filter((key) => key.startsWith('.') && key !== './package.json' && !key.includes('*'))
    .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`));
}

module.exports = { publishablePackages, entryPoints };
