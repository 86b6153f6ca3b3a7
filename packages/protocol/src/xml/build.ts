/**
 * Whole small documents through xmlbuilder2: `DAV:error` bodies, the request
 * bodies a client sends (`sync-collection`, `PROPFIND`), and the bodies still
 * to come (LOCK answers, push messages). Off the per-member path, where a
 * readable tree matters more than microseconds; the multistatus a listing or
 * a sync streams stays a string writer (`multistatus.ts`, figures in
 * docs/architecture.md, "XML writing").
 *
 * The same rules as the string writer (`fragment.ts`), so both write the same
 * dialect:
 * - `DAV:` is always `D`, CalDAV `C`, CardDAV `CR`, any other namespace
 *   `ns0`, `ns1`… stable for the document; xmlbuilder2 declares a prefix on
 *   the outermost element that uses it. No default namespace is declared.
 * - Every name is checked as an NCName.
 * - Text and attribute values are escaped here, as character references
 *   (`&#38;` `&#60;` `&#62;`, `&#13;` for a carriage return; `&#34;` `&#9;`
 *   `&#10;` in attributes), and characters XML cannot carry become U+FFFD.
 *   xmlbuilder2 alone would not do: it leaves `&name;` and `&#…;` in text
 *   as they are (its `nonEntityAmpersandRegex`), so a token such as
 *   `a&amp;b` would reach the server as `a&b`. It leaves references alone,
 *   which is what lets them through unchanged.
 *
 * xmlbuilder2 takes 70–150 ms to load, so it is required on the first call,
 * not when the package is loaded: `davsync serve` and every server start
 * without it, and only the first error answer or request body pays.
 */
import type * as xmlbuilder2 from 'xmlbuilder2';
import { NCNAME, PrefixTable, type XmlNode } from './fragment';
import { XML_NS, splitClark } from './names';

type Builder = ReturnType<typeof xmlbuilder2.fragment>;

/** `<?xml version="1.0" encoding="utf-8"?>`, as the multistatus writer starts too. */
export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

let loaded: typeof xmlbuilder2 | undefined;
function lib(): typeof xmlbuilder2 {
  loaded ??= require('xmlbuilder2') as typeof xmlbuilder2;
  return loaded;
}

/** Characters XML 1.0 cannot carry at all (§2.2 `Char`), lone surrogates included. */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const TEXT_REFS: Readonly<Record<string, string>> = { '&': '&#38;', '<': '&#60;', '>': '&#62;', '\r': '&#13;' };
const ATTR_REFS: Readonly<Record<string, string>> = { ...TEXT_REFS, '"': '&#34;', '\t': '&#9;', '\n': '&#10;' };

/** Character data as xmlbuilder2 must be given it: every markup character already a reference. */
export function textRefs(s: string): string {
  return s.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>\r]/g, (c) => TEXT_REFS[c] as string);
}

/** An attribute value as xmlbuilder2 must be given it (see {@link textRefs}). */
export function attrRefs(s: string): string {
  return s.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>\r"\t\n]/g, (c) => ATTR_REFS[c] as string);
}

function checkName(name: string, local: string): void {
  if (!NCNAME.test(local)) throw new TypeError(`davsync: not an XML name: ${JSON.stringify(name)}`);
}

function qualified(name: string, prefixes: PrefixTable): { ns: string; qname: string } {
  const { ns, local } = splitClark(name);
  checkName(name, local);
  const prefix = prefixes.prefixFor(ns);
  return { ns, qname: prefix === '' ? local : `${prefix}:${local}` };
}

function add(parent: Builder, node: XmlNode, prefixes: PrefixTable): void {
  const { ns, qname } = qualified(node.name, prefixes);
  const el = parent.ele(ns === '' ? null : ns, qname);
  for (const [name, value] of Object.entries(node.attrs ?? {})) {
    const attr = splitClark(name);
    checkName(name, attr.local);
    if (attr.ns === '') el.att(attr.local, attrRefs(value));
    else el.att(attr.ns, attr.ns === XML_NS ? `xml:${attr.local}` : `${prefixes.prefixFor(attr.ns)}:${attr.local}`, attrRefs(value));
  }
  if (node.text !== undefined && node.text !== '') el.txt(textRefs(node.text));
  for (const child of node.children ?? []) add(el, child, prefixes);
}

/**
 * A whole document from an {@link XmlNode} tree (Clark names), with the XML
 * declaration unless `declaration: false`. No white space is added.
 *
 * @example
 * buildXml({ name: '{DAV:}error', children: [{ name: '{DAV:}valid-sync-token' }] })
 * // '<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>'
 */
export function buildXml(root: XmlNode, options: { declaration?: boolean } = {}): string {
  const doc = lib().fragment();
  add(doc, root, new PrefixTable());
  const xml = doc.end({ prettyPrint: false });
  return options.declaration === false ? xml : XML_DECLARATION + xml;
}
