/**
 * Between URLs and member paths. Request paths are decoded one segment at a
 * time so an encoded separator (`%2F`), an encoded NUL or an encoded dot
 * segment (`%2e%2e`) can never smuggle structure past `normalizePath`; such
 * requests are refused with 400. Hrefs written into responses are encoded
 * the other way round, with the mount point in front.
 */
import { badRequest, DavError, normalizePath } from '@davsync/core';
import { splitSimpleRef, type SimpleRef } from '@davsync/protocol';

export interface RequestTarget {
  /** Decoded, normalised member path. */
  readonly path: string;
  /** The URL ended with a slash (a hint that the client means a collection). */
  readonly trailingSlash: boolean;
}

/** Decodes the path part of a request target (relative to the mount point). */
export function decodeTarget(url: string): RequestTarget {
  // A fragment never belongs in a request target (RFC 9112 §3.2); one that
  // arrives is refused rather than silently cut off before a DELETE.
  if (url.includes('#')) throw badRequest('davsync: a request target cannot carry a fragment');
  const end = url.indexOf('?');
  const raw = end < 0 ? url : url.slice(0, end);
  if (!raw.startsWith('/')) throw badRequest(`davsync: request target must be an absolute path`);
  const segments = raw.split('/').map(decodeSegment);
  for (const s of segments) {
    if (s === '.' || s === '..') throw badRequest('davsync: dot segments are not allowed in paths');
  }
  return { path: normalizePath(segments.join('/') || '/'), trailingSlash: raw.length > 1 && raw.endsWith('/') };
}

function decodeSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw badRequest('davsync: malformed percent-encoding in path');
  }
  if (decoded.includes('/') || decoded.includes('\\')) throw badRequest('davsync: encoded separator in path segment');
  if (decoded.includes('\0')) throw badRequest('davsync: NUL byte in path');
  return decoded;
}

/** Paths whose every character the encoding below leaves as it is: unreserved, the sub-delims, ':', '@' and '/'. */
const PLAIN_PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/** The href of a member, for responses: mount point + encoded path (+ `/` for collections). */
export function hrefOf(base: string, path: string, collection: boolean): string {
  if (path === '/') return `${base}/`;
  // Most names need no escaping; a listing of 10 000 members spends ~0.7 µs
  // each on the general path below.
  if (PLAIN_PATH.test(path)) return `${base}${path}${collection ? '/' : ''}`;
  // encodeURIComponent, then un-escape the sub-delims, ':' and '@' that RFC
  // 3986 allows in a segment, so hrefs read like the names people chose.
  const encoded = path
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%(2[146789ABC]|3[ABD]|40)/g, (m) => decodeURIComponent(m)))
    .join('/');
  return `${base}${encoded}${collection ? '/' : ''}`;
}

/**
 * Resolves an href or absolute URI from a header (a tagged If list) or a
 * host's multistatus to a member path under this mount point. Returns
 * `undefined` when it names another server or a place outside the mount
 * point; throws `bad-request` when it is not a Simple-ref (RFC 4918 §8.3)
 * or its path would be refused as a request target (dot segments, an
 * encoded separator or NUL).
 */
export function pathFromReference(reference: string, base: string, origin: string | undefined): RequestTarget | undefined {
  const parts = splitSimpleRef(reference);
  if (parts === undefined) throw badRequest('davsync: a URI in a header must be an absolute URI with a host, or an absolute path');
  return targetOf(parts, base, origin);
}

/**
 * The member path a taken-apart reference (a Destination, an If resource
 * tag) names under mount point `base` of the server at `origin`, or
 * `undefined` when it lies elsewhere. The one mapping from URIs in requests
 * to member paths, so COPY/MOVE and If agree on what a URI names.
 */
export function targetOf(parts: SimpleRef, base: string, origin: string | undefined): RequestTarget | undefined {
  if (parts.origin !== undefined && origin !== undefined && !sameOrigin(parts.origin, origin)) return undefined;
  let path = parts.path;
  if (base !== '') {
    if (path !== base && !path.startsWith(base + '/')) return undefined;
    path = path.slice(base.length) || '/';
  }
  return decodeTarget(path);
}

/** Same scheme, host and port, with default ports and case folded the way WHATWG URL does (for http and https). */
function sameOrigin(a: string, b: string): boolean {
  return normalOrigin(a) === normalOrigin(b);
}

function normalOrigin(origin: string): string {
  try {
    const o = new URL(origin).origin;
    // Schemes without a defined origin (not http, https, …) compare as written, case folded.
    return o === 'null' ? origin.toLowerCase() : o;
  } catch {
    return origin.toLowerCase();
  }
}

/** Thrown for a Destination on another server or outside the mount point (RFC 4918 §9.8.5: 502). */
export const otherServer = (): DavError => new DavError('cross-server', 'davsync: the destination is not on this server');
