/**
 * Property-based fuzzing of the request parsers: the XML reader and the
 * three body parsers on top of it, and the If header. Each either yields a
 * model that passes its schema (and respects the limits it was given) or
 * throws a ProtocolError of an expected reason; no other exception, ever.
 * (The request-target decoder is the server's: express's
 * `request-target.fuzz.test.ts`.) Run counts: `DAVSYNC_FUZZ_RUNS` (see
 * generators.ts).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ProtocolError, type ProtocolErrorReason } from '../../src/protocol-error';
import { parseIf, type IfHeader, type IfLimits } from '../../src/headers/if';
import { isAbsoluteUri, isSimpleRef } from '../../src/headers/uri';
import { parsePropfind, propRequestSchema } from '../../src/xml/propfind';
import { parsePropPatch, propPatchSchema } from '../../src/xml/proppatch';
import { DEFAULT_XML_LIMITS, parseXml, parseXmlIfPresent, type XmlElement, type XmlInput, type XmlLimits } from '../../src/xml/reader';
import { parseSyncCollection, syncCollectionRequestSchema } from '../../src/xml/sync-collection';
import { bodyOf, chunked, documentText, fuzzParams, fuzzTimeout, iterate, lws, meaningOf, mutatedDocument, printIf, untouchedText, validIf, type Meaning, type MutatedDocument } from './generators';

/** Runs `run`; a thrown error must be a ProtocolError with one of `reasons`, anything else fails the property. */
async function expectModelOrProtocolError<T>(run: () => T | Promise<T>, reasons: readonly ProtocolErrorReason[]): Promise<T | ProtocolError> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ProtocolError) || !reasons.includes(err.reason)) {
      throw new Error(`unexpected ${err instanceof ProtocolError ? `ProtocolError ${err.reason}` : String(err)}`, { cause: err });
    }
    expect(err.message.startsWith('davsync:')).toBe(true);
    expect(err.message.length).toBeLessThan(400);
    return err;
  }
}

// --- The XML reader and the body parsers ------------------------------------------

const limitsArb: fc.Arbitrary<Partial<XmlLimits> | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        maxBytes: fc.integer({ min: 1, max: 600 }),
        maxDepth: fc.integer({ min: 1, max: 8 }),
        maxElements: fc.integer({ min: 1, max: 25 }),
        maxTextLength: fc.integer({ min: 0, max: 40 }),
      },
      { requiredKeys: [] },
    ),
  },
);

function inputOf(body: string | Uint8Array, d: Pick<MutatedDocument, 'encoding' | 'chunkSizes'> | undefined): XmlInput {
  if (d?.encoding === 'chunks' && typeof body !== 'string') return iterate(chunked(body, d.chunkSizes));
  return body;
}

/** A plain check for hot loops (jest's expect is slow when called thousands of times per case). */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** Checks a tree against the limits it was read with. */
function withinLimits(root: XmlElement, limits: XmlLimits): void {
  let elements = 0;
  const walk = (el: XmlElement, depth: number): void => {
    elements++;
    check(depth <= limits.maxDepth, `element ${el.name} at depth ${depth}`);
    check(el.text.length <= limits.maxTextLength, `text of ${el.text.length} in ${el.name}`);
    for (const v of Object.values(el.attrs)) check(v.length <= limits.maxTextLength, `attribute of ${v.length} in ${el.name}`);
    for (const c of el.children) walk(c, depth + 1);
  };
  walk(root, 1);
  expect(elements).toBeLessThanOrEqual(limits.maxElements);
}

function meaningOfElement(el: XmlElement): Meaning {
  return { name: el.name, attrs: { ...el.attrs }, text: el.text, children: el.children.map(meaningOfElement) };
}

