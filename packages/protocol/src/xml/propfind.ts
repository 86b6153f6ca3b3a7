/**
 * PROPFIND request bodies (RFC 4918 §9.1, §14.20):
 *
 * ```
 * <!ELEMENT propfind ( propname | (allprop, include?) | prop ) >
 * <!ELEMENT include ANY >   <!-- RFC 4918 §14.8: property names -->
 * <!ELEMENT prop ANY >      <!-- RFC 4918 §14.18: property names -->
 * ```
 *
 * The same choice appears in `DAV:sync-collection` (see `sync-collection.ts`),
 * so both share {@link PropRequest} and {@link readPropRequest}.
 */
import type { z } from 'zod';
import { lazily, lazySchema } from './lazy-schema';
import { badRequest } from '../protocol-error';
import { DAV } from './names';
import { childrenNamed, type XmlElement } from './reader';

/** RFC 4918 §14.20: which properties a request asks for. Names are Clark names. */
export type PropRequest =
  /** RFC 4918 §14.2, §14.8: all dead and the allprop live properties, plus `include`d ones. */
  | { kind: 'allprop'; include: string[] }
  /** RFC 4918 §14.21: names only, no values. */
  | { kind: 'propname' }
  /** RFC 4918 §14.18: exactly these (duplicates dropped, first occurrence kept). */
  | { kind: 'prop'; names: string[] };

/** zod schema of {@link PropRequest}: the model is checked once it is built, not trusted. Built at first use (see lazy-schema.ts). */
export const propRequestSchemaOf = lazily((z) => {
  const clarkName = z.string().min(1);
  return z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('allprop'), include: z.array(clarkName) }).strict(),
    z.object({ kind: z.literal('propname') }).strict(),
    z.object({ kind: z.literal('prop'), names: z.array(clarkName) }).strict(),
  ]);
});
/** The same schema, for callers outside this package. */
export const propRequestSchema: z.ZodType<PropRequest> = lazySchema(() => propRequestSchemaOf() as z.ZodType<PropRequest>);

/**
 * Reads a PROPFIND body; `undefined` (an empty body) means allprop
 * (RFC 4918 §9.1: "A client may choose not to submit a request body. An
 * empty PROPFIND request body MUST be treated as if it were an 'allprop'
 * request.").
 *
 * @throws ProtocolError `bad-request` when the root is not `DAV:propfind` or it
 *   holds none, or more than one, of `prop`/`allprop`/`propname`.
 * @example parsePropfind(await parseXmlIfPresent(req)) // → { kind: 'prop', names: ['{DAV:}getetag'] }
 */
export function parsePropfind(root: XmlElement | undefined): PropRequest {
  if (root === undefined) return { kind: 'allprop', include: [] };
  if (root.name !== DAV.propfind) throw badRequest(`davsync: PROPFIND body must be DAV:propfind, not ${root.name}`);
  const request = readPropRequest(root, 'DAV:propfind');
  if (request === undefined) throw badRequest('davsync: DAV:propfind must contain DAV:prop, DAV:allprop or DAV:propname');
  return request;
}

/**
 * Reads the `prop | allprop | propname` choice among `parent`'s children;
 * `undefined` when none is present (the caller decides whether that is an
 * error). Other children are ignored (RFC 4918 §17: unknown elements MUST be
 * ignored); `include` counts only next to `allprop`.
 */
export function readPropRequest(parent: XmlElement, what: string): PropRequest | undefined {
  const choices = parent.children.filter((c) => c.name === DAV.prop || c.name === DAV.allprop || c.name === DAV.propname);
  if (choices.length > 1) {
    throw badRequest(`davsync: ${what} must contain only one of DAV:prop, DAV:allprop, DAV:propname`);
  }
  const choice = choices[0];
  if (choice === undefined) return undefined;
  let request: PropRequest;
  if (choice.name === DAV.prop) {
    request = { kind: 'prop', names: uniqueNames(choice.children) };
  } else if (choice.name === DAV.propname) {
    request = { kind: 'propname' };
  } else {
    request = { kind: 'allprop', include: uniqueNames(childrenNamed(parent, DAV.include).flatMap((inc) => inc.children)) };
  }
  const checked = propRequestSchemaOf().safeParse(request);
  if (!checked.success) throw badRequest(`davsync: invalid ${what}: ${checked.error.issues[0]?.message ?? 'bad property list'}`);
  return checked.data;
}

function uniqueNames(elements: readonly XmlElement[]): string[] {
  return [...new Set(elements.map((e) => e.name))];
}
