/**
 * The hardened XML reader: request bodies in, a small namespace-resolved
 * element tree out. Nothing else in davsync parses XML.
 *
 * Hardening (RFC 4918 §20.6 "Implications of XML Entities", §20.7 on
 * resource exhaustion):
 * - any DOCTYPE is refused, so there are no entities to expand and no
 *   external entities to fetch (no billion laughs, no XXE);
 * - the body size, nesting depth, element count and the length of any one
 *   text or attribute value are bounded; the size limit is checked as bytes
 *   arrive, and reading stops at the first violation;
 * - every failure is a {@link ProtocolError} (`payload-too-large` for the size,
 *   `bad-request` otherwise) with a short reason, never another exception.
 */
import { SaxesParser, type SaxesTagNS, type XMLDecl } from 'saxes';
import { ProtocolError, badRequest } from '../protocol-error';
import { decoderFor, type ChunkDecoder } from './chunk-decoder';
import { XML_LANG, clark } from './names';

/** Bounds on a request body; see {@link DEFAULT_XML_LIMITS}. */
export interface XmlLimits {
  /** Largest body accepted, in bytes (UTF-8 length for string input). */
  maxBytes: number;
  /** Deepest element nesting accepted; the root element is depth 1. */
  maxDepth: number;
  /** Most elements accepted in one document. */
  maxElements: number;
  /** Longest character data of one element, or one attribute value, in UTF-16 code units. */
  maxTextLength: number;
}

/** Generous for any real WebDAV request body, small enough to refuse abuse cheaply. */
export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxElements: 10_000,
  maxTextLength: 64 * 1024,
});

/**
 * One element of a parsed document. Names are Clark names (see `names.ts`);
 * the prefix and the namespace declarations are kept only so a dead
 * property can be written back as the client wrote it.
 */
export interface XmlElement {
  /** Clark name, e.g. `{DAV:}prop`. */
  readonly name: string;
  /** The prefix as written (`''` for an unprefixed name). */
  readonly prefix: string;
  /** Attributes by Clark name (no-namespace attributes by local name); `xmlns` declarations are not attributes. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Namespace declarations written on this element: prefix (`''` = default namespace) → URI. */
  readonly namespaces: Readonly<Record<string, string>>;
  /** Every binding in scope here, inherited ones included (read with `scope[prefix]` or `for…in`). */
  readonly scope: Readonly<Record<string, string>>;
  /** The `xml:lang` in scope (XML 1.0 §2.12), inherited from ancestors when not set here. */
  readonly lang: string | undefined;
  /** Child elements in document order. */
  readonly children: readonly XmlElement[];
  /** Character data directly inside this element (CDATA included), concatenated, untrimmed. */
  readonly text: string;
  /** Children and character data interleaved in document order; comments and PIs are dropped. */
  readonly content: ReadonlyArray<XmlElement | string>;
}

/** An XML body to read: a whole body, or its chunks as they arrive (e.g. a Node request stream). */
export type XmlInput = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/**
 * Parses a request body that must be an XML document.
 *
 * @throws ProtocolError `payload-too-large` over `maxBytes`; `bad-request` for an
 *   empty body, a DOCTYPE, malformed XML, an unbound prefix, a non-UTF-8/16
 *   encoding or any other limit.
 * @example const root = await parseXml(req, { maxBytes: 64 * 1024 }); root.name === '{DAV:}propfind'
 */
export async function parseXml(input: XmlInput, limits?: Partial<XmlLimits>): Promise<XmlElement> {
  const root = await parseXmlIfPresent(input, limits);
  if (root === undefined) throw badRequest('davsync: request body is empty but an XML body is required');
  return root;
}

/**
 * Like {@link parseXml}, but a body that is empty or only whitespace yields
 * `undefined`: for methods where an absent body has a meaning (PROPFIND,
 * RFC 4918 §9.1).
 */
export async function parseXmlIfPresent(input: XmlInput, limits?: Partial<XmlLimits>, handOff?: XmlHandOff): Promise<XmlElement | undefined> {
  const reader = new TreeReader({ ...DEFAULT_XML_LIMITS, ...limits }, handOff?.accepts);
  const drain = (): void => {
    for (let child = reader.handedOff.shift(); child !== undefined; child = reader.handedOff.shift()) handOff!.take(child);
  };
  if (typeof input === 'string') {
    reader.writeString(input);
  } else if (input instanceof Uint8Array) {
    reader.writeBytes(input);
  } else {
    // Leaving the loop by a throw calls the iterator's return(), which for a
    // Node stream destroys it: reading stops at the first violation.
    for await (const chunk of input) {
      if (typeof chunk === 'string') reader.writeString(chunk);
      else reader.writeBytes(chunk);
      drain();
    }
  }
  const root = reader.end();
  drain();
  return root;
}

