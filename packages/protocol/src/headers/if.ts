/**
 * The WebDAV `If` header (RFC 4918 §10.4): parsed into a typed AST first,
 * evaluated against a resolver second.
 *
 * ```
 * If = "If" ":" ( 1*No-tag-list | 1*Tagged-list )
 * No-tag-list = List
 * Tagged-list = Resource-Tag 1*List
 * List = "(" 1*Condition ")"
 * Condition = ["Not"] (State-token | "[" entity-tag "]")
 * ; entity-tag: see Section 3.11 of [RFC2616]
 * ; No LWS allowed between "[", entity-tag and "]"
 * State-token = Coded-URL
 * Resource-Tag = "<" Simple-ref ">"
 * ; Simple-ref: see Section 8.3
 * ; No LWS allowed in Resource-Tag
 * Coded-URL = "<" absolute-URI ">"          ; §10.1, no LWS allowed in Coded-URL
 * ```
 *
 * Reading notes:
 * - RFC 2616 implied LWS: any amount of SP, HT, CR and LF may separate the
 *   tokens above (header values are often folded, as in the RFC examples),
 *   except where the comments forbid it.
 * - ABNF literals are case-insensitive (RFC 5234 §2.3), so `not` and `NOT`
 *   are `Not`; `Not` may be followed directly by `<` or `[`.
 * - `entity-tag` is RFC 2616's: `[ "W/" ] quoted-string`, which allows
 *   spaces and backslash escapes (`["I am an ETag"]` in §10.4.6).
 * - One header is either all untagged or all tagged lists; mixing is a 400.
 */
import { badRequest } from '../protocol-error';
import { strongMatchesCurrent, type CurrentEtags } from './etag-match';
import { isAbsoluteUri, isSimpleRef } from './uri';

/** RFC 4918 §10.4.2: one condition of a List. */
export type IfCondition =
  /** A state token (a lock token, or an RFC 6578 §5 sync token) as a Coded-URL, without the `<>`. */
  | { not: boolean; kind: 'token'; token: string }
  /** An entity tag from `[...]`, as written: quotes and `W/` included. */
  | { not: boolean; kind: 'etag'; etag: string };

/** RFC 4918 §10.4.2: a List, with the Resource-Tag it falls under. */
export interface IfList {
  /** Tagged lists: the Simple-ref from `<...>` as written (an absolute URI or an absolute path). Untagged: absent. */
  resource?: string;
  /** AND'ed (RFC 4918 §10.4.3). At least one. */
  conditions: IfCondition[];
}

/** RFC 4918 §10.4: the whole header. Lists are OR'ed; all have a `resource` or none does. */
export interface IfHeader {
  lists: IfList[];
}

/** Bounds that keep a hostile header cheap to refuse. */
export interface IfLimits {
  /** Longest header value accepted, in characters. */
  maxLength: number;
  /** Most Lists in one header. */
  maxLists: number;
  /** Most Conditions in one header, all Lists together. */
  maxConditions: number;
}

export const DEFAULT_IF_LIMITS: Readonly<IfLimits> = Object.freeze({ maxLength: 8192, maxLists: 64, maxConditions: 256 });

/**
 * The state token RFC 4918 §10.4.8 uses for "never a current token": a
 * client writes `(Not <DAV:no-lock>)` as a list that is always true.
 */
export const NO_LOCK_TOKEN = 'DAV:no-lock';

/**
 * Parses an If header value.
 *
 * @throws ProtocolError `bad-request` (with a short reason) for anything outside
 *   the grammar or over the limits; never another exception.
 * @example
 * parseIf('</home/c/> (<http://example.com/ns/sync/12345>)')
 * // → { lists: [{ resource: '/home/c/', conditions: [{ not: false, kind: 'token', token: 'http://example.com/ns/sync/12345' }] }] }
 */
export function parseIf(value: string, limits?: Partial<IfLimits>): IfHeader {
  const max = { ...DEFAULT_IF_LIMITS, ...limits };
  if (value.length > max.maxLength) throw malformed(`longer than ${max.maxLength} characters`);
  return new IfParser(value, max).header();
}

const LWS = new Set([' ', '\t', '\r', '\n']);

