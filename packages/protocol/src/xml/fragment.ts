/**
 * Writing response elements from a plain model, as strings.
 *
 * davsync writes XML itself rather than through a DOM builder: a sync of
 * 100 000 members is 100 000 small, regular elements, and building each one
 * as a document fragment cost about 26 µs against about 1 µs as a string
 * (see docs/architecture.md). Every piece of character data and every
 * attribute value goes through {@link xmlText} / {@link xmlAttr}, and every
 * name through the NCName check, so the output is always well-formed.
 *
 * Prefix policy (shared by the multistatus writer and the error body):
 * `DAV:` is always `D`, declared once on the document element; every other
 * namespace gets a prefix that stays the same for the whole document and is
 * declared on the outermost element of a fragment that uses it. No default
 * namespace is ever declared, so a name in no namespace is written bare and
 * stored dead-property fragments keep their meaning wherever they are pasted.
 */
import { DAV_NS, PREFERRED_PREFIXES, XML_NS, splitClark } from './names';

/**
 * An element to write: the plain model of a live property's value or of a
 * `DAV:error` condition with content.
 *
 * @example { name: '{DAV:}resourcetype', children: [{ name: '{DAV:}collection' }] }
 */
export interface XmlNode {
  /** Clark name. */
  readonly name: string;
  /** Attributes by Clark name. */
  readonly attrs?: Readonly<Record<string, string>>;
  /** Character data, written before the children. */
  readonly text?: string;
  readonly children?: readonly XmlNode[];
}

/** Characters XML 1.0 cannot carry at all (§2.2 `Char`), lone surrogates included. */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Character data that {@link xmlText} leaves as it is: XML characters other than `&`, `<`, `>` and `\r`. */
const PLAIN_TEXT = /^[\t\n\x20-\x25\x27-\x3B\x3D\x3F-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/**
 * Escapes character data: `&`, `<` and `>`; `\r` as a reference so a
 * parser's line-end normalisation keeps it; characters XML cannot represent
 * become U+FFFD rather than a broken document.
 */
export function xmlText(s: string): string {
  if (PLAIN_TEXT.test(s)) return s; // the common case: nothing to escape or replace
  return s
    .replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'))
    .replace(NOT_XML_CHAR, '\uFFFD');
}

/** Like {@link xmlText}, for attribute values: `"`, tab and newline as references too. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/["\t\n]/g, (c) => (c === '"' ? '&quot;' : c === '\t' ? '&#9;' : '&#10;'));
}

/** XML Namespaces 1.0 NCName, restricted to what davsync's own names and parsed names contain (shared with `build.ts`). */
export const NCNAME = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*$/;

/** Hands out one stable prefix per namespace for a document. */
export class PrefixTable {
  private readonly byNs = new Map<string, string>();
  private next = 0;

  /** The prefix for `ns` (`D` for `DAV:`); `''` for no namespace. */
  prefixFor(ns: string): string {
    if (ns === '') return '';
    if (ns === XML_NS) return 'xml';
    let prefix = this.byNs.get(ns) ?? PREFERRED_PREFIXES.get(ns);
    if (prefix === undefined) prefix = `ns${this.next++}`;
    this.byNs.set(ns, prefix);
    return prefix;
  }
}

/** Namespaces already declared by an ancestor within the fragment being built. */
export type DeclaredNamespaces = ReadonlySet<string>;

/** The set every fragment starts from: `DAV:` is declared on the document element. */
export const DAV_DECLARED: DeclaredNamespaces = new Set([DAV_NS]);

/** The start of an element: its qualified name and the `<qname xmlns:…` head (without `>`). */
export interface ElementStart {
  readonly qname: string;
  readonly head: string;
  /** Namespaces in scope for its content. */
  readonly declared: DeclaredNamespaces;
}

/** Starts an element named by a Clark name, declaring its namespace when no ancestor in the fragment did. */
export function startElement(name: string, prefixes: PrefixTable, declared: DeclaredNamespaces): ElementStart {
  const { ns, local } = splitClark(name);
  if (!NCNAME.test(local)) throw new TypeError(`davsync: not an XML name: ${JSON.stringify(name)}`);
  const prefix = prefixes.prefixFor(ns);
  const qname = prefix === '' ? local : `${prefix}:${local}`;
  if (ns === '' || declared.has(ns)) return { qname, head: `<${qname}`, declared };
  return { qname, head: `<${qname} xmlns:${prefix}="${xmlAttr(ns)}"`, declared: new Set(declared).add(ns) };
}

/** A whole element around already-serialised content (empty content → `<x/>`). */
export function elementXml(name: string, prefixes: PrefixTable, declared: DeclaredNamespaces, content: string): string {
  const { qname, head } = startElement(name, prefixes, declared);
  return content === '' ? `${head}/>` : `${head}>${content}</${qname}>`;
}

/** Serialises a whole {@link XmlNode} tree. */
export function nodeXml(node: XmlNode, prefixes: PrefixTable, declared: DeclaredNamespaces): string {
  const start = startElement(node.name, prefixes, declared);
  let head = start.head;
  let scope = start.declared;
  for (const [name, value] of Object.entries(node.attrs ?? {})) {
    const { ns, local } = splitClark(name);
    if (!NCNAME.test(local)) throw new TypeError(`davsync: not an XML name: ${JSON.stringify(name)}`);
    if (ns === '') {
      head += ` ${local}="${xmlAttr(value)}"`;
      continue;
    }
    const prefix = prefixes.prefixFor(ns);
    if (ns !== XML_NS && !scope.has(ns)) {
      head += ` xmlns:${prefix}="${xmlAttr(ns)}"`;
      scope = new Set(scope).add(ns);
    }
    head += ` ${prefix}:${local}="${xmlAttr(value)}"`;
  }
  let content = node.text === undefined ? '' : xmlText(node.text);
  for (const child of node.children ?? []) content += nodeXml(child, prefixes, scope);
  return content === '' ? `${head}/>` : `${head}>${content}</${start.qname}>`;
}