/** Reads a body with the reader and then with each body parser; checks every outcome. */
async function readAll(input: () => XmlInput, byteLength: number, limits: Partial<XmlLimits> | undefined): Promise<XmlElement | ProtocolError> {
  const effective = { ...DEFAULT_XML_LIMITS, ...limits };
  const root = await expectModelOrProtocolError(() => parseXml(input(), limits), ['bad-request', 'payload-too-large']);
  if (root instanceof ProtocolError) {
    if (root.reason === 'payload-too-large') expect(byteLength).toBeGreaterThan(effective.maxBytes);
  } else {
    expect(byteLength).toBeLessThanOrEqual(effective.maxBytes);
    withinLimits(root, effective);
    const sync = await expectModelOrProtocolError(() => parseSyncCollection(root), ['bad-request', 'supported-report']);
    if (!(sync instanceof ProtocolError)) expect(syncCollectionRequestSchema.safeParse(sync).success).toBe(true);
    const propfind = await expectModelOrProtocolError(() => parsePropfind(root), ['bad-request']);
    if (!(propfind instanceof ProtocolError)) expect(propRequestSchema.safeParse(propfind).success).toBe(true);
    const patch = await expectModelOrProtocolError(() => parsePropPatch(root), ['bad-request']);
    if (!(patch instanceof ProtocolError)) expect(propPatchSchema.safeParse(patch).success).toBe(true);
  }
  // The PROPFIND entry point, where an empty body means allprop (big bodies are read once: it is the same reader).
  if (byteLength > 1024) return root;
  const maybe = await expectModelOrProtocolError(() => parseXmlIfPresent(input(), limits), ['bad-request', 'payload-too-large']);
  if (maybe === undefined) expect(propRequestSchema.parse(parsePropfind(undefined))).toEqual({ kind: 'allprop', include: [] });
  return root;
}

describe('fuzzing the XML reader and the body parsers', () => {
  it('arbitrary strings: a schema-valid model or a bad-request / payload-too-large / supported-report ProtocolError', async () => {
    const xmlish = fc.string({ unit: fc.constantFrom('<', '>', '/', 'D', ':', '=', '"', ' ', '&', ';', '!', '?', '[', ']', 'x', '-', 'DAV:', 'xmlns', 'prop', '\n'), maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), xmlish), limitsArb, async (body, limits) => {
        await readAll(() => body, Buffer.byteLength(body), limits);
      }),
      fuzzParams(1),
    );
  }, fuzzTimeout(1));

  it('arbitrary bytes, whole or in chunks', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // A BOM in front makes the decoder path interesting.
      fc.tuple(fc.constantFrom([0xff, 0xfe], [0xfe, 0xff], [0xef, 0xbb, 0xbf]), fc.uint8Array({ maxLength: 120 })).map(([bom, rest]) => Uint8Array.from([...bom, ...rest])),
    );
    const sizes = fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(bytes, sizes, fc.boolean(), limitsArb, async (body, chunkSizes, asChunks, limits) => {
        await readAll(() => (asChunks ? iterate(chunked(body, chunkSizes)) : body), body.byteLength, limits);
      }),
      fuzzParams(1),
    );
  }, fuzzTimeout(1));

  it('structured documents, mutated (truncated, a byte flipped, a DOCTYPE, junk, deep, huge text, many elements)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedDocument, limitsArb, async (d, limits) => {
        const body = bodyOf(d);
        const byteLength = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
        const root = await readAll(() => inputOf(body, d), byteLength, limits);
        // The generator writes well-formed documents: untouched and within the
        // default limits, one must be read as exactly the tree it was written from.
        if (untouchedText(d) && d.treeMutation.kind === 'none' && limits === undefined) {
          if (root instanceof ProtocolError) throw new Error(`a well-formed document was refused: ${root.message}\n${documentText(d)}`);
          expect(meaningOfElement(root)).toEqual(meaningOf(d.tree));
        }
        if (d.textMutation.kind === 'doctype') expect(root).toBeInstanceOf(ProtocolError);
      }),
      fuzzParams(1),
    );
  }, fuzzTimeout(1));
});

// --- The If header ------------------------------------------------------------------

