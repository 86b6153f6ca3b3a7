#!/usr/bin/env node
// XML writing on the multistatus hot path (issue 15, step 4): the string
// writer davsync uses (`multistatusChunks` in @davsync/protocol) against
// xmlbuilder2's streaming callback writer (`createCB`) writing the same
// document from the same response models, in one run. Three shapes:
//  (a) an initial sync of 100 000 members: href + getetag each, as the REPORT writes it;
//  (b) a PROPFIND Depth 1 of 10 000 members with the live properties;
//  (c) 1 000 up-to-date REPORT answers (no changes): the fixed cost per answer.
// The writers alternate (A B A B …) and each figure is the median of the rounds.
// Both outputs are first parsed with protocol's own reader and compared
// element by element (names, attributes, text), so both write the same thing.
// Both give 64 KiB chunks as the server sends them, each measured as UTF-8
// (flattened and encoded, as a socket write would), and both escape text the
// same way (xmlbuilder2 leaves `&name;` in text as it is, so its text goes
// through protocol's `textRefs`, as buildXml does).
// Run: npm run bench:xml   (or: node bench/xml-writer.js after a build; ROUNDS=n to change the 7 rounds)
'use strict';
const os = require('node:os');
const { createCB } = require('xmlbuilder2');
const { DAV, multistatusChunks, parseXml, propstatsOf, statusLine, splitClark } = require('@davsync/protocol');
const { textRefs } = require('../packages/protocol/dist/xml/build') // not exported: the escaping buildXml uses;

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const BATCH = 64; // responses per batch handed to the writer, as a listing and a REPORT batch them (64 members)
const CHUNK = 64 * 1024;
const TOKEN = 'urn:x-davsync:sync:4f9c2a7e-1b3d-4c5e-8f60-123456789abc:100000';

// --- the two writers: same input (iterables of responses or batches), same output chunks -------------

async function stringWriter(responses, trailer) {
  let bytes = 0;
  let last = '';
  for await (const chunk of multistatusChunks(responses, trailer)) { bytes += Buffer.byteLength(chunk); last = chunk; }
  return { bytes, last };
}

const PREFIXES = new Map([['DAV:', 'D']]);
function qname(name) {
  const { ns, local } = splitClark(name);
  let p = PREFIXES.get(ns);
  if (p === undefined) { p = `ns${PREFIXES.size - 1}`; PREFIXES.set(ns, p); }
  return { ns, q: `${p}:${local}` };
}

function cbNode(w, node) {
  const { ns, q } = qname(node.name);
  w.ele(ns, q);
  if (node.text !== undefined) w.txt(textRefs(node.text));
  for (const c of node.children ?? []) cbNode(w, c);
  w.up();
}

function cbResponse(w, r) {
  w.ele('DAV:', 'D:response').ele('DAV:', 'D:href').txt(textRefs(r.href)).up();
  if ('status' in r) w.ele('DAV:', 'D:status').txt(statusLine(r.status)).up();
  else {
    for (const ps of r.propstats) {
      w.ele('DAV:', 'D:propstat').ele('DAV:', 'D:prop');
      for (const p of ps.props) {
        const { ns, q } = qname(p.name);
        w.ele(ns, q);
        if (p.value !== undefined && 'text' in p.value) w.txt(textRefs(p.value.text));
        else if (p.value !== undefined && 'children' in p.value) for (const c of p.value.children) cbNode(w, c);
        w.up();
      }
      w.up().ele('DAV:', 'D:status').txt(statusLine(ps.status)).up().up();
    }
  }
  w.up();
}

async function* cbChunks(responses, trailer) {
  let pending = '';
  const w = createCB({ data: (s) => { pending += s; }, prettyPrint: false });
  w.dec({ version: '1.0', encoding: 'utf-8' }).ele('DAV:', 'D:multistatus');
  for await (const item of responses) {
    for (const r of Array.isArray(item) ? item : [item]) {
      cbResponse(w, r);
      if (pending.length >= CHUNK) { yield pending; pending = ''; }
    }
  }
  const end = typeof trailer === 'function' ? await trailer() : trailer;
  if (end?.syncToken !== undefined) w.ele('DAV:', 'D:sync-token').txt(textRefs(end.syncToken)).up();
  w.up().end();
  yield pending;
}

async function cbWriter(responses, trailer) {
  let bytes = 0;
  let last = '';
  for await (const chunk of cbChunks(responses, trailer)) { bytes += Buffer.byteLength(chunk); last = chunk; }
  return { bytes, last };
}

// --- the three shapes ---------------------------------------------------------------------------------

function batches(list) {
  const out = [];
  for (let i = 0; i < list.length; i += BATCH) out.push(list.slice(i, i + BATCH));
  return out;
}

