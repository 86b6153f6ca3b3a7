// HTTP client side of the peer benchmark: requests, the WebDAV bodies every
// server gets, and a tolerant reader of 207 multistatus answers (each server
// writes its own namespace prefixes: none, `D:` or `ns0:`; hrefs may be paths
// or absolute URLs).
'use strict';
const http = require('node:http');

/** Longest a single request may take before the run fails instead of hanging. */
const REQUEST_TIMEOUT_MS = 30 * 60_000;

function request(agent, origin, method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin + url, { method, headers, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

const escapeXml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const SYNC = (token) =>
  '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">' +
  (token ? `<D:sync-token>${escapeXml(token)}</D:sync-token>` : '<D:sync-token/>') +
  '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';
const PROPFIND_ETAG = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>';
// resourcetype, not sync-token: Radicale computes a sync-token from every item
// (building its item cache), which belongs to the first sync, not to start-up.
const PROPFIND_PROBE = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>';
const XML = 'application/xml; charset=utf-8';

/** A sync-collection REPORT (empty token: initial sync) asking for getetag. */
const syncReport = (agent, origin, coll, token) => request(agent, origin, 'REPORT', coll, { headers: { 'content-type': XML, depth: '0' }, body: SYNC(token) });
/** PROPFIND Depth 1 asking for getetag. */
const propfind1 = (agent, origin, coll) => request(agent, origin, 'PROPFIND', coll, { headers: { 'content-type': XML, depth: '1' }, body: PROPFIND_ETAG });
/** PROPFIND Depth 0 of resourcetype (the start-up probe). */
const propfind0 = (agent, origin, coll) => request(agent, origin, 'PROPFIND', coll, { headers: { 'content-type': XML, depth: '0' }, body: PROPFIND_PROBE });

/** The vCard of member `name` (a UID is required by the CardDAV peers), version `v`. */
const vcard = (name, v = 0) =>
  `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${name}\r\nFN:Member ${name} v${v}\r\nN:${name};Member;;;\r\nEMAIL:${name}@example.org\r\nEND:VCARD\r\n`;

const decodeEntities = (s) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (m, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });

/**
 * Reads a multistatus answer into { token, responses: [{ path, kind: 'ok' | 'gone' | 'other', status }] }.
 * `path` is the decoded URL path of the href; 'ok' is a propstat with 200 and a
 * getetag, 'gone' a response whose own status is 404 (no propstat).
 */
function readMultistatus(buf, origin) {
  // Drop namespace prefixes on element names; every element here is DAV:.
  const xml = String(buf).replace(/<(\/?)[A-Za-z_][\w.-]*:/g, '<$1');
  const responses = [];
  for (const m of xml.matchAll(/<response(?:\s[^>]*)?>([\s\S]*?)<\/response>/g)) {
    const inner = m[1];
    const href = /<href>([^<]*)<\/href>/.exec(inner);
    const path = href ? decodeURIComponent(new URL(decodeEntities(href[1]).trim(), origin).pathname) : '';
    let kind = 'other';
    let status = '';
    if (/<propstat>/.test(inner)) {
      const ok = [...inner.matchAll(/<propstat>([\s\S]*?)<\/propstat>/g)].find((p) => /<status>\s*HTTP\/1\.[01] 200/.test(p[1]));
      if (ok && /<getetag>[^<]+<\/getetag>/.test(ok[1])) kind = 'ok';
      status = 'propstat';
    } else {
      const s = /<status>\s*HTTP\/1\.[01] (\d{3})/.exec(inner);
      status = s ? s[1] : '';
      if (status === '404') kind = 'gone';
    }
    responses.push({ path, kind, status });
  }
  const token = /<sync-token>([^<]*)<\/sync-token>/.exec(xml);
  return { token: token ? decodeEntities(token[1]).trim() : undefined, responses };
}

module.exports = { request, syncReport, propfind1, propfind0, vcard, readMultistatus };
