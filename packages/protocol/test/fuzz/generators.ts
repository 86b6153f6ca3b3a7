/**
 * Generators shared by the fuzz tests: well-formed XML trees built from DAV
 * names and random names, namespaces, attributes and text (written with a
 * tiny serialiser that tracks namespace scope, so the unmutated document is
 * always well-formed and means exactly the tree it came from), random
 * mutations of those documents, and the run count.
 */
import fc from 'fast-check';
import type { IfCondition, IfHeader } from '../../src/headers/if';

/**
 * How many cases each property runs. `DAVSYNC_FUZZ_RUNS` sets it (the long
 * run, `npm run test:fuzz:long`, uses 100 000); the CI default keeps both
 * fuzz files well under a minute on 2 cores. `share` scales a property's
 * part of the budget (cheap properties run more, the HTTP ones fewer).
 */
export function fuzzRuns(share = 1): number {
  const raw = process.env['DAVSYNC_FUZZ_RUNS'];
  const base = raw === undefined || raw === '' ? DEFAULT_FUZZ_RUNS : Number(raw);
  if (!Number.isInteger(base) || base <= 0) throw new Error(`DAVSYNC_FUZZ_RUNS must be a positive integer, not ${JSON.stringify(raw)}`);
  return Math.max(1, Math.round(base * share));
}

/** CI sample per property (before `share`); measured in docs/security.md#fuzzing. */
export const DEFAULT_FUZZ_RUNS = 2000;

/** A jest timeout for a property with `share` of the runs: generous, since the long run takes minutes per property. */
export function fuzzTimeout(share = 1): number {
  return 30_000 + fuzzRuns(share) * 25;
}

/** fast-check parameters for a fuzz property: the run count, a fixed seed when `DAVSYNC_FUZZ_SEED` is set, and a per-case time limit (a hang fails). */
export function fuzzParams<T>(share = 1): fc.Parameters<T> {
  const seed = process.env['DAVSYNC_FUZZ_SEED'];
  return {
    numRuns: fuzzRuns(share),
    timeout: 5000,
    ...(seed === undefined || seed === '' ? {} : { seed: Number(seed) }),
  };
}

// --- The If header ----------------------------------------------------------------

/** A test-only printer for the If grammar: `space()` supplies the LWS between tokens. */
export function printIf(h: IfHeader, space: () => string = () => ' '): string {
  let out = '';
  let tag: string | undefined;
  for (const list of h.lists) {
    if (list.resource !== undefined && list.resource !== tag) {
      tag = list.resource;
      out += `${space()}<${tag}>`;
    }
    out += `${space()}(`;
    for (const c of list.conditions) {
      out += `${space()}${c.not ? `Not${space() || ' '}` : ''}${c.kind === 'token' ? `<${c.token}>` : `[${c.etag}]`}`;
    }
    out += `${space()})`;
  }
  return out + space();
}

export const lws = fc.constantFrom('', '', ' ', '  ', '\t', '\r\n ', '\n\t');
export const absoluteUri = fc
  .tuple(fc.constantFrom('urn', 'http', 'DAV', 'opaquelocktoken', 'x-y.z+w', 'https'), fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@/?[\]]{0,16}$/), fc.option(fc.stringMatching(/^%[0-9A-Fa-f]{2}$/), { nil: '' }))
  .map(([s, rest, pct]) => `${s}:${rest}${pct}`);
export const resourcePath = fc
  .tuple(fc.array(fc.stringMatching(/^([A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2}){1,6}$/), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.option(fc.stringMatching(/^[A-Za-z0-9=&/?]{0,6}$/), { nil: undefined }))
  .map(([segs, slash, q]) => `/${segs.join('/')}${slash ? '/' : ''}${q === undefined ? '' : `?${q}`}`);
export const entityTag = fc
  .tuple(fc.boolean(), fc.array(fc.oneof(fc.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e\t\x80-\xff]$/), fc.stringMatching(/^\\[\x00-\x7f]$/)), { maxLength: 10 }))
  .map(([weak, parts]) => `${weak ? 'W/' : ''}"${parts.join('')}"`);
