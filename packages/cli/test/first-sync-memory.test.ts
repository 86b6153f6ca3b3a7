/**
 * Issue 18: the client's memory must grow gently with the size of the
 * collection. A first sync's REPORT answer lists every member; read into
 * one XML tree it cost ~15 KiB of heap per member, and a first sync of
 * 50 000 files peaked near 1 GB.
 *
 * `davsync sync DIR URL --once --dry-run` (the feed read into the state,
 * the plan made and printed, nothing transferred) against a small server
 * made here that lists SMALL, then LARGE members in one answer. The peak
 * (VmHWM, written by a preloaded `max-rss.cjs`) may grow by at most
 * MAX_KIB_PER_MEMBER per extra member: well above what the feed, the state
 * and the plan need (~1–2 KiB each; the figures go to stderr), well below
 * the XML tree (~7 KiB each here, ~15 with the heap's slack).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from '@jest/globals';
import { cleanup, run, tempDir } from './support';

const SMALL = 2_000;
const LARGE = 30_000;
const MAX_KIB_PER_MEMBER = 3;
const STEP_MS = 60_000;

let server: Server | undefined;
afterEach(async () => {
  await cleanup();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

const MODIFIED = 'Wed, 02 Dec 2026 12:00:00 GMT';
/** Like bench/client.js's tree: files in 1 000 folders (d0..d49/e0..e19). */
const folderOf = (i: number) => `d${i % 50}/e${Math.floor(i / 50) % 20}`;

function* members(files: number): Generator<string> {
  const folders = new Set<string>();
  for (let i = 0; i < Math.min(files, 1000); i++) folders.add(folderOf(i).split('/')[0]!).add(folderOf(i));
  for (const f of folders) yield response(`/files/${f}/`, `"c-${f}"`, '<D:resourcetype><D:collection/></D:resourcetype>');
  for (let i = 0; i < files; i++) yield response(`/files/${folderOf(i)}/f${i}.txt`, `"${i}-abcdefgh"`, '<D:resourcetype/><D:getcontentlength>74</D:getcontentlength>');
}

function response(href: string, etag: string, props: string): string {
  // As the davsync server answers the client: the ownCloud properties it asked for are 404.
  return (
    `<D:response><D:href>${href}</D:href><D:propstat><D:prop><D:getetag>${etag}</D:getetag>${props}<D:getlastmodified>${MODIFIED}</D:getlastmodified></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>` +
    '<D:propstat><D:prop><oc:fileid/><oc:checksums/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>\n'
  );
}

/**
 * Just enough of a sync-collection server for a first sync: the collection
 * `/files/` (PROPFIND), its first REPORT answered with every member in one
 * streamed answer, any later one (the check after a long answer) with none.
 */
async function listingServer(files: number): Promise<string> {
  const multistatus = (res: ServerResponse, body: Iterable<string>, token: string) => {
    res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' });
    res.write('<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns">');
    let chunk = '';
    for (const part of body) {
      chunk += part;
      if (chunk.length > 64 * 1024) {
        res.write(chunk);
        chunk = '';
      }
    }
    res.end(`${chunk}<D:sync-token>${token}</D:sync-token></D:multistatus>`);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const d of req) body += String(d);
    if (req.method === 'PROPFIND' && req.url === '/files/') {
      return multistatus(res, [response('/files/', '"root"', '<D:resourcetype><D:collection/></D:resourcetype>')], '');
    }
    if (req.method === 'REPORT' && req.url === '/files/') {
      const first = !/sync-token>[^<]/.test(body); // no token: the first sync
      return multistatus(res, first ? members(files) : [], 'urn:test:1');
    }
    res.writeHead(404).end();
  };
  server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/files/`;
}

/** A first `sync --once --dry-run` of `files` files: its peak RSS in KiB. */
async function dryRunPeakKiB(files: number): Promise<number> {
  const url = await listingServer(files);
  const rssFile = join(await tempDir(), 'maxrss');
  const p = run(['sync', await tempDir(), url, '--once', '--dry-run'], { env: { NODE_OPTIONS: `--require=${join(__dirname, 'max-rss.cjs')}`, DAVSYNC_MAXRSS_FILE: rssFile } });
  const exit = await p.waitExit(STEP_MS);
  expect({ ...exit, stderr: exit.code === 0 ? '' : p.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
  // Every file planned: the whole answer was read.
  const planned = p.stdout().match(/^would download /gm)?.length ?? 0;
  if (planned !== files) throw new Error(`${planned} of ${files} files planned; the output began: ${p.stdout().slice(0, 500)}`);
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
  return Number(await readFile(rssFile, 'utf8'));
}

it(
  `a first sync's peak memory grows by less than ${MAX_KIB_PER_MEMBER} KiB per member from ${SMALL} to ${LARGE} files (dry run)`,
  async () => {
    const small = await dryRunPeakKiB(SMALL);
    const large = await dryRunPeakKiB(LARGE);
    const perMember = (large - small) / (LARGE - SMALL);
    process.stderr.write(`first-sync memory: ${SMALL} files ${Math.round(small / 1024)} MiB, ${LARGE} files ${Math.round(large / 1024)} MiB peak RSS: ${perMember.toFixed(2)} KiB per extra member\n`);
    expect(perMember).toBeLessThan(MAX_KIB_PER_MEMBER);
  },
  STEP_MS * 2,
);