/**
 * Children of the root handed to the caller as each one closes, instead of
 * being kept in the tree: a long document (a first sync's 50 000-member
 * multistatus) is then read in the memory of one child at a time, not as a
 * tree of every element at once.
 */
export interface XmlHandOff {
  /** Whether this child of `root`, just closed, is handed off (called inside the parser: must not throw). */
  accepts(root: XmlElement, child: XmlElement): boolean;
  /** Receives the accepted children in document order, outside the parser; what it throws ends the parse. */
  take(child: XmlElement): void;
}

/** XML 1.0 processors must support UTF-8 and UTF-16; we support exactly those (ASCII is a subset of UTF-8). */
const SUPPORTED_ENCODINGS = new Set(['utf-8', 'utf8', 'utf-16', 'utf-16le', 'utf-16be', 'us-ascii', 'ascii']);

interface MutableElement {
  name: string;
  prefix: string;
  attrs: Record<string, string>;
  namespaces: Record<string, string>;
  scope: Record<string, string>;
  lang: string | undefined;
  children: MutableElement[];
  text: string;
  content: Array<MutableElement | string>;
}

/**
 * Parsers that finished a document cleanly, ready for the next: saxes
 * resets itself at the end of a document, and making one (its state
 * table, its handlers) cost more than a small REPORT body's parse. A
 * parser that failed is dropped, never reused.
 */
type NsParser = SaxesParser<{ xmlns: true }>;
const idleParsers: NsParser[] = [];
const IDLE_PARSERS_MAX = 16;
const PARSER_EVENTS = ['doctype', 'xmldecl', 'opentagstart', 'opentag', 'closetag', 'text', 'cdata'] as const;

function releaseParser(parser: NsParser): void {
  // No handler keeps the finished tree alive while the parser waits.
  for (const event of PARSER_EVENTS) parser.off(event);
  if (idleParsers.length < IDLE_PARSERS_MAX) idleParsers.push(parser);
}

/** Drives saxes and builds the tree, enforcing the limits as it goes. */
class TreeReader {
  private readonly parser: NsParser = idleParsers.pop() ?? new SaxesParser({ xmlns: true });
  private readonly stack: MutableElement[] = [];
  private root: MutableElement | undefined;
  private bytes = 0;
  private elements = 0;
  private sawContent = false;
  private fromBytes = false;
  private decoder: ChunkDecoder | undefined;
  /** Up to one byte held back until the UTF-16 byte-order mark can be recognised. */
  private pendingByte: number | undefined;
  private readonly rootScope: Record<string, string> = Object.create(null) as Record<string, string>;
  /** Children of the root accepted by the hand-off, waiting to be taken. */
  readonly handedOff: XmlElement[] = [];

  constructor(
    private readonly limits: XmlLimits,
    private readonly accepts?: XmlHandOff['accepts'],
  ) {
    const p = this.parser;
    p.on('doctype', () => {
      throw badRequest('davsync: DOCTYPE is not allowed in a request body (no DTDs, no entities)');
    });
    p.on('xmldecl', (decl: XMLDecl) => this.checkEncoding(decl));
    p.on('opentagstart', () => {
      // Checked before the attributes are even read, so a deep or wide
      // document is refused at the first element over the limit.
      if (this.stack.length + 1 > this.limits.maxDepth) {
        throw badRequest(`davsync: XML nesting deeper than ${this.limits.maxDepth} elements`);
      }
      if (++this.elements > this.limits.maxElements) {
        throw badRequest(`davsync: XML body has more than ${this.limits.maxElements} elements`);
      }
    });
    p.on('opentag', (tag) => this.open(tag));
    p.on('closetag', () => this.close());
    p.on('text', (text) => this.addText(text));
    p.on('cdata', (text) => this.addText(text));
  }

  writeString(chunk: string): void {
    this.count(Buffer.byteLength(chunk, 'utf8'));
    this.feed(chunk);
  }

  writeBytes(chunk: Uint8Array): void {
    this.fromBytes = true;
    this.count(chunk.byteLength);
    let bytes = chunk;
    if (this.decoder === undefined) {
      if (this.pendingByte !== undefined) {
        bytes = new Uint8Array(chunk.byteLength + 1);
        bytes[0] = this.pendingByte;
        bytes.set(chunk, 1);
        this.pendingByte = undefined;
      }
      if (bytes.byteLength < 2) {
        this.pendingByte = bytes[0];
        return;
      }
      this.decoder = decoderFor(sniffEncoding(bytes));
    }
    this.feed(this.decode(bytes, true));
  }

  end(): XmlElement | undefined {
    if (this.pendingByte !== undefined) {
      this.decoder = decoderFor('utf-8');
      this.feed(this.decode(Uint8Array.of(this.pendingByte), true));
    }
    if (this.decoder !== undefined) this.feed(this.decode(new Uint8Array(0), false));
    if (!this.sawContent) {
      releaseParser(this.parser); // never written to
      return undefined;
    }
    this.guard(() => this.parser.close());
    releaseParser(this.parser);
    if (this.root === undefined) throw badRequest('davsync: XML body has no root element');
    return this.root;
  }