export const ifCondition: fc.Arbitrary<IfCondition> = fc.oneof(
  fc.record({ not: fc.boolean(), kind: fc.constant('token' as const), token: fc.oneof(absoluteUri, fc.constant('DAV:no-lock')) }),
  fc.record({ not: fc.boolean(), kind: fc.constant('etag' as const), etag: entityTag }),
);
/** Valid headers: untagged or tagged lists; sometimes more lists or conditions than the default limits allow. */
export const validIf: fc.Arbitrary<IfHeader> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.array(ifCondition, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }).map((lists) => ({ lists: lists.map((conditions) => ({ conditions })) })) },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(resourcePath, absoluteUri), fc.array(fc.array(ifCondition, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 })
      .map((tags) => ({ lists: tags.flatMap(([resource, lists]) => lists.map((conditions) => ({ resource, conditions }))) })),
  },
  { weight: 1, arbitrary: fc.tuple(ifCondition, fc.integer({ min: 60, max: 70 })).map(([c, n]) => ({ lists: Array.from({ length: n }, () => ({ conditions: [c] })) })) },
  { weight: 1, arbitrary: fc.tuple(ifCondition, fc.integer({ min: 250, max: 260 })).map(([c, n]) => ({ lists: [{ conditions: Array.from({ length: n }, () => c) }] })) },
);
// --- Paths ---------------------------------------------------------------------

/** One byte, percent-encoded (either case) or, when it is safe to, written as itself. */
const byteSpelling = fc.tuple(fc.nat(255), fc.constantFrom('enc', 'ENC', 'raw')).map(([b, how]) => {
  if (how === 'raw' && b >= 0x21 && b < 0x7f) return String.fromCharCode(b);
  const hex = b.toString(16).padStart(2, '0');
  return `%${how === 'enc' ? hex : hex.toUpperCase()}`;
});
/** A path segment: percent-encoded bytes, dot and separator tricks, or any text. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(byteSpelling, { maxLength: 8 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.constantFrom('', '.', '..', '%2e', '%2E%2e', '.%2e', '%2f', '%5C', '%00', '%', '%g0', '%e2%82', '%c0%ae', '%ef%bf%bd', 'a?b', 'a#b', '\\', 'é', '%C3%A9') },
  { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
);

// --- XML trees ----------------------------------------------------------------

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const NAMESPACES = ['DAV:', 'DAV:', 'DAV:', 'urn:x', 'http://example.com/ns/', '', 'urn:é:ü'];
const ELEMENT_PREFIXES = ['', 'D', 'Z', 'a', 'ns0', '__proto__', 'constructor'];
const DAV_LOCALS = [
  'propfind', 'prop', 'allprop', 'propname', 'include', 'sync-collection', 'sync-token', 'sync-level', 'limit', 'nresults',
  'propertyupdate', 'set', 'remove', 'getetag', 'resourcetype', 'displayname', 'collection', 'href', 'multistatus',
];
const RANDOM_LOCALS = ['a', 'b', 'x-y', 'n.1', '_u', 'é', 'Ω-1', 'prop', 'set', 'getetag', 'sync-token', '__proto__', 'constructor', 'toString'];

export interface XmlText {
  readonly kind: 'text' | 'cdata' | 'comment' | 'pi';
  readonly value: string;
}

export interface XmlAttr {
  readonly ns: string;
  readonly local: string;
  readonly value: string;
}

export interface XmlNode {
  readonly kind: 'element';
  readonly ns: string;
  readonly local: string;
  /** Picks the prefix the element is written with (when it has a namespace). */
  readonly prefix: number;
  readonly attrs: readonly XmlAttr[];
  readonly content: ReadonlyArray<XmlNode | XmlText>;
}

/** A string of XML `Char`s only (XML 1.0 §2.2), so escaping alone keeps it well-formed. */
const XML_INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const xmlSafe = (s: string): string => s.replace(XML_INVALID, '?');

