/**
 * Writes a parsed element back out as a standalone XML fragment: the form in
 * which davsync stores a dead property's value (see `proppatch.ts`).
 *
 * The fragment must mean the same thing wherever it is later pasted, so the
 * root carries every namespace binding that was in scope in the request
 * (not only the ones its names use: a value may hold QNames in text or
 * attributes) and the inherited `xml:lang`, which RFC 4918 §4.3 requires a
 * server to keep with the property. Prefixes are kept as written.
 */
import type { XmlElement } from './reader';
import { xmlAttr, xmlText } from './fragment';
import { XML_LANG, XML_NS, splitClark } from './names';

/**
 * Serialises `el` and its content as a self-contained fragment.
 *
 * @example serializeElement(bigbox) === '<R:bigbox xmlns:D="DAV:" xmlns:R="urn:x"><R:BoxType>A</R:BoxType></R:bigbox>'
 */
export function serializeElement(el: XmlElement): string {
  const rootDecls: Record<string, string> = Object.create(null) as Record<string, string>; // a prefix may be `__proto__`
  for (const prefix in el.scope) {
    const uri = el.scope[prefix] as string;
    // `xmlns=""` only undoes an outer default; a fragment has no outside.
    if (prefix !== '' || uri !== '') rootDecls[prefix] = uri;
  }
  const out: string[] = [];
  write(el, new Map(), rootDecls, out, true);
  return out.join('');
}

function write(
  el: XmlElement,
  outer: ReadonlyMap<string, string>,
  decls: Readonly<Record<string, string>>,
  out: string[],
  isRoot: boolean,
): void {
  const scope = new Map(outer);
  const attrs: string[] = [];
  const declare = (prefix: string, uri: string): void => {
    scope.set(prefix, uri);
    attrs.push(` ${prefix === '' ? 'xmlns' : `xmlns:${prefix}`}="${xmlAttr(uri)}"`);
  };
  for (const [prefix, uri] of Object.entries(decls)) declare(prefix, uri);

  // Self-correcting: whatever the declarations say, the element's own
  // name must resolve to its namespace in the output.
  const { ns, local } = splitClark(el.name);
  const prefix = ns === '' ? '' : el.prefix;
  if ((scope.get(prefix) ?? '') !== ns) declare(prefix, ns);

  for (const [name, value] of Object.entries(el.attrs)) {
    attrs.push(` ${attributeQName(name, scope, declare)}="${xmlAttr(value)}"`);
  }
  if (isRoot && el.lang !== undefined && el.attrs[XML_LANG] === undefined) {
    attrs.push(` xml:lang="${xmlAttr(el.lang)}"`);
  }

  const qname = prefix === '' ? local : `${prefix}:${local}`;
  if (el.content.length === 0) {
    out.push(`<${qname}${attrs.join('')}/>`);
    return;
  }
  out.push(`<${qname}${attrs.join('')}>`);
  for (const item of el.content) {
    if (typeof item === 'string') out.push(xmlText(item));
    else write(item, scope, item.namespaces, out, false);
  }
  out.push(`</${qname}>`);
}

function attributeQName(
  name: string,
  scope: ReadonlyMap<string, string>,
  declare: (prefix: string, uri: string) => void,
): string {
  const { ns, local } = splitClark(name);
  if (ns === '') return local;
  if (ns === XML_NS) return `xml:${local}`;
  // Attributes never take the default namespace: find a real prefix.
  for (const [prefix, uri] of scope) if (prefix !== '' && uri === ns) return `${prefix}:${local}`;
  let n = 0;
  while (scope.has(`a${n}`)) n++;
  declare(`a${n}`, ns);
  return `a${n}:${local}`;
}