  private count(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxBytes) {
      throw new ProtocolError('payload-too-large', `davsync: XML body larger than ${this.limits.maxBytes} bytes`);
    }
  }

  private decode(bytes: Uint8Array, stream: boolean): string {
    const text = this.decoder!.decode(bytes, stream);
    if (text === undefined) throw badRequest(`davsync: XML body is not valid ${this.decoder!.encoding}`);
    return text;
  }


  private feed(text: string): void {
    if (text === '') return;
    if (!this.sawContent) {
      // A leading BOM is not content (byte input keeps it in the text for UTF-8, loses it in UTF-16's TextDecoder).
      const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (/^[ \t\r\n]*$/.test(body)) return;
      this.sawContent = true;
      text = body;
    }
    this.guard(() => this.parser.write(text));
  }

  /** Runs a saxes call, turning its plain `Error`s into 400s with a short reason. */
  private guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw badRequest(`davsync: malformed XML: ${why.length > 160 ? `${why.slice(0, 160)}…` : why}`);
    }
  }

  private checkEncoding(decl: XMLDecl): void {
    // A string body was decoded by someone else; the declaration no longer
    // describes its bytes, so only byte input is checked.
    if (!this.fromBytes || decl.encoding === undefined) return;
    if (!SUPPORTED_ENCODINGS.has(decl.encoding.toLowerCase())) {
      throw badRequest(`davsync: unsupported XML encoding ${JSON.stringify(decl.encoding.slice(0, 40))}; use UTF-8`);
    }
  }

  private open(tag: SaxesTagNS): void {
    const parent = this.stack[this.stack.length - 1];
    // No prototype: a prefix or an attribute may be called `__proto__`, and must be kept like any other.
    const namespaces: Record<string, string> = Object.create(null) as Record<string, string>;
    let declared = false;
    for (const [prefix, uri] of Object.entries(tag.ns)) {
      namespaces[prefix] = uri;
      declared = true;
    }
    const parentScope = parent?.scope ?? this.rootScope;
    // A flat copy, not a prototype chain: making each request's scopes into
    // prototypes costs V8 more than copying the few prefixes a body declares.
    const scope = declared ? (Object.assign(Object.create(null), parentScope, namespaces) as Record<string, string>) : parentScope;
    const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const attr of Object.values(tag.attributes)) {
      if (attr.prefix === 'xmlns' || (attr.prefix === '' && attr.local === 'xmlns')) continue;
      if (attr.value.length > this.limits.maxTextLength) {
        throw badRequest(`davsync: XML attribute value longer than ${this.limits.maxTextLength} characters`);
      }
      attrs[clark(attr.prefix === '' ? '' : attr.uri, attr.local)] = attr.value;
    }
    const el: MutableElement = {
      name: clark(tag.uri, tag.local),
      prefix: tag.prefix,
      attrs,
      namespaces,
      scope,
      lang: attrs[XML_LANG] ?? parent?.lang,
      children: [],
      text: '',
      content: [],
    };
    if (parent === undefined) {
      this.root = el;
    } else {
      parent.children.push(el);
      parent.content.push(el);
    }
    // A self-closing tag gets its closetag event right after this one.
    this.stack.push(el);
  }

  private close(): void {
    const el = this.stack.pop();
    const root = this.stack.length === 1 ? this.stack[0] : undefined;
    if (el === undefined || root === undefined || this.accepts?.(root, el) !== true) return;
    // Just closed, it is the root's last child and last content: nothing after it was read yet.
    root.children.pop();
    root.content.pop();
    this.handedOff.push(el);
  }

  private addText(text: string): void {
    const el = this.stack[this.stack.length - 1];
    if (el === undefined) return; // whitespace around the root element
    if (el.text.length + text.length > this.limits.maxTextLength) {
      throw badRequest(`davsync: XML text longer than ${this.limits.maxTextLength} characters in one element`);
    }
    el.text += text;
    const last = el.content.length - 1;
    if (typeof el.content[last] === 'string') el.content[last] += text;
    else el.content.push(text);
  }
}

/** The byte-order mark decides UTF-16; everything else is read as UTF-8 (which also drops a UTF-8 BOM). */
function sniffEncoding(bytes: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return 'utf-8';
}

/** The child elements of `el` with one Clark name, in document order. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/**
 * Trims XML white space (XML 1.0 §2.3 `S`: space, tab, CR, LF) and nothing
 * else: `String.prototype.trim` would also eat e.g. U+00A0, which is data.
 */
export function trimXmlSpace(text: string): string {
  return text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}