export const textValue: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
    { weight: 2, arbitrary: fc.constantFrom('', '1', 'infinite', '0', '10', '2147483648', '-1', ' 1 ', '\n infinite\t', 'http://davsync.dev/sync/1-2', 'urn:x', ']]>', '&', '<x>') },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', 'a', '<', '&', '"', "'", ']', '>', 'é', '🗼'), maxLength: 10 }) },
  )
  .map(xmlSafe);

const attr: fc.Arbitrary<XmlAttr> = fc.record({
  ns: fc.constantFrom('', '', 'urn:x', 'DAV:', XML_NS),
  local: fc.constantFrom('id', 'lang', 'x', 'é', 'space', 'b-c', '__proto__', 'constructor', 'hasOwnProperty'),
  value: textValue,
});

const textNode: fc.Arbitrary<XmlText> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('text' as const), value: textValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cdata' as const), value: textValue.map((t) => t.replace(/]]>/g, ']] >').replace(/\r\n?/g, '\n')) }) }, // XML 1.0 §2.11: line ends are normalised in CDATA too
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('comment' as const), value: textValue.map((t) => t.replace(/-/g, '_')) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pi' as const), value: textValue.map((t) => t.replace(/\?>/g, '? >')) }) },
);

const elementName = fc.oneof(
  { weight: 3, arbitrary: fc.record({ ns: fc.constant('DAV:'), local: fc.constantFrom(...DAV_LOCALS) }) },
  { weight: 2, arbitrary: fc.record({ ns: fc.constantFrom(...NAMESPACES), local: fc.constantFrom(...RANDOM_LOCALS, ...DAV_LOCALS) }) },
);

/** A random element tree of bounded size, in DAV and other namespaces. */
export const xmlTree: fc.Arbitrary<XmlNode> = fc.letrec<{ node: XmlNode }>((tie) => ({
  node: fc.record({
    kind: fc.constant('element' as const),
    ns: fc.constant(''),
    local: fc.constant(''),
    name: elementName,
    prefix: fc.nat(ELEMENT_PREFIXES.length - 1),
    attrs: fc.uniqueArray(attr, { maxLength: 3, selector: (a) => `${a.ns}|${a.local}` }),
    content: fc.array(fc.oneof({ depthSize: 'small', withCrossShrink: true }, textNode, tie('node')), { maxLength: 5 }),
  }).map(({ name, ...rest }) => ({ ...rest, ns: name.ns, local: name.local })),
})).node;

const el = (ns: string, local: string, content: ReadonlyArray<XmlNode | XmlText> = [], prefix = 1): XmlNode => ({ kind: 'element', ns, local, prefix, attrs: [], content });
const text = (value: string): XmlText => ({ kind: 'text', value });
const davEl = (local: string, content: ReadonlyArray<XmlNode | XmlText> = []): XmlNode => el('DAV:', local, content);

/** Random property elements: DAV names, others, with random content. */
const propElements = fc.array(xmlTree, { maxLength: 4 });

/** Documents shaped like the request bodies, with random parts: these reach deep into the body parsers. */
const propChoice: fc.Arbitrary<XmlNode[]> = fc.oneof(
  { weight: 4, arbitrary: propElements.map((ps) => [davEl('prop', ps)]) },
  { weight: 1, arbitrary: fc.constant<XmlNode[]>([davEl('allprop')]) },
  { weight: 1, arbitrary: propElements.map((ps) => [davEl('allprop'), davEl('include', ps)]) },
  { weight: 1, arbitrary: fc.constant<XmlNode[]>([davEl('propname')]) },
  { weight: 1, arbitrary: fc.constant<XmlNode[]>([]) },
  { weight: 1, arbitrary: fc.constant<XmlNode[]>([davEl('prop'), davEl('propname')]) },
);

