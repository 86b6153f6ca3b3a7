#!/usr/bin/env node
// HTTP benchmark of the middleware (issue: Express middleware), in one run,
// every server on 127.0.0.1 in its own process:
//  1. delta sync (k = 10: 5 modified, 3 added, 2 removed) on collections of
//     1 000 and 100 000 members — target ratio ≤ 1.5;
//  2. that delta versus PROPFIND Depth 1 (getetag) on 10 000 members —
//     targets: ≥ 50× fewer bytes, ≥ 20× faster;
//  3. up-to-date sync (k = 0) throughput versus a bare Express handler that
//     returns a fixed 207 body of the same size — target ≥ 50 %;
//  4. an initial sync of 100 000 members: time, bytes, server peak RSS.
// Run: npm run bench:http
'use strict';
const { time, throughput } = require('./support/measure');
const { spawn } = require('node:child_process');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function start(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'support/server.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve({ child, origin: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function request(origin, method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin + url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const syncBody = (token) =>
  `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>${token ?? ''}</D:sync-token>` +
  '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';
const report = (origin, coll, token) => request(origin, 'REPORT', `/${coll}/`, { headers: { 'content-type': 'application/xml', depth: '0' }, body: syncBody(token) });
const propfind = (origin, coll) =>
  request(origin, 'PROPFIND', `/${coll}/`, {
    headers: { 'content-type': 'application/xml', depth: '1' },
    body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
  });
const tokenOf = (xml) => /<D:sync-token>([^<]+)<\/D:sync-token>/.exec(String(xml))[1];

async function currentToken(origin, coll) {
  const res = await request(origin, 'PROPFIND', `/${coll}/`, {
    headers: { 'content-type': 'application/xml', depth: '0' },
    body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>',
  });
  return tokenOf(res.body);
}

/** Makes the k = 10 changes over HTTP; returns the hrefs a correct delta must list. */
async function tenChanges(origin, coll, n) {
  const modified = [0, 1, 2, 3, 4].map((i) => `/${coll}/m${Math.floor((i * n) / 5)}.vcf`);
  const added = [0, 1, 2].map((i) => `/${coll}/new${i}.vcf`);
  const removed = [n - 1, n - 2].map((i) => `/${coll}/m${i}.vcf`);
  for (const href of [...modified, ...added]) {
    const r = await request(origin, 'PUT', href, { headers: { 'content-type': 'text/vcard' }, body: `BEGIN:VCARD\r\nFN:${href}\r\nEND:VCARD\r\n` });
    if (r.status >= 300) throw new Error(`PUT ${href}: ${r.status}`);
  }
  for (const href of removed) if ((await request(origin, 'DELETE', href)).status !== 204) throw new Error(`DELETE ${href}`);
  return { changed: [...modified, ...added].sort(), removed: removed.sort() };
}

function checkDelta(xml, expected) {
  const responses = [...String(xml).matchAll(/<D:response><D:href>([^<]+)<\/D:href>(.*?)<\/D:response>/g)];
  const removed = responses.filter((m) => m[2].includes('404 Not Found') && !m[2].includes('propstat')).map((m) => m[1]).sort();
  const changed = responses.filter((m) => m[2].includes('propstat')).map((m) => m[1]).sort();
  if (JSON.stringify({ changed, removed }) !== JSON.stringify(expected)) {
    throw new Error(`wrong delta: ${JSON.stringify({ changed, removed })}`);
  }
}

(async () => {
  const f = (x, d = 2) => x.toFixed(d);
  const lines = [`# HTTP sync benchmark — ${new Date().toISOString()}`, `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`, ''];

  // 1 + 2: deltas at 1k / 10k / 100k, PROPFIND at 10k.
  const dav = await start(['davsync', 'c1k=1000', 'c10k=10000', 'c100k=100000']);
  try {
    const deltas = {};
    for (const [coll, n] of [['c1k', 1000], ['c10k', 10000], ['c100k', 100000]]) {
      const token = await currentToken(dav.origin, coll);
      const expected = await tenChanges(dav.origin, coll, n);
      checkDelta((await report(dav.origin, coll, token)).body, expected);
      const bytes = (await report(dav.origin, coll, token)).body.length;
      deltas[coll] = { ...(await time(() => report(dav.origin, coll, token), { runs: 200, warmup: 50, unit: 'ms' })), bytes };
    }
    const pf = await propfind(dav.origin, 'c10k');
    const pfTime = await time(() => propfind(dav.origin, 'c10k'), { runs: 20, warmup: 3, unit: 'ms' });
    lines.push('| workload | median ms | min ms | max ms | response bytes |', '|---|---:|---:|---:|---:|');
    for (const [coll, r] of Object.entries(deltas)) lines.push(`| delta k=10, ${coll} | ${f(r.median, 3)} | ${f(r.min, 3)} | ${f(r.max, 3)} | ${r.bytes} |`);
    lines.push(`| PROPFIND Depth 1 getetag, c10k | ${f(pfTime.median)} | ${f(pfTime.min)} | ${f(pfTime.max)} | ${pf.body.length} |`);

    // 3: up-to-date sync throughput.
    const upToDate = await currentToken(dav.origin, 'c1k');
    const idle = await report(dav.origin, 'c1k', upToDate);
    if (/<D:response>/.test(String(idle.body))) throw new Error('an up-to-date sync returned responses');
    const bare = await start(['bare', String(idle.body.length)]);
    let davRps, bareRps;
    try {
      await throughput(() => report(dav.origin, 'c1k', upToDate), 500, 4);
      await throughput(() => report(bare.origin, 'c1k', upToDate), 500, 4);
      davRps = await throughput(() => report(dav.origin, 'c1k', upToDate), 5000, 4);
      bareRps = await throughput(() => report(bare.origin, 'c1k', upToDate), 5000, 4);
    } finally {
      bare.child.kill();
    }

    // 4: initial sync of 100 000 members.
    const rssBefore = JSON.parse((await request(dav.origin, 'GET', '/__stats')).body).maxRssBytes;
    const s = process.hrtime.bigint();
    const initial = await report(dav.origin, 'c100k', null);
    const initialMs = Number(process.hrtime.bigint() - s) / 1e6;
    const members = (String(initial.body).match(/<D:response>/g) || []).length;
    if (members !== 100000 + 1) throw new Error(`initial sync listed ${members} members`);
    const rssAfter = JSON.parse((await request(dav.origin, 'GET', '/__stats')).body).maxRssBytes;

    lines.push('', `| up-to-date sync (k = 0) throughput, 4 clients | req/s |`, '|---|---:|');
    lines.push(`| davsync REPORT, ${idle.body.length}-byte answer | ${f(davRps, 0)} |`, `| bare Express, fixed 207 of the same size | ${f(bareRps, 0)} |`);
    lines.push('', `initial sync of c100k (100 000 members + 3 changed/added): ${f(initialMs, 0)} ms, ${initial.body.length} bytes; server peak RSS ${f(rssBefore / 2 ** 20, 0)} MiB before, ${f(rssAfter / 2 ** 20, 0)} MiB after`);
    lines.push('', 'Ratios (targets in brackets):');
    lines.push(`- delta k=10, 100 000 / 1 000 members: ${f(deltas.c100k.median / deltas.c1k.median)} (≤ 1.5)`);
    lines.push(`- PROPFIND Depth 1 / delta, 10 000 members: ${f(pf.body.length / deltas.c10k.bytes, 0)}× the bytes (≥ 50), ${f(pfTime.median / deltas.c10k.median, 0)}× the time (≥ 20)`);
    lines.push(`- up-to-date sync / bare Express throughput: ${f((100 * davRps) / bareRps, 0)} % (≥ 50 %)`);
  } finally {
    dav.child.kill();
    agent.destroy();
  }
  console.log(lines.join('\n'));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
