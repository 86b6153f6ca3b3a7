/**
 * Member paths: the core's only way to name a resource. A member path is
 * absolute, uses `/` separators, has no trailing slash (except the root `/`),
 * no empty, `.` or `..` segments, and no NUL. It is already percent-decoded:
 * turning hrefs into paths (and back) is the middleware's job.
 */
import { badRequest } from './errors';

export const ROOT = '/';

/**
 * Normalises a decoded path into a member path, or throws `bad-request`.
 * Duplicate and trailing slashes are dropped; `.`/`..` segments are refused
 * rather than resolved, so a path can never climb out of the store.
 *
 * @example normalizePath('/a//b/') === '/a/b'
 */
export function normalizePath(input: string): string {
  if (input.includes('\0')) throw badRequest('davsync: NUL byte in path');
  if (!input.startsWith('/')) throw badRequest(`davsync: path must be absolute: ${JSON.stringify(input)}`);
  const segments = input.split('/').filter((s) => s !== '');
  for (const s of segments) {
    if (s === '.' || s === '..') throw badRequest(`davsync: dot segment in path: ${JSON.stringify(input)}`);
  }
  return segments.length === 0 ? ROOT : '/' + segments.join('/');
}

/** True when `path` is already a normalised member path. */
export function isMemberPath(path: string): boolean {
  try {
    return normalizePath(path) === path;
  } catch {
    return false;
  }
}

/** The parent collection of a member path; `undefined` for the root. */
export function parentOf(path: string): string | undefined {
  if (path === ROOT) return undefined;
  const i = path.lastIndexOf('/');
  return i === 0 ? ROOT : path.slice(0, i);
}

/** The last segment of a member path (`''` for the root). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a collection path and a single member name. */
export function childPath(collection: string, name: string): string {
  return collection === ROOT ? `/${name}` : `${collection}/${name}`;
}

/** True when `path` is `ancestor` or lies below it. */
export function isWithin(path: string, ancestor: string): boolean {
  if (ancestor === ROOT) return true;
  return path === ancestor || (path.startsWith(ancestor) && path.charCodeAt(ancestor.length) === 47 /* / */);
}

/** The proper ancestors of a path, nearest first, ending with the root. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = parentOf(path); p !== undefined; p = parentOf(p)) out.push(p);
  return out;
}

/** Rewrites `path`, which lies within `from`, to lie within `to` instead. */
export function rebase(path: string, from: string, to: string): string {
  if (path === from) return to;
  const rest = from === ROOT ? path : path.slice(from.length);
  return to === ROOT ? rest : to + rest;
}