/** The shape every parsed header must have. */
function checkIfAst(h: IfHeader, limits: IfLimits): void {
  expect(h.lists.length).toBeGreaterThan(0);
  expect(h.lists.length).toBeLessThanOrEqual(limits.maxLists);
  const tagged = h.lists[0]?.resource !== undefined;
  let conditions = 0;
  for (const l of h.lists) {
    check((l.resource !== undefined) === tagged, 'tagged and untagged lists mixed');
    if (l.resource !== undefined) check(isSimpleRef(l.resource), `resource ${l.resource}`);
    check(l.conditions.length > 0, 'empty list');
    conditions += l.conditions.length;
    for (const c of l.conditions) {
      if (c.kind === 'token') check(isAbsoluteUri(c.token), `token ${c.token}`);
      else check(/^(W\/)?"(?:[^"\\]|\\[\x00-\x7f])*"$/.test(c.etag), `etag ${c.etag}`);
    }
  }
  expect(conditions).toBeLessThanOrEqual(limits.maxConditions);
}

const ifLimitsArb: fc.Arbitrary<Partial<IfLimits> | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.record({ maxLength: fc.integer({ min: 1, max: 200 }), maxLists: fc.integer({ min: 1, max: 4 }), maxConditions: fc.integer({ min: 1, max: 6 }) }, { requiredKeys: [] }) },
);
const IF_DEFAULTS: IfLimits = { maxLength: 8192, maxLists: 64, maxConditions: 256 };

/** Parses; on success the AST has the right shape and survives printing and parsing again. */
function parseIfChecked(value: string, limits: Partial<IfLimits> | undefined): IfHeader | ProtocolError {
  let h: IfHeader;
  try {
    h = parseIf(value, limits);
  } catch (err) {
    if (!(err instanceof ProtocolError) || err.reason !== 'bad-request') throw new Error(`unexpected ${String(err)}`, { cause: err });
    expect(err.message.length).toBeLessThan(400);
    return err;
  }
  checkIfAst(h, { ...IF_DEFAULTS, ...limits });
  // Anything the parser accepts, the printer writes back to the same AST (limits aside: the printed form may be longer).
  expect(parseIf(printIf(h), { maxLength: Infinity, maxLists: Infinity, maxConditions: Infinity })).toEqual(h);
  return h;
}

describe('fuzzing the If header parser', () => {
  const alphabet = fc.constantFrom('(', ')', '<', '>', '[', ']', '"', 'W/', 'Not', 'not', ' ', '\t', '\n', 'a', 'urn:x', '/p', '#', '\\', '%', '%2', '%20', 'é', '\u0000', '\u00ff', '\u0100');

  it('arbitrary strings: an AST (which round-trips through the printer) or a bad-request ProtocolError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: alphabet, maxLength: 40 })), ifLimitsArb, (value, limits) => {
        parseIfChecked(value, limits);
      }),
      fuzzParams(2),
    );
  }, fuzzTimeout(2));

  it('generated valid headers with random LWS parse to the AST they were printed from (or hit a limit)', () => {
    fc.assert(
      fc.property(validIf, fc.infiniteStream(lws), ifLimitsArb, (h, spaces, limits) => {
        const it = spaces[Symbol.iterator]();
        const value = printIf(h, () => it.next().value as string);
        const parsed = parseIfChecked(value, limits);
        const max = { ...IF_DEFAULTS, ...limits };
        const conditions = h.lists.reduce((n, l) => n + l.conditions.length, 0);
        const fits = value.length <= max.maxLength && h.lists.length <= max.maxLists && conditions <= max.maxConditions;
        if (fits) expect(parsed).toEqual(h);
        else expect(parsed).toBeInstanceOf(ProtocolError);
      }),
      fuzzParams(1),
    );
  }, fuzzTimeout(1));

  it('generated headers with junk spliced in: an AST or a bad-request ProtocolError', () => {
    const junk = fc.oneof(alphabet, fc.string({ maxLength: 3 }), fc.constantFrom('<>', '[]', '()', '[W/x]', '<no space>', '["unterminated', '<a:b', 'Not Not', '\r\n'));
    fc.assert(
      fc.property(validIf, fc.array(fc.tuple(fc.nat(), fc.nat(3), junk), { minLength: 1, maxLength: 3 }), (h, edits) => {
        let value = printIf(h);
        for (const [at, cut, j] of edits) {
          const i = at % (value.length + 1);
          value = value.slice(0, i) + j + value.slice(i + cut);
        }
        parseIfChecked(value, undefined);
      }),
      fuzzParams(1),
    );
  }, fuzzTimeout(1));
});