export const syncCollectionDoc: fc.Arbitrary<XmlNode> = fc
  .record({
    token: fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('', ' \n') }, { weight: 1, arbitrary: textValue }, { weight: 1, arbitrary: fc.constant('http://davsync.dev/sync/abc-1') }), { nil: undefined, freq: 8 }),
    level: fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('1', 'infinite', ' infinite\n') }, { weight: 1, arbitrary: fc.constantFrom('INFINITE', '2', '', '0') }), { nil: undefined }),
    limit: fc.option(
      fc.oneof(fc.constantFrom('1', '0', '10', '2147483648', '2147483649', '99999999999999999999', '-1', 'x', ''), fc.integer({ min: 1, max: 1000 }).map(String)),
      { nil: undefined, freq: 2 },
    ),
    props: propChoice,
    extra: fc.oneof(fc.constant([]), fc.array(xmlTree, { maxLength: 2 })),
    order: fc.nat(),
  })
  .map(({ token, level, limit, props, extra, order }) => {
    const parts: XmlNode[] = [];
    if (token !== undefined) parts.push(davEl('sync-token', [text(token)]));
    if (level !== undefined) parts.push(davEl('sync-level', [text(level)]));
    if (limit !== undefined) parts.push(davEl('limit', [davEl('nresults', [text(limit)])]));
    parts.push(...props, ...extra);
    return davEl('sync-collection', rotate(parts, order));
  });

export const propfindDoc: fc.Arbitrary<XmlNode> = fc
  .tuple(propChoice, fc.array(xmlTree, { maxLength: 2 }), fc.nat())
  .map(([props, extra, order]) => davEl('propfind', rotate([...props, ...extra], order)));

export const propertyupdateDoc: fc.Arbitrary<XmlNode> = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constantFrom('set', 'remove'), propElements).map(([op, ps]) => davEl(op, [davEl('prop', ps)])) },
      { weight: 1, arbitrary: fc.constantFrom('set', 'remove').map((op) => davEl(op)) },
      { weight: 1, arbitrary: xmlTree },
    ),
    { maxLength: 4 },
  )
  .map((ops) => davEl('propertyupdate', ops));

/** A well-formed request-like document: shaped like a body davsync reads, or any random tree. */
export const xmlDocument: fc.Arbitrary<XmlNode> = fc.oneof(syncCollectionDoc, propfindDoc, propertyupdateDoc, xmlTree);

