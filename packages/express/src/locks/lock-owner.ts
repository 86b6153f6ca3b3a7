/**
 * A lock's owner as words for people (the collection page): the text of
 * the client's `DAV:owner` XML — `mailto:ann@example.com` out of
 * `<D:owner><D:href>mailto:ann@example.com</D:href></D:owner>`, Windows'
 * `DESKTOP-7Q2M\ann` — or, when the owner says nothing, the principal that
 * took the lock. The result is plain text, for the caller to escape.
 */
import type { ActiveLock } from '@davsync/core';
import { parseXml, type XmlElement } from '@davsync/protocol';

/** Longest label shown: an owner may be kilobytes of XML. */
const MAX_LABEL = 80;

// The reader keeps an element's own text apart from its children's, so mixed
// content reads own text first; owners are a name or an href in practice.
const textIn = (el: XmlElement): string => el.text + el.children.map(textIn).join('');

export async function ownerLabel(lock: Pick<ActiveLock, 'owner' | 'principal'>): Promise<string | undefined> {
  let text = '';
  if (lock.owner !== undefined) {
    try {
      text = textIn(await parseXml(lock.owner)).replace(/\s+/g, ' ').trim();
    } catch {
      text = ''; // stored as the client sent it; unreadable is as good as absent here
    }
  }
  const label = text !== '' ? text : lock.principal;
  return label === undefined || label.length <= MAX_LABEL ? label : `${label.slice(0, MAX_LABEL - 1)}…`;
}
