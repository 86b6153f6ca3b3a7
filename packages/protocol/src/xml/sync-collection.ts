/**
 * The `DAV:sync-collection` REPORT body (RFC 6578 §3.2, §6.1):
 *
 * ```
 * <!ELEMENT sync-collection (sync-token, sync-level, limit?, prop)>
 * <!ELEMENT sync-token CDATA>     <!-- §6.2: empty on the first sync, else a URI -->
 * <!ELEMENT sync-level CDATA>     <!-- §6.3: "1" or "infinite" -->
 * <!ELEMENT limit (nresults)>     <!-- RFC 5323 §5.17 -->
 * <!ELEMENT nresults (#PCDATA)>   <!-- a positive integer -->
 * ```
 *
 * Decisions, all in the direction of "a sync never silently goes wrong":
 * - Text is trimmed of XML white space only, so a pretty-printed
 *   `<D:sync-token>\n  http://…\n</D:sync-token>` works; a token that is
 *   empty after trimming is the initial sync (§3.8), never an error (Cyrus
 *   got this wrong).
 * - `sync-token` is required (the RFC says MUST contain); a body without it
 *   is probably a namespace mistake, and a silent full sync would hide it.
 *   Its value is not checked here beyond being text: whether it is a token
 *   of this collection is the engine's call, answered with 403
 *   `DAV:valid-sync-token`, not 400.
 * - `sync-level` absent → `level: undefined`, and the caller uses the Depth
 *   header instead (Appendix A, for clients of older drafts). Present, it
 *   must be exactly `1` or `infinite` (case-sensitive, as written in §6.3).
 * - `limit`/`nresults` must be an unsigned decimal integer up to 2^31. Zero
 *   is well-formed but cannot be honoured (no page could make progress): the
 *   engine fails it with 507 `number-of-matches-within-limits` (§3.7).
 * - `DAV:prop` is what §6.1 requires. `DAV:allprop` and `DAV:propname` are
 *   also accepted, as in PROPFIND: not in the RFC, but they have exactly one
 *   sensible meaning, and the property selection is shared with PROPFIND
 *   anyway. A body with none of the three is a 400.
 * - Unknown elements anywhere are ignored (RFC 4918 §17); a duplicated
 *   known element is a 400, since we could only guess which one was meant.
 */
import type { z } from 'zod';
import { lazily, lazySchema } from './lazy-schema';
import { ProtocolError, badRequest } from '../protocol-error';
import { DAV } from './names';
import { childrenNamed, trimXmlSpace, type XmlElement } from './reader';
import { propRequestSchemaOf, readPropRequest, type PropRequest } from './propfind';

/** RFC 6578 §3.2: a parsed `DAV:sync-collection` request. */
export interface SyncCollectionRequest {
  /** The client's token; `null` for an initial sync (empty `sync-token`, §3.8). */
  token: string | null;
  /** RFC 6578 §3.3; `undefined` when absent: use the Depth header (Appendix A). */
  level: 1 | 'infinite' | undefined;
  /** RFC 6578 §3.7: the most responses the client wants; absent when it set no limit. */
  limit?: number;
  /** The properties to report for each changed member (RFC 6578 §6.1: `DAV:prop`). */
  props: PropRequest;
}

/** Largest `nresults` accepted; larger is not a limit anyone means. */
export const MAX_NRESULTS = 2 ** 31;

/** zod schema of {@link SyncCollectionRequest} without `props`, built at first use (see lazy-schema.ts). */
const envelopeSchemaOf = lazily((z) =>
  z.object({
    token: z.string().min(1).nullable(),
    level: z.union([z.literal(1), z.literal('infinite')]).optional(),
    limit: z.number().int().min(0).max(MAX_NRESULTS).optional(),
  }),
);
/** zod schema of {@link SyncCollectionRequest}. */
const syncCollectionRequestSchemaOf = lazily(() => envelopeSchemaOf().extend({ props: propRequestSchemaOf() }).strict() as z.ZodType<SyncCollectionRequest>);
/**
 * What {@link parseSyncCollection} checks of the request it built: `props`
 * was checked by `readPropRequest` as it was read (checking it twice cost
 * a few microseconds of every sync REPORT).
 */
const builtRequestSchemaOf = lazily((z) => envelopeSchemaOf().extend({ props: z.unknown() }).strict());
/** The same schema, for callers outside this package. */
export const syncCollectionRequestSchema: z.ZodType<SyncCollectionRequest> = lazySchema(syncCollectionRequestSchemaOf);

/**
 * Reads a REPORT body as a `DAV:sync-collection` request.
 *
 * @throws ProtocolError `supported-report` when the root is not
 *   `{DAV:}sync-collection` (RFC 3253 §3.6: an unsupported report is 403;
 *   a `sync-collection` in another namespace is another report);
 *   `bad-request` for a malformed body.
 * @example parseSyncCollection(await parseXml(req)) // → { token: null, level: 1, props: { kind: 'prop', names: ['{DAV:}getetag'] } }
 */
export function parseSyncCollection(root: XmlElement): SyncCollectionRequest {
  if (root.name !== DAV.syncCollection) {
    throw new ProtocolError('supported-report', `davsync: REPORT ${root.name} is not supported here`);
  }
  const tokenEl = single(root, DAV.syncToken);
  if (tokenEl === undefined) {
    throw badRequest('davsync: DAV:sync-collection must contain DAV:sync-token (empty for an initial sync)');
  }
  const props = readPropRequest(root, 'DAV:sync-collection');
  if (props === undefined) throw badRequest('davsync: DAV:sync-collection must contain DAV:prop');

  const token = textOf(tokenEl, 'DAV:sync-token');
  const request: SyncCollectionRequest = { token: token === '' ? null : token, level: readLevel(root), props };
  const limit = readLimit(root);
  if (limit !== undefined) request.limit = limit;

  const checked = builtRequestSchemaOf().safeParse(request);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw badRequest(`davsync: invalid DAV:sync-collection: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`);
  }
  return request;
}

function readLevel(root: XmlElement): 1 | 'infinite' | undefined {
  const el = single(root, DAV.syncLevel);
  if (el === undefined) return undefined;
  const text = textOf(el, 'DAV:sync-level');
  if (text === '1') return 1;
  if (text === 'infinite') return 'infinite';
  throw badRequest(`davsync: DAV:sync-level must be "1" or "infinite", not ${JSON.stringify(text.slice(0, 40))}`);
}

function readLimit(root: XmlElement): number | undefined {
  const limit = single(root, DAV.limit);
  if (limit === undefined) return undefined;
  const nresults = single(limit, DAV.nresults);
  if (nresults === undefined) throw badRequest('davsync: DAV:limit must contain DAV:nresults');
  const text = textOf(nresults, 'DAV:nresults');
  if (!/^[0-9]+$/.test(text)) {
    throw badRequest(`davsync: DAV:nresults must be an unsigned integer, not ${JSON.stringify(text.slice(0, 40))}`);
  }
  const n = Number(text);
  if (n > MAX_NRESULTS) throw badRequest(`davsync: DAV:nresults must be at most ${MAX_NRESULTS}`);
  return n;
}

/** The only child with this name; two of them are a 400. */
function single(parent: XmlElement, name: string): XmlElement | undefined {
  const found = childrenNamed(parent, name);
  if (found.length > 1) throw badRequest(`davsync: more than one ${name} in ${parent.name}`);
  return found[0];
}

/** The trimmed text of an element that may hold only text. */
function textOf(el: XmlElement, what: string): string {
  if (el.children.length > 0) throw badRequest(`davsync: ${what} must contain only text`);
  return trimXmlSpace(el.text);
}
