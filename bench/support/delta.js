// Shared by the journal benchmarks: time a delta of exactly 10 changes
// (5 changed, 3 added, 2 removed) on /book at both sync levels, after
// checking the delta is the right one (a fast wrong answer is no result).
'use strict';
const { time } = require('./measure');

/** Timings (median/min/max, in `unit`) of `engine.changes('/book', token)` per level; the caller made the 10 changes after `token`. */
async function timeTenChangeDelta(engine, token, n, { runs, warmup, unit = 'us' }) {
  const out = { n };
  for (const level of [1, 'infinite']) {
    const check = await engine.changes('/book', token, { level });
    if (check.changes.length !== 10 || check.changes.filter((c) => c.type === 'removed').length !== 2) throw new Error(`wrong delta at ${n}`);
    out[level] = await time(() => engine.changes('/book', token, { level }), { runs, warmup, unit });
  }
  return out;
}

/** The markdown table of `timeTenChangeDelta` results (one per collection size, smallest first). */
function deltaTable(rows) {
  const f = (x) => x.toFixed(1);
  const lines = ['| collection size | level | delta k=10 median µs | min µs | max µs | ratio to 1 000 |', '|---:|---|---:|---:|---:|---:|'];
  for (const level of [1, 'infinite']) {
    for (const r of rows) {
      const t = r[level];
      lines.push(`| ${r.n.toLocaleString('en')} | ${level} | ${f(t.median)} | ${f(t.min)} | ${f(t.max)} | ${(t.median / rows[0][level].median).toFixed(2)} |`);
    }
  }
  return lines.join('\n');
}

module.exports = { timeTenChangeDelta, deltaTable };
