// Timing helpers shared by the benchmarks.
'use strict';

/** Median, min and max of `fn`'s duration over `runs` runs after `warmup` runs, in `unit` ('us' or 'ms'). */
async function time(fn, { runs, warmup, unit }) {
  const divisor = unit === 'us' ? 1e3 : 1e6;
  for (let i = 0; i < warmup; i++) await fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - s) / divisor);
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)], min: t[0], max: t[t.length - 1] };
}

/** Requests per second of `fn(i)` called `count` times by `concurrency` concurrent callers. */
async function throughput(fn, count, concurrency) {
  let next = 0;
  const s = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next < count) await fn(next++); }));
  return count / (Number(process.hrtime.bigint() - s) / 1e9);
}

module.exports = { time, throughput };