const syncMembers = batches(Array.from({ length: 100_000 }, (_, i) => ({
  href: `/dav/contacts/member-${i}.vcf`,
  propstats: propstatsOf([{ name: DAV.getetag, value: { text: `"${(i * 2654435761 >>> 0).toString(16)}-${i}"` } }], []),
})));

const modified = new Date(Date.UTC(2026, 10, 22, 10, 0, 0)).toUTCString();
const created = '2026-11-22T10:00:00Z';
function propfindMember(i) {
  const collection = i % 50 === 0;
  const found = [
    { name: DAV.resourcetype, value: { children: collection ? [{ name: DAV.collection }] : [] } },
    { name: DAV.getetag, value: { text: `"${i.toString(16)}-${i * 7}"` } },
  ];
  if (!collection) found.push({ name: DAV.getcontentlength, value: { text: String(100 + i) } }, { name: DAV.getcontenttype, value: { text: 'text/vcard; charset=utf-8' } });
  found.push({ name: DAV.getlastmodified, value: { text: modified } }, { name: DAV.creationdate, value: { text: created } });
  return { href: `/dav/contacts/${collection ? `folder-${i}/` : `member-${i}.vcf`}`, propstats: propstatsOf(found, []) };
}
const propfindMembers = batches([{ href: '/dav/contacts/', propstats: propstatsOf([{ name: DAV.resourcetype, value: { children: [{ name: DAV.collection }] } }], []) },
  ...Array.from({ length: 10_000 }, (_, i) => propfindMember(i))]);

const shapes = [
  { name: '(a) initial sync, 100 000 members (href + getetag)', run: (writer) => writer(syncMembers, () => ({ syncToken: TOKEN })) },
  { name: '(b) PROPFIND Depth 1, 10 000 members, 6 live properties', run: (writer) => writer(propfindMembers) },
  {
    name: '(c) 1 000 up-to-date REPORT answers (no changes)',
    run: async (writer) => { let bytes = 0; for (let i = 0; i < 1000; i++) bytes += (await writer([], () => ({ syncToken: TOKEN }))).bytes; return { bytes }; },
  },
];

// --- equivalence: both outputs read back to the same elements --------------------------------------

async function whole(chunks) { let s = ''; for await (const c of chunks) s += c; return s; }
const LIMITS = { maxBytes: 1 << 30, maxElements: 10_000_000 };
function flatten(el, out = []) {
  out.push(`<${el.name}${JSON.stringify(el.attrs)}`);
  if (el.children.length === 0) out.push(el.text);
  for (const c of el.children) flatten(c, out);
  out.push('>');
  return out;
}
async function checkSame(label, responses, trailer) {
  const [a, b] = [await whole(multistatusChunks(responses, trailer)), await whole(cbChunks(responses, trailer))];
  const [ra, rb] = [await parseXml(a, LIMITS), await parseXml(b, LIMITS)];
  const [fa, fb] = [flatten(ra), flatten(rb)];
  if (fa.length !== fb.length || fa.some((x, i) => x !== fb[i])) throw new Error(`${label}: the two writers' outputs differ once parsed`);
  const hrefs = ra.children.filter((c) => c.name === DAV.response).length;
  const etags = fa.filter((x) => x.startsWith(`<${DAV.getetag}`)).length;
  return `${label}: same content once parsed (${hrefs} responses, ${etags} etags; ${a.length} vs ${b.length} chars)`;
}

// --- run ----------------------------------------------------------------------------------------------

async function main() {
  const [load1] = os.loadavg();
  console.log(`xml-writer bench: node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model.trim()}), load ${load1.toFixed(2)} at start, ${ROUNDS} alternating rounds`);
  console.log(await checkSame('(a)', syncMembers, () => ({ syncToken: TOKEN })));
  console.log(await checkSame('(b)', propfindMembers));
  console.log(await checkSame('(c)', [], () => ({ syncToken: TOKEN })));
  const writers = [['string (multistatusChunks)', stringWriter], ['xmlbuilder2 createCB', cbWriter]];
  const rows = [];
  for (const shape of shapes) {
    const times = writers.map(() => []);
    await shape.run(stringWriter); await shape.run(cbWriter); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const w of order) {
        const s = process.hrtime.bigint();
        await shape.run(writers[w][1]);
        times[w].push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }
    const med = times.map((t) => [...t].sort((x, y) => x - y)[Math.floor(t.length / 2)]);
    rows.push({ shape: shape.name, string: med[0], cb: med[1] });
  }
  console.log('');
  console.log('| shape | string writer median ms | xmlbuilder2 createCB median ms | createCB / string |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.shape} | ${r.string.toFixed(1)} | ${r.cb.toFixed(1)} | ${(r.cb / r.string).toFixed(2)} |`);
  console.log(`\nload at end: ${os.loadavg()[0].toFixed(2)}`);
}

main().catch((err) => { console.error(err); process.exit(1); });
