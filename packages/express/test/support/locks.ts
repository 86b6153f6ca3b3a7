/**
 * WebDAV locks over HTTP for the tests that check what a real client (or a
 * second server) left behind: LOCK a URL, read its DAV:lockdiscovery.
 */
import { expect } from '@jest/globals';
import type { XmlElement } from '@davsync/protocol';
import { D, dav, multistatus, XML_HEADERS } from './dav';

export const lockinfo = (owner = 'davsync test'): string =>
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  `<D:locktype><D:write/></D:locktype><D:owner>${owner}</D:owner></D:lockinfo>`;

/** An exclusive depth-0 LOCK on `url` that must be granted; returns the token (`urn:uuid:…`). */
export async function lockUrl(url: string, timeoutSeconds = 600): Promise<string> {
  const r = await dav(url, 'LOCK', { headers: { ...XML_HEADERS, depth: '0', timeout: `Second-${timeoutSeconds}` }, body: lockinfo() });
  expect([200, 201]).toContain(r.status);
  const m = /^<([^>]+)>$/.exec(r.headers.get('lock-token') ?? '');
  if (m === null) throw new Error(`LOCK ${url}: no Lock-Token header (${r.status})`);
  return m[1] as string;
}

const child = (el: XmlElement | undefined, local: string): XmlElement | undefined => el?.children.find((c) => c.name === D(local));

/** The lock tokens DAV:lockdiscovery of `url` shows (PROPFIND Depth 0). */
export async function lockTokensOf(url: string): Promise<string[]> {
  const body = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>';
  const r = await dav(url, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body });
  expect(r.status).toBe(207);
  const ms = await multistatus(r.text);
  const response = ms.responses[0];
  if (response === undefined) throw new Error(`PROPFIND ${url}: empty multistatus`);
  const active = response.prop(D('lockdiscovery'))?.children ?? [];
  return active.map((a) => child(child(a, 'locktoken'), 'href')?.text.trim() ?? '');
}

/** An `If` header naming `token` for `url` (a tagged list, as clients send it). */
export const ifHeader = (url: string, token: string): Record<string, string> => ({ if: `<${url}> (<${token}>)` });

/**
 * Polls `probe` until it returns true, at most `timeoutMs` (a bounded loop:
 * a client that uploads in the background gets time, a broken one fails).
 */
export async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
