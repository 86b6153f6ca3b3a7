/**
 * A deliberately small CardDAV-style server: the "existing handler" davsync
 * is put in front of. It knows nothing about sync. Address books live at
 * `/addressbooks/<user>/<book>/`, vCards inside them; it answers GET, PUT
 * and DELETE of vCards (with If-Match / If-None-Match) and PROPFIND of
 * homes, address books and cards, and reports properties it does not have
 * in a 404 propstat, as a real server does.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const CARDDAV = 'urn:ietf:params:xml:ns:carddav';

export interface Card {
  readonly data: string;
  readonly etag: string;
}

/** The host's own storage: address books of cards, in memory. */
export class AddressBooks {
  /** Book path (`/addressbooks/alice/contacts`) → card name → card. */
  readonly books = new Map<string, Map<string, Card>>();

  createBook(path: string): void {
    if (!this.books.has(path)) this.books.set(path, new Map());
  }

  /** Stores a card; returns its new (strong) ETag. */
  putCard(path: string, data: string): string {
    const { book, name } = split(path);
    const etag = createHash('sha256').update(data).digest('base64url').slice(0, 22);
    this.books.get(book)?.set(name, { data, etag });
    return etag;
  }

  getCard(path: string): Card | undefined {
    const { book, name } = split(path);
    return this.books.get(book)?.get(name);
  }

  deleteCard(path: string): boolean {
    const { book, name } = split(path);
    return this.books.get(book)?.delete(name) ?? false;
  }

  /** Everything the host has, as paths and ETags (what davsync adopts at start-up). */
  listing(): Array<{ path: string; etag?: string; collection?: boolean }> {
    return [...this.books.keys()].flatMap((book) => [{ path: book, collection: true }, ...(this.below(book) ?? [])]);
  }

  /** The cards of one address book, or `undefined` when there is no such book. */
  below(book: string): Array<{ path: string; etag: string }> | undefined {
    const cards = this.books.get(book);
    if (cards === undefined) return undefined;
    return [...cards].map(([name, card]) => ({ path: `${book}/${name}`, etag: `"${card.etag}"` }));
  }
}

function split(path: string): { book: string; name: string } {
  const i = path.lastIndexOf('/');
  return { book: path.slice(0, i), name: path.slice(i + 1) };
}

const isVCard = (s: string): boolean => /^BEGIN:VCARD\r?\n/i.test(s) && /\r?\nEND:VCARD\s*$/i.test(s);

/** The host's request handler; `seen` logs every request it gets. */
export function cardDavHandler(store: AddressBooks, seen: string[] = []): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://host').pathname).replace(/\/+$/, '') || '/';
      seen.push(`${method} ${path}`);
      const answer = (status: number, headers: Record<string, string> = {}, body = ''): void => {
        res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
        res.end(body);
      };
      const card = store.getCard(path);
      const current = card === undefined ? undefined : `"${card.etag}"`;
      const ifMatch = req.headers['if-match'];
      const ifNoneMatch = req.headers['if-none-match'];
      const preconditionFails =
        (ifMatch !== undefined && (current === undefined || (ifMatch !== '*' && ifMatch !== current))) ||
        (ifNoneMatch === '*' && current !== undefined);
      switch (method) {
        case 'GET':
          return card === undefined ? answer(404) : answer(200, { 'content-type': 'text/vcard; charset=utf-8', etag: current as string }, card.data);
        case 'PUT': {
          const { book } = split(path);
          if (!store.books.has(book)) return answer(409);
          if (preconditionFails) return answer(412);
          const body = Buffer.concat(chunks).toString('utf8');
          if (!isVCard(body)) return answer(400, { 'content-type': 'text/plain' }, 'not a vCard');
          const etag = store.putCard(path, body);
          return answer(card === undefined ? 201 : 204, { etag: `"${etag}"` });
        }
        case 'DELETE':
          if (card === undefined) return answer(404);
          if (preconditionFails) return answer(412);
          store.deleteCard(path);
          return answer(204);
        case 'PROPFIND': {
          const depth = req.headers['depth'] === '0' ? 0 : 1;
          const body = propfind(store, path, depth, requestedProps(Buffer.concat(chunks).toString('utf8')));
          return body === undefined ? answer(404) : answer(207, { 'content-type': 'application/xml; charset=utf-8' }, body);
        }
        case 'OPTIONS':
          return answer(204, { dav: '1, 3, addressbook', allow: 'OPTIONS, GET, PUT, DELETE, PROPFIND' });
        default:
          return answer(405, { allow: 'OPTIONS, GET, PUT, DELETE, PROPFIND' });
      }
    });
  };
}

