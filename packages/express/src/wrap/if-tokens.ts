/**
 * Sync tokens in the If header, in wrap mode (RFC 6578 §5, RFC 4918 §10.4).
 *
 * The host owns the other conditions an If header can hold (lock tokens,
 * ETags): davsync decides only its own sync tokens, with three-valued
 * logic. A condition on a davsync token is true or false; any other
 * condition is unknown. A list (AND) is false when one of its conditions
 * is false; the header (OR) is false when every list is false, and only
 * then does davsync answer 412 itself, before the host sees the request.
 *
 * Otherwise the host gets the header with davsync's part already decided,
 * because a host that evaluates If headers would take our tokens for lock
 * tokens it does not know, and fail requests that must succeed: lists
 * made false by a sync token are dropped, satisfied sync-token conditions
 * are removed, and a list left empty becomes `(Not <DAV:no-lock>)`, which
 * RFC 4918 §10.4.8 makes always true. The rewritten header is true for the
 * host exactly when the original one is, and still submits every lock
 * token the client sent.
 */
import { SYNC_TOKEN_PREFIX } from '@davsync/core';
import { NO_LOCK_TOKEN, type IfCondition, type IfHeader, type IfList } from '@davsync/protocol';

/** True for a state token davsync issued (or could have): a sync token. */
export const isSyncToken = (token: string): boolean => token.startsWith(SYNC_TOKEN_PREFIX);

/** Whether a header value can name a davsync token at all (cheap pre-check before parsing). */
export const mentionsSyncToken = (value: string): boolean => value.includes(SYNC_TOKEN_PREFIX);

/**
 * The resources whose sync tokens the header names: a tagged list's
 * resource as written, or `''` for the request resource.
 */
export function syncTokenResources(header: IfHeader): string[] {
  const out = new Set<string>();
  for (const list of header.lists) {
    if (list.conditions.some((c) => c.kind === 'token' && isSyncToken(c.token))) out.add(list.resource ?? '');
  }
  return [...out];
}

export interface SyncTokenVerdict {
  /** False: the header is false whatever the other conditions say (answer 412). */
  readonly pass: boolean;
  /** What is left for the host when `pass` (equivalent to the original for it). */
  readonly remaining: IfHeader;
}

/**
 * Decides the sync-token conditions. `isCurrent(resource, token)` gets the
 * resource as in {@link syncTokenResources}.
 */
export async function decideSyncTokens(
  header: IfHeader,
  isCurrent: (resource: string, token: string) => Promise<boolean>,
): Promise<SyncTokenVerdict> {
  const lists: IfList[] = [];
  for (const list of header.lists) {
    const kept: IfCondition[] = [];
    let falseList = false;
    for (const condition of list.conditions) {
      if (condition.kind !== 'token' || !isSyncToken(condition.token)) {
        kept.push(condition);
        continue;
      }
      const current = await isCurrent(list.resource ?? '', condition.token);
      if (current === condition.not) {
        falseList = true;
        break;
      }
    }
    if (falseList) continue;
    const conditions = kept.length > 0 ? kept : [{ not: true, kind: 'token' as const, token: NO_LOCK_TOKEN }];
    lists.push(list.resource === undefined ? { conditions } : { resource: list.resource, conditions });
  }
  return { pass: lists.length > 0, remaining: { lists } };
}

/**
 * Writes a parsed If header back in RFC 4918 §10.4 syntax.
 *
 * @example formatIf(parseIf('</a> (Not <urn:x> ["e"])')) === '</a> (Not <urn:x> ["e"])'
 */
export function formatIf(header: IfHeader): string {
  const parts: string[] = [];
  let resource: string | undefined;
  for (const list of header.lists) {
    if (list.resource !== undefined && list.resource !== resource) {
      parts.push(`<${list.resource}>`);
      resource = list.resource;
    }
    const conditions = list.conditions.map((c) => (c.not ? 'Not ' : '') + (c.kind === 'token' ? `<${c.token}>` : `[${c.etag}]`));
    parts.push(`(${conditions.join(' ')})`);
  }
  return parts.join(' ');
}
