#!/usr/bin/env node
// Summarises a V8 .cpuprofile: the functions with the most self time, and
// the inclusive time of every function (time with what it calls), so a
// fan-out's parts can be read off by name. Usage:
//   node bench/support/profile-summary.js FILE [TOP=40] [FILTER]
// FILTER (a regular expression) keeps the inclusive list to matching
// "name file:line" rows. DAVSYNC_PROFILE_EXCLUDE (a regular expression)
// drops every sample with a matching function on its stack (e.g. the key
// preparation in idle time, to see a fan-out's own work).
'use strict';
const fs = require('node:fs');
const [file, topArg, filter] = process.argv.slice(2);
const TOP = Number(topArg ?? 40);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
// Self time per node from the samples and their time deltas (µs).
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const label = (n) => {
  const f = n.callFrame;
  const where = f.url === '' ? '' : ` ${f.url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^node:/, '')}:${f.lineNumber + 1}`;
  return `${f.functionName || '(anonymous)'}${where}`;
};
const exclude = process.env.DAVSYNC_PROFILE_EXCLUDE === undefined ? undefined : new RegExp(process.env.DAVSYNC_PROFILE_EXCLUDE);
if (exclude !== undefined) {
  for (const id of [...self.keys()]) {
    for (let at = id; at !== undefined; at = parent.get(at)) {
      if (exclude.test(label(nodes.get(at)))) {
        self.delete(id);
        break;
      }
    }
  }
}
const selfBy = new Map();
const inclBy = new Map();
for (const [id, t] of self) {
  const n = nodes.get(id);
  selfBy.set(label(n), (selfBy.get(label(n)) ?? 0) + t);
  // Inclusive: every distinct function on the stack gets the sample once (recursion is not counted twice).
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const l = label(nodes.get(at));
    if (seen.has(l)) continue;
    seen.add(l);
    inclBy.set(l, (inclBy.get(l) ?? 0) + t);
  }
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const ms = (us) => (us / 1000).toFixed(1).padStart(8);
const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5);
console.log(`${file}: ${(total / 1000).toFixed(1)} ms sampled`);
console.log('\nself time:');
for (const [l, t] of [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${ms(t)} ms ${pct(t)} %  ${l}`);
console.log('\ninclusive time:');
const re = filter === undefined ? undefined : new RegExp(filter);
for (const [l, t] of [...inclBy].sort((a, b) => b[1] - a[1]).filter(([l]) => re === undefined || re.test(l)).slice(0, TOP)) console.log(`${ms(t)} ms ${pct(t)} %  ${l}`);
