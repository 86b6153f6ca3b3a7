/** A minimal HTML index of a collection, for people with a browser. */
import type { Entry } from '@davsync/core';
import type { DavContext } from '../context';
import type { DavResponse } from '../dav-request';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export async function collectionPage(ctx: DavContext, entry: Entry): Promise<DavResponse> {
  const rows: string[] = [];
  for await (const m of ctx.engine.adapter.list(entry.path)) {
    const name = m.path.slice(m.path.lastIndexOf('/') + 1) + (m.collection ? '/' : '');
    rows.push(`<li><a href="${escapeHtml(ctx.href(m.path, m.collection))}">${escapeHtml(name)}</a></li>`);
  }
  rows.sort();
  const title = escapeHtml(ctx.href(entry.path, true));
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><ul>${rows.join('')}</ul></body></html>`;
  return {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), etag: `"${entry.etag}"` },
    body,
  };
}
