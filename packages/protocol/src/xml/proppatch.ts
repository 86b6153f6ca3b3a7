/**
 * PROPPATCH request bodies (RFC 4918 §9.2, §14.19, §14.23, §14.26):
 *
 * ```
 * <!ELEMENT propertyupdate (remove | set)+ >
 * <!ELEMENT set (prop) >
 * <!ELEMENT remove (prop) >
 * ```
 *
 * Stored value form: a `set` carries the **whole property element**,
 * serialised as a standalone XML fragment (see `serialize.ts`), e.g.
 * `<R:author xmlns:D="DAV:" xmlns:R="urn:x" xml:lang="en"><R:name>Jo</R:name></R:author>`.
 * That keeps everything RFC 4918 §4.3–§4.4 asks a server to preserve
 * (attributes, `xml:lang` including an inherited one, mixed content, nested
 * elements in any namespace, and the namespace bindings in scope), and the
 * multistatus writer can paste it back verbatim without re-parsing.
 * Comments and processing instructions inside a value are not kept.
 */
import type { z } from 'zod';
import { lazily, lazySchema } from './lazy-schema';
import { badRequest } from '../protocol-error';
import { DAV } from './names';
import { childrenNamed, type XmlElement } from './reader';
import { serializeElement } from './serialize';

/** RFC 4918 §9.2: one instruction, in document order (they MUST be applied in that order). */
export type PropPatchOp =
  /** Set `name` (Clark) to `value`: the property element serialised, see the module comment. */
  | { op: 'set'; name: string; value: string }
  /** Remove `name` (Clark); removing a property that does not exist is not an error (§14.23). */
  | { op: 'remove'; name: string };

/** zod schema of a PROPPATCH instruction list, built at first use (see lazy-schema.ts). */
const propPatchSchemaOf = lazily(
  (z) =>
    z
      .array(
        z.discriminatedUnion('op', [
          z.object({ op: z.literal('set'), name: z.string().min(1), value: z.string().min(1) }).strict(),
          z.object({ op: z.literal('remove'), name: z.string().min(1) }).strict(),
        ]),
      )
      .min(1) as z.ZodType<PropPatchOp[]>,
);
/** The same schema, for callers outside this package. */
export const propPatchSchema: z.ZodType<PropPatchOp[]> = lazySchema(propPatchSchemaOf);

/**
 * Reads a PROPPATCH body into its ordered instructions.
 *
 * @throws ProtocolError `bad-request` when the root is not `DAV:propertyupdate`,
 *   a `set`/`remove` has no `DAV:prop`, or there is no instruction at all.
 * @example parsePropPatch(await parseXml(req)) // → [{ op: 'set', name: '{urn:x}author', value: '<R:author …>…</R:author>' }]
 */
export function parsePropPatch(root: XmlElement): PropPatchOp[] {
  if (root.name !== DAV.propertyupdate) {
    throw badRequest(`davsync: PROPPATCH body must be DAV:propertyupdate, not ${root.name}`);
  }
  const ops: PropPatchOp[] = [];
  for (const instruction of root.children) {
    const op = instruction.name === DAV.set ? 'set' : instruction.name === DAV.remove ? 'remove' : undefined;
    if (op === undefined) continue; // RFC 4918 §17: ignore what we do not know
    const props = childrenNamed(instruction, DAV.prop);
    if (props.length === 0) throw badRequest(`davsync: DAV:${op} must contain DAV:prop`);
    for (const prop of props) {
      for (const property of prop.children) {
        ops.push(op === 'set' ? { op, name: property.name, value: serializeElement(property) } : { op, name: property.name });
      }
    }
  }
  const checked = propPatchSchemaOf().safeParse(ops);
  if (!checked.success) throw badRequest('davsync: DAV:propertyupdate must set or remove at least one property');
  return checked.data;
}