function rotate<T>(items: T[], by: number): T[] {
  if (items.length === 0) return items;
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
const escapeAttr = (s: string): string => escapeText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');

/**
 * Writes a tree as a well-formed document. Each element gets the prefix it
 * asks for, declared where the binding in scope differs; attributes in a
 * namespace get prefixes of their own (`A0`, `A1`, …).
 */
export function writeXml(root: XmlNode, declaration = false): string {
  const attrPrefix = new Map<string, string>();
  const write = (node: XmlNode, scope: ReadonlyMap<string, string>): string => {
    const decls: string[] = [];
    const local = new Map(scope);
    let prefix = node.ns === '' ? '' : (ELEMENT_PREFIXES[node.prefix] as string);
    if (prefix === '' && node.ns !== '' && local.get('') !== node.ns) {
      decls.push(` xmlns="${escapeAttr(node.ns)}"`);
      local.set('', node.ns);
    } else if (prefix === '' && node.ns === '' && (local.get('') ?? '') !== '') {
      decls.push(' xmlns=""');
      local.set('', '');
    } else if (prefix !== '' && local.get(prefix) !== node.ns) {
      decls.push(` xmlns:${prefix}="${escapeAttr(node.ns)}"`);
      local.set(prefix, node.ns);
    }
    prefix = prefix === '' ? '' : `${prefix}:`;
    const attrs: string[] = [];
    for (const a of node.attrs) {
      if (a.ns === '') {
        attrs.push(` ${a.local}="${escapeAttr(a.value)}"`);
      } else if (a.ns === XML_NS) {
        attrs.push(` xml:${a.local}="${escapeAttr(a.value)}"`);
      } else {
        let p = attrPrefix.get(a.ns);
        if (p === undefined) attrPrefix.set(a.ns, (p = `A${attrPrefix.size}`));
        if (local.get(p) !== a.ns) {
          decls.push(` xmlns:${p}="${escapeAttr(a.ns)}"`);
          local.set(p, a.ns);
        }
        attrs.push(` ${p}:${a.local}="${escapeAttr(a.value)}"`);
      }
    }
    const open = `${prefix}${node.local}${decls.join('')}${attrs.join('')}`;
    if (node.content.length === 0) return `<${open}/>`;
    let inner = '';
    for (const c of node.content) {
      if (c.kind === 'element') inner += write(c, local);
      else if (c.kind === 'text') inner += escapeText(c.value);
      else if (c.kind === 'cdata') inner += `<![CDATA[${c.value}]]>`;
      else if (c.kind === 'comment') inner += `<!--${c.value}-->`;
      else inner += `<?pi ${c.value}?>`;
    }
    return `<${open}>${inner}</${prefix}${node.local}>`;
  };
  return (declaration ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '') + write(root, new Map([['', '']]));
}

/** What a tree means once read: Clark names, attributes by Clark name, text (CDATA included) per element. */
export interface Meaning {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: Meaning[];
}

export function meaningOf(node: XmlNode): Meaning {
  const attrs: Record<string, string> = {};
  // defineProperty: an attribute may be called `__proto__`.
  for (const a of node.attrs) Object.defineProperty(attrs, a.ns === '' ? a.local : `{${a.ns}}${a.local}`, { value: a.value, enumerable: true, writable: true, configurable: true });
  let t = '';
  const children: Meaning[] = [];
  for (const c of node.content) {
    if (c.kind === 'element') children.push(meaningOf(c));
    else if (c.kind === 'text' || c.kind === 'cdata') t += c.value;
  }
  return { name: node.ns === '' ? node.local : `{${node.ns}}${node.local}`, attrs, text: t, children };
}

// --- Mutations ------------------------------------------------------------------

/** A structural change made to the tree before it is written. */
export type TreeMutation =
  | { kind: 'none' }
  | { kind: 'deep'; levels: number }
  | { kind: 'huge-text'; length: number }
  | { kind: 'wide'; count: number };

/** A change made to the written document. */
export type TextMutation =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; mask: number }
  /** A DOCTYPE in the prolog (after the XML declaration, if any), where it is a real DOCTYPE. */
  | { kind: 'doctype'; doctype: string }
  | { kind: 'insert'; at: number; junk: string }
  | { kind: 'delete'; at: number; length: number };

/** How the body reaches the reader. */
export type Encoding = 'string' | 'utf8' | 'utf8-bom' | 'utf16le' | 'utf16be' | 'chunks';

export interface MutatedDocument {
  readonly tree: XmlNode;
  readonly declaration: boolean;
  readonly treeMutation: TreeMutation;
  readonly textMutation: TextMutation;
  readonly encoding: Encoding;
  readonly chunkSizes: readonly number[];
}

const DOCTYPES = [
  '<!DOCTYPE x>',
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;">]>',
  '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
  '<!DOCTYPE D:propfind PUBLIC "-//x//EN" "http://example.com/x.dtd">',
];

const JUNK = fc.oneof(
  fc.constantFrom(...DOCTYPES),
  fc.constantFrom('<', '>', '&', '&lol;', '&#0;', '&#xD800;', '<!--', ']]>', '</D:prop>', '<D:prop>', 'xmlns:D="urn:y"', '"', '\u0000', '\uFFFE', '\uD800', '<?xml version="1.0"?>', '<![CDATA[', 'x:y', '<:a/>'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

export const treeMutation: fc.Arbitrary<TreeMutation> = fc.oneof(
  { weight: 20, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 20, max: 45 }).map((levels) => ({ kind: 'deep' as const, levels })) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }).map((length) => ({ kind: 'huge-text' as const, length })) },
  { weight: 1, arbitrary: fc.constantFrom(50, 500, 10_001).map((count) => ({ kind: 'wide' as const, count })) },
);

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.nat().map((at) => ({ kind: 'truncate' as const, at })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('doctype' as const), doctype: fc.constantFrom(...DOCTYPES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), junk: JUNK }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }) },
);