class IfParser {
  private pos = 0;
  private conditionCount = 0;

  constructor(
    private readonly s: string,
    private readonly max: IfLimits,
  ) {}

  header(): IfHeader {
    this.skipLws();
    const tagged = this.peek() === '<';
    if (!tagged && this.peek() !== '(') throw malformed(this.atEnd() ? 'empty header' : `expected "(" or "<" ${this.where()}`);
    const lists: IfList[] = [];
    let resource: string | undefined;
    let listsForTag = 0;
    while (!this.atEnd()) {
      const c = this.peek();
      if (c === '<') {
        if (!tagged) throw malformed(`tagged and untagged lists cannot be mixed ${this.where()}`);
        if (resource !== undefined && listsForTag === 0) throw malformed(`resource tag without a list ${this.where()}`);
        resource = this.angleBracketed('resource tag');
        if (!isSimpleRef(resource)) throw malformed(`resource tag is not an absolute URI or path ${this.where()}`);
        listsForTag = 0;
      } else if (c === '(') {
        const list: IfList = { conditions: this.list() };
        if (resource !== undefined) list.resource = resource;
        lists.push(list);
        listsForTag++;
        if (lists.length > this.max.maxLists) throw malformed(`more than ${this.max.maxLists} lists`);
      } else {
        throw malformed(`unexpected ${JSON.stringify(c)} ${this.where()}`);
      }
      this.skipLws();
    }
    if (tagged && listsForTag === 0) throw malformed('resource tag without a list at end');
    return { lists };
  }

  /** `"(" 1*Condition ")"`, the opening parenthesis at `pos`. */
  private list(): IfCondition[] {
    this.pos++; // (
    const conditions: IfCondition[] = [];
    for (;;) {
      this.skipLws();
      if (this.atEnd()) throw malformed('unterminated list');
      if (this.peek() === ')') {
        if (conditions.length === 0) throw malformed(`empty list ${this.where()}`);
        this.pos++;
        return conditions;
      }
      conditions.push(this.condition());
      if (++this.conditionCount > this.max.maxConditions) throw malformed(`more than ${this.max.maxConditions} conditions`);
    }
  }

  /** `["Not"] (State-token | "[" entity-tag "]")`. */
  private condition(): IfCondition {
    let not = false;
    if (this.s.slice(this.pos, this.pos + 3).toLowerCase() === 'not') {
      not = true;
      this.pos += 3;
      this.skipLws();
    }
    const c = this.peek();
    if (c === '<') {
      const token = this.angleBracketed('state token');
      if (!isAbsoluteUri(token)) throw malformed(`state token is not an absolute URI ${this.where()}`);
      return { not, kind: 'token', token };
    }
    if (c === '[') {
      this.pos++;
      const etag = this.entityTag();
      if (this.peek() !== ']') throw malformed(`expected "]" right after the entity tag ${this.where()}`);
      this.pos++;
      return { not, kind: 'etag', etag };
    }
    throw malformed(this.atEnd() ? 'unterminated list' : `expected a state token or [entity-tag] ${this.where()}`);
  }

  /** `"<" … ">"` with no white space inside (RFC 4918: no LWS in a Coded-URL or Resource-Tag). */
  private angleBracketed(what: string): string {
    const start = this.pos + 1;
    const end = this.s.indexOf('>', start);
    if (end < 0) throw malformed(`unterminated ${what}`);
    const inner = this.s.slice(start, end);
    if (inner === '') throw malformed(`empty ${what} ${this.where()}`);
    this.pos = end + 1;
    return inner;
  }

