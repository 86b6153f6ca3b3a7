/**
 * A tiny WebDAV-ish host for the wrap-mode tests: files and collections in
 * maps, the methods capture cares about, a PROPFIND that answers 404 for
 * properties it does not know (as a real server does), and a REPORT that
 * echoes its body (to prove a non-sync REPORT reaches the host intact).
 * Every request it sees is logged; the next write can be made to fail.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseXml } from '@davsync/protocol';
import { listen, closeServer } from '../support/server';
import { davsyncWrap, type DavsyncWrap, type WrapOptions } from '@davsync/express';

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly ifHeader: string | undefined;
}

export class FakeHost {
  readonly files = new Map<string, { data: string; etag: string }>();
  readonly collections = new Set<string>(['/']);
  readonly seen: Seen[] = [];
  /** How PUT answers carry the ETag. */
  etagStyle: 'strong' | 'weak' | 'none' = 'strong';
  /** When set, the next write is answered with this status and changes nothing. */
  failNext: number | undefined;
  /** Extra live property the host answers on collections (e.g. its own supported-report-set), as XML. */
  supportedReports: string | undefined;

  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
  };

  /** The host's own ETag of some content. */
  static etag(data: string): string {
    return createHash('sha256').update(data).digest('hex').slice(0, 16);
  }

  /** Writes around HTTP (an "import job"). */
  put(path: string, data: string): string {
    const etag = FakeHost.etag(data);
    this.files.set(path, { data, etag });
    return etag;
  }

  mkcol(path: string): void {
    this.collections.add(path);
  }

  /** Everything, as a listing for `adopt`. */
  listing(): Array<{ path: string; etag?: string; collection?: boolean }> {
    return [
      ...[...this.collections].filter((c) => c !== '/').map((path) => ({ path, collection: true })),
      ...[...this.files].map(([path, f]) => ({ path, etag: `"${f.etag}"` })),
    ];
  }

  /** Everything below `path`, or undefined when it is not a collection (the `list` option). */
  below(path: string): Array<{ path: string; etag?: string; collection?: boolean }> | undefined {
    if (!this.collections.has(path)) return undefined;
    return this.listing().filter((m) => m.path.startsWith(path + '/'));
  }

  writes(): Seen[] {
    return this.seen.filter((s) => ['PUT', 'DELETE', 'MKCOL', 'MOVE', 'COPY', 'PROPPATCH'].includes(s.method));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://host');
    const path = decodeURIComponent(url.pathname).replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const ifHeader = req.headers['if'];
    this.seen.push({ method, path, body, ifHeader: typeof ifHeader === 'string' ? ifHeader : undefined });
    const end = (status: number, headers: Record<string, string> = {}, text = ''): void => {
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(text)), ...headers });
      res.end(text);
    };
    const parentExists = (p: string) => this.collections.has(p.slice(0, p.lastIndexOf('/')) || '/');
    if (this.failNext !== undefined && method !== 'GET' && method !== 'PROPFIND' && method !== 'REPORT') {
      const status = this.failNext;
      this.failNext = undefined;
      return end(status);
    }
    switch (method) {
      case 'GET': {
        const f = this.files.get(path);
        return f === undefined ? end(404) : end(200, { etag: `"${f.etag}"`, 'content-type': 'text/vcard' }, f.data);
      }
      case 'PUT': {
        if (!parentExists(path)) return end(409);
        const existed = this.files.has(path);
        const etag = this.put(path, body);
        const headers: Record<string, string> = {};
        if (this.etagStyle === 'strong') headers['etag'] = `"${etag}"`;
        if (this.etagStyle === 'weak') headers['etag'] = `W/"${etag}"`;
        return end(existed ? 204 : 201, headers);
      }
      case 'DELETE': {
        if (this.files.delete(path)) return end(204);
        if (!this.collections.has(path)) return end(404);
        for (const p of [...this.files.keys()]) if (p.startsWith(path + '/')) this.files.delete(p);
        for (const c of [...this.collections]) if (c === path || c.startsWith(path + '/')) this.collections.delete(c);
        return end(204);
      }
      case 'MKCOL':
        if (this.collections.has(path) || this.files.has(path)) return end(405);
        if (!parentExists(path)) return end(409);
        this.collections.add(path);
        return end(201);
      case 'MOVE':
      case 'COPY': {
        const dest = decodeURIComponent(new URL(String(req.headers['destination']), 'http://host').pathname).replace(/\/+$/, '');
        const moves = (p: string) => p === path || p.startsWith(path + '/');
        const to = (p: string) => dest + p.slice(path.length);
        if (!this.files.has(path) && !this.collections.has(path)) return end(404);
        const existed = this.files.has(dest) || this.collections.has(dest);
        for (const [p, f] of [...this.files]) {
          if (!moves(p)) continue;
          this.files.set(to(p), { ...f });
          if (method === 'MOVE') this.files.delete(p);
        }
        for (const c of [...this.collections]) {
          if (!moves(c)) continue;
          this.collections.add(to(c));
          if (method === 'MOVE') this.collections.delete(c);
        }
        return end(existed ? 204 : 201);
      }
      case 'PROPPATCH':
        if (!this.files.has(path) && !this.collections.has(path)) return end(404);
        return end(207, { 'content-type': 'application/xml' }, multistatus([`<D:response><D:href>${url.pathname}</D:href><D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`]));
      case 'PROPFIND':
        void this.propfind(path, String(req.headers['depth'] ?? 'infinity'), body).then(
          (text) => (text === undefined ? end(404) : end(207, { 'content-type': 'application/xml; charset=utf-8' }, text)),
          () => end(400),
        );
        return;
      case 'OPTIONS':
        if (path !== '/' && !this.files.has(path) && !this.collections.has(path)) return end(404);
        return end(200, { dav: '1, 2, access-control, addressbook', allow: 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, MOVE, COPY, PROPFIND, PROPPATCH, REPORT' });
      case 'REPORT':
        return end(207, { 'content-type': 'application/xml' }, multistatus([`<D:response><D:href>/echo</D:href><D:status>HTTP/1.1 200 OK</D:status><D:responsedescription>${escape(body)}</D:responsedescription></D:response>`]));
      default:
        return end(405);
    }
  }

  private async propfind(path: string, depth: string, body: string): Promise<string | undefined> {
    const isCollection = this.collections.has(path);
    if (!isCollection && !this.files.has(path)) return undefined;
    const root = body.trim() === '' ? undefined : await parseXml(body);
    const prop = root?.children.find((c) => c.name === '{DAV:}prop');
    const names = prop === undefined ? ['{DAV:}getetag', '{DAV:}resourcetype'] : prop.children.map((c) => c.name);
    const members = [path];
    if (isCollection && depth !== '0') {
      for (const p of [...this.collections, ...this.files.keys()]) {
        if (p !== path && p !== '/' && (p.slice(0, p.lastIndexOf('/')) || '/') === path) members.push(p);
      }
    }
    return multistatus(members.map((m) => this.response(m, names)));
  }

  private response(path: string, names: string[]): string {
    const collection = this.collections.has(path);
    const found: string[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const local = name.replace(/^\{[^}]*\}/, '');
      const ns = name.startsWith('{') ? name.slice(1, name.indexOf('}')) : '';
      if (name === '{DAV:}getetag' && !collection) found.push(`<D:getetag>"${this.files.get(path)?.etag}"</D:getetag>`);
      else if (name === '{DAV:}resourcetype') found.push(collection ? '<D:resourcetype><D:collection/></D:resourcetype>' : '<D:resourcetype/>');
      else if (name === '{DAV:}displayname') found.push(`<D:displayname>${escape(path.slice(path.lastIndexOf('/') + 1))}</D:displayname>`);
      else if (name === '{DAV:}supported-report-set' && collection && this.supportedReports !== undefined) found.push(this.supportedReports);
      else missing.push(ns === 'DAV:' ? `<D:${local}/>` : `<x:${local} xmlns:x="${ns}"/>`);
    }
    const href = path === '/' ? '/' : path.split('/').map(encodeURIComponent).join('/') + (collection ? '/' : '');
    let out = `<D:response><D:href>${href}</D:href>`;
    if (found.length > 0) out += `<D:propstat><D:prop>${found.join('')}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`;
    if (missing.length > 0) out += `<D:propstat><D:prop>${missing.join('')}</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`;
    return out + '</D:response>';
  }
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function multistatus(responses: string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${responses.join('')}</D:multistatus>`;
}

export interface Wrapped {
  readonly origin: string;
  readonly host: FakeHost;
  readonly wrap: DavsyncWrap;
  close(): Promise<void>;
}

/** The fake host behind davsyncWrap on bare node:http, on an ephemeral loopback port. */
export async function startWrapped(options: Partial<WrapOptions> = {}, host = new FakeHost()): Promise<Wrapped> {
  const wrap = davsyncWrap({ tracked: '/books/*', onError: () => undefined, ...options });
  const { server, origin } = await listen((req, res) => wrap(req, res, () => host.handler(req, res)));
  return {
    origin,
    host,
    wrap,
    close: async () => {
      await closeServer(server);
      await wrap.close();
    },
  };
}