/** A document from `trees`, maybe mutated, in some encoding. */
export function mutatedDocumentOf(trees: fc.Arbitrary<XmlNode>): fc.Arbitrary<MutatedDocument> {
  return fc.record({
    tree: trees,
    declaration: fc.boolean(),
    treeMutation,
    textMutation,
    encoding: fc.constantFrom<Encoding>('string', 'utf8', 'utf8', 'utf8-bom', 'utf16le', 'utf16be', 'chunks', 'chunks'),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
  });
}

export const mutatedDocument: fc.Arbitrary<MutatedDocument> = mutatedDocumentOf(xmlDocument);

/** A document from `trees`, unmutated, as UTF-8 bytes: what a well-behaved client sends. */
export function cleanDocumentOf(trees: fc.Arbitrary<XmlNode>): fc.Arbitrary<MutatedDocument> {
  return fc.record({
    tree: trees,
    declaration: fc.boolean(),
    treeMutation: fc.constant<TreeMutation>({ kind: 'none' }),
    textMutation: fc.constant<TextMutation>({ kind: 'none' }),
    encoding: fc.constant<Encoding>('utf8'),
    chunkSizes: fc.constant([64]),
  });
}

function applyTreeMutation(tree: XmlNode, m: TreeMutation): XmlNode {
  switch (m.kind) {
    case 'none':
      return tree;
    case 'deep': {
      // Nest the root's content `levels` deep inside its first child slot.
      let inner: XmlNode = el('urn:x', 'n', tree.content);
      for (let i = 1; i < m.levels; i++) inner = el(i % 2 === 0 ? 'DAV:' : 'urn:x', i % 3 === 0 ? 'prop' : 'n', [inner], i % ELEMENT_PREFIXES.length);
      return { ...tree, content: [inner] };
    }
    case 'huge-text':
      return { ...tree, content: [...tree.content, text('x'.repeat(m.length))] };
    case 'wide':
      return { ...tree, content: [...tree.content, ...Array.from({ length: m.count }, () => el('urn:x', 'w'))] };
  }
}

/** The document as a string after the tree mutation (the text mutation is applied by {@link bodyOf}). */
export function documentText(d: MutatedDocument): string {
  return writeXml(applyTreeMutation(d.tree, d.treeMutation), d.declaration);
}

/** True when the document reaches the reader unchanged (no text mutation). */
export const untouchedText = (d: MutatedDocument): boolean => d.textMutation.kind === 'none';

/** The body as bytes (or a string, for `encoding: 'string'`), text mutation applied. */
export function bodyOf(d: MutatedDocument): string | Buffer {
  let s = documentText(d);
  const m = d.textMutation;
  if (m.kind === 'truncate') s = s.slice(0, m.at % (s.length + 1));
  else if (m.kind === 'doctype') s = d.declaration ? s.replace('?>\n', `?>\n${m.doctype}`) : m.doctype + s;
  else if (m.kind === 'insert') s = insertAt(s, m.at, m.junk);
  else if (m.kind === 'delete') {
    const at = m.at % (s.length + 1);
    s = s.slice(0, at) + s.slice(at + m.length);
  }
  if (d.encoding === 'string' && m.kind !== 'flip') return s;
  let bytes: Buffer;
  if (d.encoding === 'utf16le') bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
  else if (d.encoding === 'utf16be') bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]);
  else if (d.encoding === 'utf8-bom') bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')]);
  else bytes = Buffer.from(s, 'utf8');
  if (m.kind === 'flip' && bytes.length > 0) {
    const at = m.at % bytes.length;
    bytes[at] = (bytes[at] as number) ^ m.mask;
  }
  return bytes;
}

function insertAt(s: string, at: number, what: string): string {
  const i = at % (s.length + 1);
  return s.slice(0, i) + what + s.slice(i);
}

/** Splits bytes into chunks of the given sizes (cycled), as a request stream delivers them. */
export function chunked(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  let k = 0;
  // Big bodies come in bigger chunks, as from a socket (and to keep the run fast).
  const scale = bytes.length > 4096 ? 512 : 1;
  while (i < bytes.length) {
    const n = (sizes[k++ % sizes.length] as number) * scale;
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

export async function* iterate(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const c of chunks) yield c;
}
