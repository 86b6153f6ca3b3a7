/**
 * `DAV:error` bodies: the precondition/postcondition codes of RFC 4918 §16,
 * RFC 3253 §1.6 and RFC 6578 §3.2, e.g.
 * `<D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>`.
 *
 * A whole body is built with xmlbuilder2 (`build.ts`): one per refused
 * request, off the per-member path. A `DAV:error` inside a multistatus
 * response ({@link errorXml}) is part of the streamed document and goes
 * through the string writer like the rest of it.
 */
import { buildXml } from './build';
import { PrefixTable, nodeXml, type DeclaredNamespaces, type XmlNode } from './fragment';
import { DAV } from './names';

/**
 * One condition: a Clark name for the usual empty element
 * (`'{DAV:}valid-sync-token'`), or an element with content, such as
 * `DAV:lock-token-submitted` listing the hrefs (RFC 4918 §16).
 */
export type ErrorCondition = string | XmlNode;

/**
 * A complete `DAV:error` response body (RFC 4918 §8.7, §14.5) for one or
 * more conditions, with XML declaration.
 *
 * @example errorBody(DAV.validSyncToken) // 403 body for a stale sync token (RFC 6578 §3.2)
 */
export function errorBody(conditions: ErrorCondition | readonly ErrorCondition[]): string {
  const list = toList(conditions);
  if (list.length === 0) throw new TypeError('davsync: a DAV:error body needs at least one condition');
  return buildXml({ name: DAV.error, children: list.map((c) => (typeof c === 'string' ? { name: c } : c)) });
}

/** A `DAV:error` element (inside a `response` or `propstat`, where `D` is declared). */
export function errorXml(conditions: readonly ErrorCondition[], prefixes: PrefixTable, declared: DeclaredNamespaces): string {
  return `<D:error>${conditions.map((c) => conditionXml(c, prefixes, declared)).join('')}</D:error>`;
}

function conditionXml(condition: ErrorCondition, prefixes: PrefixTable, declared: DeclaredNamespaces): string {
  return nodeXml(typeof condition === 'string' ? { name: condition } : condition, prefixes, declared);
}

function toList(conditions: ErrorCondition | readonly ErrorCondition[]): readonly ErrorCondition[] {
  return typeof conditions === 'string' || !Array.isArray(conditions) ? [conditions as ErrorCondition] : conditions;
}
