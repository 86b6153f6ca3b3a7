/**
 * The two live properties of locking (RFC 4918 §15.8, §15.10):
 * `DAV:lockdiscovery`, the live locks whose scope includes a member, and
 * `DAV:supportedlock`, the kinds of lock it may take (exclusive and shared
 * write locks, on every member). The LOCK answer's body is the same
 * `DAV:activelock` XML.
 */
import type { ActiveLock } from '@davsync/core';
import type { PropValue } from '@davsync/protocol';

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The remaining timeout as RFC 4918 §10.7 writes it (whole seconds, at least 1 while the lock is live). */
function timeoutOf(lock: ActiveLock, now: number): string {
  return `Second-${Math.max(1, Math.ceil((lock.expires - now) / 1000))}`;
}

/**
 * One `DAV:activelock`, self-contained (it declares `D`), so it can sit in
 * a multistatus as a stored fragment does and in the LOCK answer alike.
 * The owner is the client's element, written back as it was stored.
 */
export function activeLockXml(lock: ActiveLock, rootHref: string, now: number): string {
  return (
    '<D:activelock xmlns:D="DAV:">' +
    `<D:locktype><D:write/></D:locktype><D:lockscope><D:${lock.scope}/></D:lockscope>` +
    `<D:depth>${lock.depth === 0 ? '0' : 'infinity'}</D:depth>` +
    (lock.owner ?? '') +
    `<D:timeout>${timeoutOf(lock, now)}</D:timeout>` +
    `<D:locktoken><D:href>${escape(lock.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escape(rootHref)}</D:href></D:lockroot>` +
    '</D:activelock>'
  );
}

/**
 * `DAV:lockdiscovery` of a member, from the locks covering it (an empty
 * element when it has none). An `xml` value is the whole property element,
 * as a stored dead property is: the owner inside is the client's XML.
 */
export function lockDiscoveryValue(locks: readonly ActiveLock[], rootHref: (lock: ActiveLock) => string, now: number): PropValue {
  const active = locks.map((lock) => activeLockXml(lock, rootHref(lock), now)).join('');
  return { xml: `<D:lockdiscovery xmlns:D="DAV:">${active}</D:lockdiscovery>` };
}

/** `DAV:supportedlock`: exclusive and shared write locks, on every member. */
export const SUPPORTED_LOCK: PropValue = {
  children: (['exclusive', 'shared'] as const).map((scope) => ({
    name: '{DAV:}lockentry',
    children: [
      { name: '{DAV:}lockscope', children: [{ name: `{DAV:}${scope}` }] },
      { name: '{DAV:}locktype', children: [{ name: '{DAV:}write' }] },
    ],
  })),
};

/** The LOCK answer's body (RFC 4918 §9.10.1): `DAV:prop` holding the lockdiscovery of the lock(s) granted or refreshed. */
export function lockAnswerBody(xml: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:prop xmlns:D="DAV:"><D:lockdiscovery>${xml}</D:lockdiscovery></D:prop>`;
}
