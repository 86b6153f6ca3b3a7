/**
 * Registration URLs: where a registration can be removed (DELETE, the draft
 * §4.3) and inspected (GET, davsync's own, for debugging). They live under
 * one reserved segment of the mount, `/.webdav-push/<id>`, outside the
 * store's namespace: with push on, no member of that name is reachable
 * (clients do not make dot-names there; the id is 128 random bits).
 */
import type { DavRequest } from '../dav-request';

export const REGISTRATION_SEGMENT = '.webdav-push';

const ID = /^[A-Za-z0-9_-]{16,64}$/;

/** The absolute registration URL of `id` as a response's `Location` gives it (relative without an origin). */
export function registrationUrl(req: Pick<DavRequest, 'origin' | 'base'>, id: string): string {
  return `${req.origin ?? ''}${req.base}/${REGISTRATION_SEGMENT}/${id}`;
}

/**
 * What a request target under the reserved segment names: `{ id }` for a
 * registration URL, `{ listing: true }` for the segment itself (the list
 * of a collection's registrations: `?collection=/path`), `{}` for anything
 * else there; `undefined` when the target is not under it (an ordinary request).
 */
export function registrationTarget(url: string): { id?: string; listing?: true; query: URLSearchParams } | undefined {
  const cut = url.indexOf('?');
  const path = cut < 0 ? url : url.slice(0, cut);
  const query = new URLSearchParams(cut < 0 ? '' : url.slice(cut + 1));
  const prefix = `/${REGISTRATION_SEGMENT}`;
  if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
  const rest = path.slice(prefix.length + 1);
  if (rest === '') return { listing: true, query };
  return ID.test(rest) ? { id: rest, query } : { query };
}

/** Most registration URLs one Push-Dont-Notify header is read for; more are ignored. */
const MAX_DONT_NOTIFY = 32;

/**
 * The draft's `Push-Dont-Notify` (§5.2): `*`, or quoted absolute
 * registration URLs exactly as `Location` gave them. Returns `'all'`, the
 * ids of this server's registration URLs listed, or `undefined` when the
 * header is absent or names none of them (invalid values are ignored).
 */
export function parseDontNotify(value: string | undefined, req: Pick<DavRequest, 'origin' | 'base'>): 'all' | string[] | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '*') return 'all';
  const prefix = registrationUrl(req, '');
  const ids: string[] = [];
  for (const match of value.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    if (ids.length >= MAX_DONT_NOTIFY) break;
    const url = (match[1] as string).replace(/\\(.)/g, '$1');
    if (!url.startsWith(prefix)) continue;
    const id = url.slice(prefix.length);
    if (ID.test(id)) ids.push(id);
  }
  return ids.length === 0 ? undefined : ids;
}