/**
 * The property names of a PROPFIND body as `{namespace}local`. A regular
 * expression is enough for the well-formed bodies clients send; a real
 * server would use an XML parser.
 */
function requestedProps(body: string): string[] {
  const prop = /<(?:[\w.-]+:)?prop[\s>][\s\S]*?<\/(?:[\w.-]+:)?prop>/.exec(body)?.[0];
  if (prop === undefined) return ['{DAV:}resourcetype', '{DAV:}getetag', '{DAV:}displayname'];
  const namespaces: Record<string, string> = {};
  for (const m of body.matchAll(/xmlns(?::([\w.-]+))?="([^"]*)"/g)) namespaces[m[1] ?? ''] = m[2] as string;
  const names: string[] = [];
  for (const m of prop.matchAll(/<(?:([\w.-]+):)?([\w.-]+)\s*(?:xmlns(?::[\w.-]+)?="[^"]*"\s*)*\/>/g)) {
    names.push(`{${namespaces[m[1] ?? ''] ?? ''}}${m[2]}`);
  }
  return names;
}

function propfind(store: AddressBooks, path: string, depth: 0 | 1, names: string[]): string | undefined {
  const home = /^\/addressbooks\/[^/]+$/.test(path) ? path : undefined;
  const responses: string[] = [];
  if (home !== undefined) {
    responses.push(response(`${path}/`, names, { kind: 'home' }));
    if (depth === 1) {
      for (const book of store.books.keys()) if (book.startsWith(`${home}/`)) responses.push(response(`${book}/`, names, { kind: 'book', name: book.slice(home.length + 1) }));
    }
  } else if (store.books.has(path)) {
    responses.push(response(`${path}/`, names, { kind: 'book', name: path.slice(path.lastIndexOf('/') + 1) }));
    if (depth === 1) for (const [name, card] of store.books.get(path) ?? []) responses.push(response(`${path}/${name}`, names, { kind: 'card', card }));
  } else {
    const card = store.getCard(path);
    if (card === undefined) return undefined;
    responses.push(response(path, names, { kind: 'card', card }));
  }
  return `<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:" xmlns:card="${CARDDAV}">${responses.join('')}</d:multistatus>`;
}

type Resource = { kind: 'home' } | { kind: 'book'; name: string } | { kind: 'card'; card: Card };

function response(href: string, names: string[], r: Resource): string {
  const found: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const value = propertyValue(name, r);
    if (value !== undefined) found.push(value);
    else {
      const m = /^\{([^}]*)\}(.+)$/.exec(name);
      missing.push(m?.[1] === 'DAV:' ? `<d:${m[2]}/>` : `<x:${m?.[2] ?? name} xmlns:x="${m?.[1] ?? ''}"/>`);
    }
  }
  const encoded = href.split('/').map(encodeURIComponent).join('/');
  let out = `<d:response><d:href>${encoded}</d:href>`;
  if (found.length > 0) out += `<d:propstat><d:prop>${found.join('')}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>`;
  if (missing.length > 0) out += `<d:propstat><d:prop>${missing.join('')}</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>`;
  return `${out}</d:response>`;
}

function propertyValue(name: string, r: Resource): string | undefined {
  switch (name) {
    case '{DAV:}resourcetype':
      return r.kind === 'card' ? '<d:resourcetype/>' : `<d:resourcetype><d:collection/>${r.kind === 'book' ? '<card:addressbook/>' : ''}</d:resourcetype>`;
    case '{DAV:}displayname':
      return r.kind === 'book' ? `<d:displayname>${escapeXml(r.name)}</d:displayname>` : undefined;
    case '{DAV:}getetag':
      return r.kind === 'card' ? `<d:getetag>"${r.card.etag}"</d:getetag>` : undefined;
    case '{DAV:}getcontenttype':
      return r.kind === 'card' ? '<d:getcontenttype>text/vcard; charset=utf-8</d:getcontenttype>' : undefined;
    case `{${CARDDAV}}address-data`:
      return r.kind === 'card' ? `<card:address-data>${escapeXml(r.card.data)}</card:address-data>` : undefined;
    default:
      return undefined;
  }
}

export const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
