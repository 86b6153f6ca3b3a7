/**
 * What a LOCK request asks, read from the wire (RFC 4918 §9.10, §10.7,
 * §14.11): the `DAV:lockinfo` body, the `Timeout` header and the
 * `Lock-Token` header of UNLOCK. Every malformed value is a 400 here,
 * before any store is touched.
 */
import { badRequest, type LockScope } from '@davsync/core';
import { childrenNamed, serializeElement, trimXmlSpace, type XmlElement } from '@davsync/protocol';

const D = (local: string): string => `{DAV:}${local}`;

/** A parsed `DAV:lockinfo`: the scope asked for and the owner element, verbatim. */
export interface LockInfo {
  readonly scope: LockScope;
  /** The `DAV:owner` element as a self-contained XML fragment, or `undefined` when absent. */
  readonly owner: string | undefined;
}

/**
 * Reads a `DAV:lockinfo` body: exactly one lockscope (exclusive or shared),
 * one locktype that is `write` (the only type RFC 4918 defines), at most
 * one owner. Anything else is 400: a lock of a kind we do not grant must
 * not be answered with one we do.
 */
export function parseLockInfo(root: XmlElement): LockInfo {
  if (root.name !== D('lockinfo')) throw badRequest('davsync: a LOCK body must be a DAV:lockinfo element');
  const scopes = childrenNamed(root, D('lockscope'));
  const types = childrenNamed(root, D('locktype'));
  const owners = childrenNamed(root, D('owner'));
  if (scopes.length !== 1 || types.length !== 1 || owners.length > 1) {
    throw badRequest('davsync: DAV:lockinfo needs one lockscope, one locktype and at most one owner');
  }
  const scope = only(scopes[0] as XmlElement, 'lockscope');
  if (scope !== D('exclusive') && scope !== D('shared')) throw badRequest(`davsync: unknown lock scope ${scope}`);
  const type = only(types[0] as XmlElement, 'locktype');
  if (type !== D('write')) throw badRequest(`davsync: unknown lock type ${type}: only DAV:write locks exist`);
  const owner = owners[0];
  return { scope: scope === D('exclusive') ? 'exclusive' : 'shared', owner: owner === undefined ? undefined : serializeElement(owner) };
}

/** The one child element's name of a lockscope or locktype, with no text beside it. */
function only(el: XmlElement, what: string): string {
  if (el.children.length !== 1 || trimXmlSpace(el.text) !== '') throw badRequest(`davsync: DAV:${what} must hold exactly one element`);
  return (el.children[0] as XmlElement).name;
}

/** Seconds above which a `Second-n` is taken as "as long as you grant" (the store caps it anyway). */
const LONGEST_SECONDS = 2 ** 32 - 1; // RFC 4918 §10.7: TimeType allows up to 2^32-1

/**
 * The `Timeout` header (RFC 4918 §10.7): `Second-n` or `Infinite`, comma
 * separated in order of preference. The server may take any; we take the
 * first, since the store caps every value at `maxTimeoutSeconds` anyway.
 * Absent: `'infinite'` (so the cap). Anything outside the grammar is 400.
 */
export function parseTimeout(header: string | undefined): number | 'infinite' {
  if (header === undefined) return 'infinite';
  const values = header.split(',').map((v) => v.trim());
  let first: number | 'infinite' | undefined;
  for (const value of values) {
    let parsed: number | 'infinite';
    if (/^infinite$/i.test(value)) parsed = 'infinite';
    else {
      const m = /^second-(\d{1,20})$/i.exec(value);
      if (m === null) throw badRequest(`davsync: malformed Timeout header: ${JSON.stringify(header.slice(0, 100))}`);
      parsed = Math.min(Number(m[1]), LONGEST_SECONDS);
    }
    first ??= parsed;
  }
  if (first === undefined) throw badRequest('davsync: empty Timeout header');
  return first;
}

/**
 * The `Lock-Token` header of UNLOCK (RFC 4918 §10.5): one Coded-URL,
 * `<absolute-URI>`. The bare absolute URI is taken too, since clients in
 * use send it so: the npm `webdav` client's `unlock()` always does, and
 * Windows' WebDAV redirector sometimes (SabreDAV accepts it for that).
 * Refusing it would leave their locks stuck until they time out; the URI
 * alone is unambiguous, so nothing is lost by reading it.
 */
export function parseLockTokenHeader(header: string | undefined): string {
  if (header === undefined) throw badRequest('davsync: UNLOCK needs a Lock-Token header');
  const m = /^<([a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>]+)>$|^([a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>]+)$/.exec(header.trim());
  if (m === null) throw badRequest('davsync: the Lock-Token header must be a Coded-URL: <urn:uuid:…>');
  return (m[1] ?? m[2]) as string;
}