  /**
   * RFC 2616 §3.11 `entity-tag = [ "W/" ] quoted-string`;
   * `quoted-string = <"> *(qdtext | quoted-pair) <">`, qdtext any TEXT but
   * `"` (TEXT excludes controls other than LWS), `quoted-pair = "\" CHAR`.
   */
  private entityTag(): string {
    const start = this.pos;
    if (this.s.startsWith('W/', this.pos)) this.pos += 2;
    if (this.peek() !== '"') throw malformed(`expected a quoted entity tag ${this.where()}`);
    this.pos++;
    for (;;) {
      if (this.atEnd()) throw malformed('unterminated entity tag');
      const code = this.s.charCodeAt(this.pos);
      if (code === 0x22) break; // closing "
      if (code === 0x5c) {
        // quoted-pair: "\" CHAR (US-ASCII 0-127)
        const next = this.s.charCodeAt(this.pos + 1);
        if (!(next >= 0 && next <= 0x7f)) throw malformed(`bad escape in entity tag ${this.where()}`);
        this.pos += 2;
        continue;
      }
      if ((code < 0x20 && !LWS.has(this.s[this.pos] as string)) || code === 0x7f || code > 0xff) {
        throw malformed(`bad character in entity tag ${this.where()}`);
      }
      this.pos++;
    }
    this.pos++; // closing "
    return this.s.slice(start, this.pos);
  }

  private skipLws(): void {
    while (this.pos < this.s.length && LWS.has(this.s[this.pos] as string)) this.pos++;
  }

  private peek(): string | undefined {
    return this.s[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  private where(): string {
    return `at ${this.pos}`;
  }
}

function malformed(why: string): Error {
  return badRequest(`davsync: malformed If header: ${why}`);
}

/**
 * What {@link evaluateIf} needs to know about resources. `resource` is the
 * tag of a tagged list exactly as written (an absolute URI or path, still
 * percent-encoded: map it like a Destination), or the `requestResource`
 * given to `evaluateIf` for untagged lists. An unmapped URL has no etag and
 * no current tokens (RFC 4918 §10.4.4: treated as existing without the state).
 */
export interface IfResolver {
  /** The resource's current entity tag(s), as they would be sent in an ETag header; `undefined` if none or unmapped. */
  etag(resource: string): Promise<CurrentEtags | undefined>;
  /** True when `token` is a current state token of the resource: a lock it is in the scope of, or its sync token (RFC 6578 §5). */
  isCurrentToken(resource: string, token: string): Promise<boolean>;
}

/**
 * Evaluates a parsed If header (RFC 4918 §10.4.3–§10.4.4). True when the
 * request may proceed; the caller answers false with 412.
 *
 * - Lists are OR'ed, the conditions of one list AND'ed; `Not` negates one
 *   condition. Evaluation short-circuits, so the resolver is asked only
 *   what decides the result (and each resource's etag at most once).
 * - A tagged list is about its tagged resource, an untagged one about the
 *   request resource.
 * - ETags: RFC 4918 §10.4.4 lets a server choose weak or strong
 *   comparison; davsync uses **strong** comparison (RFC 9110 §8.8.3.2), as
 *   If-Match does, because the If header guards writes: `["x"]` matches only
 *   a current strong ETag `"x"`, and `[W/"x"]` never matches (so
 *   `(Not [W/"x"])` is always true). The comparison is If-Match's
 *   ({@link strongMatchesCurrent}), against every tag the resolver names. A resource without an ETag, or an
 *   unmapped URL, matches no `[...]`.
 * - State tokens: exact match via the resolver; a token the resolver does
 *   not know is simply false. `DAV:no-lock` is never current and is not
 *   even looked up (RFC 4918 §10.4.8).
 *
 * @example await evaluateIf(parseIf('(Not <DAV:no-lock>)'), '/a', resolver) === true
 */
export async function evaluateIf(header: IfHeader, requestResource: string, resolver: IfResolver): Promise<boolean> {
  const etags = new Map<string, Promise<CurrentEtags | undefined>>();
  const etagOf = (resource: string): Promise<CurrentEtags | undefined> => {
    let etag = etags.get(resource);
    if (etag === undefined) {
      etag = resolver.etag(resource);
      etags.set(resource, etag);
    }
    return etag;
  };
  for (const list of header.lists) {
    const resource = list.resource ?? requestResource;
    let all = true;
    for (const condition of list.conditions) {
      let matches: boolean;
      if (condition.kind === 'token') {
        matches = condition.token === NO_LOCK_TOKEN ? false : await resolver.isCurrentToken(resource, condition.token);
      } else {
        const current = await etagOf(resource);
        matches = current !== undefined && strongMatchesCurrent(condition.etag, current);
      }
      if (matches === condition.not) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}
