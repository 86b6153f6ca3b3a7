'use strict';
// The request a first user makes: PUT a file, ask for the collection's
// changes (an initial sync-collection REPORT), change something, and ask
// again with the token — the answer must name only the new change.

const SYNC = (token) =>
  '<?xml version="1.0" encoding="utf-8"?>' +
  `<D:sync-collection xmlns:D="DAV:"><D:sync-token>${token ?? ''}</D:sync-token>` +
  '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';

async function request(method, url, body, headers = {}) {
  const res = await fetch(url, { method, body, headers, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
}

function expectStatus(what, res, status) {
  if (res.status !== status) throw new Error(`${what}: ${res.status} instead of ${status}: ${res.text.slice(0, 300)}`);
}

/** Hrefs and the sync token of a multistatus body (any namespace prefix). */
function readMultistatus(xml) {
  const hrefs = [...xml.matchAll(/<(?:[\w-]+:)?href>([^<]*)<\/(?:[\w-]+:)?href>/g)].map((m) => decodeURIComponent(m[1]));
  const token = /<(?:[\w-]+:)?sync-token>([^<]+)<\/(?:[\w-]+:)?sync-token>/.exec(xml)?.[1];
  return { hrefs, token };
}

/** Runs the exchange against the collection at `base` (ending in '/'); throws on any wrong answer. */
async function syncExchange(base) {
  const report = (token) => request('REPORT', base, SYNC(token), { 'Content-Type': 'application/xml; charset=utf-8' });
  const path = new URL(base).pathname;

  expectStatus('PUT notes.txt', await request('PUT', `${base}notes.txt`, 'Buy milk\n'), 201);
  const first = await report(null);
  expectStatus('initial sync REPORT', first, 207);
  const initial = readMultistatus(first.text);
  if (!initial.hrefs.includes(`${path}notes.txt`)) throw new Error(`initial sync lacks ${path}notes.txt: ${first.text}`);
  if (!initial.token) throw new Error(`initial sync has no sync-token: ${first.text}`);

  expectStatus('PUT todo.txt', await request('PUT', `${base}todo.txt`, 'Call the plumber\n'), 201);
  const second = await report(initial.token);
  expectStatus('delta REPORT', second, 207);
  const delta = readMultistatus(second.text);
  if (delta.hrefs.join() !== `${path}todo.txt`) throw new Error(`delta should name only ${path}todo.txt: ${second.text}`);
  if (!delta.token || delta.token === initial.token) throw new Error(`delta has no new sync-token: ${second.text}`);
  return { token: delta.token };
}

module.exports = { syncExchange };
