/**
 * If-Match and If-None-Match (RFC 9110 §13.1.1, §13.1.2) and the entity-tag
 * comparison functions (RFC 9110 §8.8.3.2):
 *
 * ```
 * If-Match      = "*" / #entity-tag
 * If-None-Match = "*" / #entity-tag
 * entity-tag    = [ weak ] opaque-tag
 * weak          = %s"W/"                      ; case-sensitive
 * opaque-tag    = DQUOTE *etagc DQUOTE
 * etagc         = %x21 / %x23-7E / obs-text   ; no space, no DQUOTE
 * #element      = [ element ] *( OWS "," OWS [ element ] )   ; RFC 9110 §5.6.1
 * ```
 *
 * Entity tags are kept as written (`"abc"`, `W/"abc"`), quotes included.
 */
import { badRequest } from '../protocol-error';

/** Bounds for a list header. */
export interface EtagListLimits {
  /** Longest header value accepted, in characters. */
  maxLength: number;
  /** Most entity tags accepted in one header. */
  maxTags: number;
}

export const DEFAULT_ETAG_LIST_LIMITS: Readonly<EtagListLimits> = Object.freeze({ maxLength: 8192, maxTags: 128 });

const ENTITY_TAG = /^(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/**
 * Parses an If-Match or If-None-Match value into `'*'` or its entity tags
 * (empty list elements are skipped, as RFC 9110 §5.6.1 requires).
 *
 * @throws ProtocolError `bad-request` for anything that is not that grammar
 *   (including `*` mixed with tags).
 * @example parseEtagList('"a", W/"b"') → ['"a"', 'W/"b"']; parseEtagList('*') → '*'
 */
export function parseEtagList(value: string, limits?: Partial<EtagListLimits>): '*' | string[] {
  const { maxLength, maxTags } = { ...DEFAULT_ETAG_LIST_LIMITS, ...limits };
  if (value.length > maxLength) throw badRequest(`davsync: entity-tag list longer than ${maxLength} characters`);
  const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (trimmed === '*') return '*';
  const tags: string[] = [];
  // No DQUOTE or comma can occur inside an opaque-tag, so splitting on commas is exact.
  for (const part of trimmed.split(',')) {
    const tag = part.replace(/^[ \t]+|[ \t]+$/g, '');
    if (tag === '') continue;
    if (!ENTITY_TAG.test(tag)) throw badRequest(`davsync: malformed entity-tag ${JSON.stringify(tag.slice(0, 40))}`);
    tags.push(tag);
    if (tags.length > maxTags) throw badRequest(`davsync: more than ${maxTags} entity-tags in one header`);
  }
  return tags;
}

/** True for a weak entity tag (`W/"…"`). */
export function isWeak(tag: string): boolean {
  return tag.startsWith('W/');
}

/**
 * RFC 9110 §8.8.3.2 strong comparison: both tags strong and character for
 * character equal. The comparison for writes (If-Match, the If header).
 */
export function strongMatch(a: string, b: string): boolean {
  return !isWeak(a) && !isWeak(b) && a === b;
}

/** RFC 9110 §8.8.3.2 weak comparison: the opaque-tags are equal, weakness ignored. */
export function weakMatch(a: string, b: string): boolean {
  return (isWeak(a) ? a.slice(2) : a) === (isWeak(b) ? b.slice(2) : b);
}

/**
 * The entity tags a resource currently answers to: its representation's
 * tag, or one per representation it may be sent as (a server that gzips
 * on the fly gives the gzip'd one a tag of its own; both name the same
 * content, so a client echoing either must match).
 */
export type CurrentEtags = string | readonly string[];

/** {@link strongMatch} against any of the current tags: the comparison If-Match and the If header share. */
export function strongMatchesCurrent(tag: string, current: CurrentEtags): boolean {
  return typeof current === 'string' ? strongMatch(tag, current) : current.some((c) => strongMatch(tag, c));
}

/** {@link weakMatch} against any of the current tags: If-None-Match's comparison. */
export function weakMatchesCurrent(tag: string, current: CurrentEtags): boolean {
  return typeof current === 'string' ? weakMatch(tag, current) : current.some((c) => weakMatch(tag, c));
}

/**
 * Evaluates If-Match (RFC 9110 §13.1.1): true when the request may proceed.
 * `current` is the selected resource's entity tag(s), `undefined` when
 * the resource does not exist. Absent header → true. The caller answers
 * false with 412.
 *
 * @example ifMatchPasses('"1"', '"1"') === true; ifMatchPasses('*', undefined) === false
 */
export function ifMatchPasses(header: string | undefined, current: CurrentEtags | undefined): boolean {
  if (header === undefined) return true;
  const list = parseEtagList(header);
  if (list === '*') return current !== undefined;
  return current !== undefined && list.some((tag) => strongMatchesCurrent(tag, current));
}

/**
 * Evaluates If-None-Match (RFC 9110 §13.1.2): true when the request may
 * proceed. The caller answers false with 304 for GET/HEAD, 412 otherwise.
 *
 * @example ifNoneMatchPasses('*', undefined) === true // create-only PUT
 */
export function ifNoneMatchPasses(header: string | undefined, current: CurrentEtags | undefined): boolean {
  if (header === undefined) return true;
  const list = parseEtagList(header);
  if (list === '*') return current === undefined;
  return current === undefined || !list.some((tag) => weakMatchesCurrent(tag, current));
}
