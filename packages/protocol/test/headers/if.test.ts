import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isProtocolError } from '../../src/protocol-error';
import { evaluateIf, parseIf, type IfCondition, type IfHeader, type IfResolver } from '../../src/headers/if';
import { expectProtocolError } from '../xml/plain';
import { printIf } from '../fuzz/generators';

const LOCK_A = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';
const LOCK_B = 'urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092';

const token = (t: string, not = false): IfCondition => ({ not, kind: 'token', token: t });
const etag = (e: string, not = false): IfCondition => ({ not, kind: 'etag', etag: e });

/** A resolver over a fixed world, recording what it was asked. */
function world(resources: Record<string, { etag?: string | readonly string[]; tokens?: string[] }>): IfResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async etag(resource) {
      asked.push(`etag ${resource}`);
      return resources[resource]?.etag;
    },
    async isCurrentToken(resource, t) {
      asked.push(`token ${resource} ${t}`);
      return resources[resource]?.tokens?.includes(t) ?? false;
    },
  };
}

describe('parsing the RFC 4918 §10.4 examples', () => {
  it('§10.4.6: untagged lists with a state token and entity tags that contain spaces', () => {
    const h = parseIf(`(<${LOCK_A}> 
    ["I am an ETag"])
    (["I am another ETag"])`);
    expect(h).toEqual({
      lists: [{ conditions: [token(LOCK_A), etag('"I am an ETag"')] }, { conditions: [etag('"I am another ETag"')] }],
    });
  });

  it('§10.4.7: Not applies to the one condition after it', () => {
    const h = parseIf(`(Not <${LOCK_A}> 
    <${LOCK_B}>)`);
    expect(h).toEqual({ lists: [{ conditions: [token(LOCK_A, true), token(LOCK_B)] }] });
  });

  it('§10.4.8: (Not <DAV:no-lock>) as an always-true list', () => {
    expect(parseIf(`(<${LOCK_A}>) 
    (Not <DAV:no-lock>)`)).toEqual({ lists: [{ conditions: [token(LOCK_A)] }, { conditions: [token('DAV:no-lock', true)] }] });
  });

  it('§10.4.9: a tagged list applies to all following lists, weak entity tags kept as written', () => {
    const h = parseIf(`</resource1> 
    (<${LOCK_A}> 
    [W/"A weak ETag"]) (["strong ETag"])`);
    expect(h).toEqual({
      lists: [
        { resource: '/resource1', conditions: [token(LOCK_A), etag('W/"A weak ETag"')] },
        { resource: '/resource1', conditions: [etag('"strong ETag"')] },
      ],
    });
  });

  it('§10.4.10: a resource tag may be an absolute URI', () => {
    expect(parseIf(`<http://www.example.com/specs/> 
    (<${LOCK_A}>)`)).toEqual({ lists: [{ resource: 'http://www.example.com/specs/', conditions: [token(LOCK_A)] }] });
  });

  it('§10.4.11: entity tags alone, with and without Not', () => {
    expect(parseIf('(["4217"])')).toEqual({ lists: [{ conditions: [etag('"4217"')] }] });
    expect(parseIf('(Not ["4217"])')).toEqual({ lists: [{ conditions: [etag('"4217"', true)] }] });
  });

  it('RFC 6578 §5.1/§5.2: a sync token as a state token on the tagged collection', () => {
    expect(parseIf(`</home/cyrusdaboo/collection/>
  (<http://example.com/ns/sync/12345>)`)).toEqual({
      lists: [{ resource: '/home/cyrusdaboo/collection/', conditions: [token('http://example.com/ns/sync/12345')] }],
    });
  });

  it('several tagged resources, each with its own lists', () => {
    expect(parseIf('</a> (<a:1>) (<a:2>) </b> (<b:1>)')).toEqual({
      lists: [
        { resource: '/a', conditions: [token('a:1')] },
        { resource: '/a', conditions: [token('a:2')] },
        { resource: '/b', conditions: [token('b:1')] },
      ],
    });
  });
});

describe('If header white space and case (RFC 2616 implied LWS; RFC 5234 case-insensitive literals)', () => {
  it('allows any LWS between tokens, none needed', () => {
    const expected = { lists: [{ resource: '/a', conditions: [token('a:b', true), etag('"x"')] }] };
    expect(parseIf('</a>(Not<a:b>["x"])')).toEqual(expected);
    expect(parseIf(' \t</a>\r\n \t(\r\n Not \t <a:b>\n ["x"] ) \t')).toEqual(expected);
  });

  it('reads Not case-insensitively', () => {
    expect(parseIf('(not <a:b>)')).toEqual(parseIf('(NOT <a:b>)'));
    expect(parseIf('(nOt <a:b>)').lists[0]?.conditions[0]).toEqual(token('a:b', true));
  });

  it('keeps backslash escapes inside an RFC 2616 quoted entity tag', () => {
    expect(parseIf('(["a\\"b"])').lists[0]?.conditions[0]).toEqual(etag('"a\\"b"'));
  });
});

describe('malformed If headers are a 400', () => {
  const bad: Array<[string, string]> = [
    ['an empty value', ''],
    ['only white space', '  \t '],
    ['an empty list', '()'],
    ['an unterminated list', '(<a:b>'],
    ['an opening parenthesis only', '('],
    ['a resource tag without a list', '</a>'],
    ['two resource tags in a row', '</a> </b> (<a:b>)'],
    ['a resource tag at the end', '</a> (<a:b>) </b>'],
    ['untagged then tagged lists', '(<a:b>) </x> (<c:d>)'],
    ['an unterminated resource tag', '</x> (<a:b>) <urn:x (<e:f>)'],
    ['white space inside a Coded-URL', '(< a:b>)'],
    ['white space inside a resource tag', '</a b> (<a:b>)'],
    ['white space after "["', '([ "x"])'],
    ['white space before "]"', '(["x" ])'],
    ['a relative state token', '(<relative/path>)'],
    ['a state token with a fragment', '(<urn:x#y>)'],
    ['a relative resource tag', '<relative> (<a:b>)'],
    ['a network-path resource tag', '<//host/a> (<a:b>)'],
    ['Not alone', '(Not)'],
    ['Not twice', '(Not Not <a:b>)'],
    ['an unterminated entity tag', '(["x)'],
    ['an unquoted entity tag', '([x])'],
    ['white space after W/', '([W/ "x"])'],
    ['a lower-case weak marker', '([w/"x"])'],
    ['a bare word', '(x)'],
    ['garbage', 'garbage'],
    ['trailing garbage', '(<a:b>) trailing'],
    ['an unterminated Coded-URL', '(<a:b)'],
    ['an empty Coded-URL', '(<>)'],
    ['a control character in an entity tag', '(["a\u0001"])'],
    ['a non-Latin-1 character in an entity tag', '(["\u0100"])'],
  ];
  it.each(bad)('refuses %s', async (_, value) => {
    const err = await expectProtocolError(() => parseIf(value), 'bad-request');
    expect(err.message).toMatch(/^davsync: malformed If header: /);
  });

  it('refuses headers over the length limit', async () => {
    await expectProtocolError(() => parseIf(`(<urn:${'x'.repeat(9000)}>)`), 'bad-request');
    await expectProtocolError(() => parseIf('(<a:b>)', { maxLength: 6 }), 'bad-request');
  });

  it('refuses more lists or conditions than the limits allow', async () => {
    expect(parseIf('(<a:b>)'.repeat(64)).lists).toHaveLength(64);
    await expectProtocolError(() => parseIf('(<a:b>)'.repeat(65)), 'bad-request');
    await expectProtocolError(() => parseIf(`(${'<a:b>'.repeat(257)})`), 'bad-request');
    await expectProtocolError(() => parseIf('(<a:b> <a:c>)', { maxConditions: 1 }), 'bad-request');
    await expectProtocolError(() => parseIf('(<a:b>) (<a:c>)', { maxLists: 1 }), 'bad-request');
  });
});

describe('generated If headers', () => {
  const alphabet = fc.constantFrom('(', ')', '<', '>', '[', ']', '"', 'W', '/', 'N', 'o', 't', ' ', '\t', '\n', 'a', ':', 'b', '#', '\\', '%', '2', '0', 'é');

  it('always yield a valid AST or a bad-request ProtocolError, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 60 }), fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 40 })), (value) => {
        try {
          const h = parseIf(value);
          expect(h.lists.length).toBeGreaterThan(0);
          for (const l of h.lists) expect(l.conditions.length).toBeGreaterThan(0);
        } catch (err) {
          expect(isProtocolError(err, 'bad-request')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // A small writer for the grammar: generated ASTs, written with random LWS, must parse back to themselves.
  const lws = fc.constantFrom('', ' ', '  ', '\t', '\r\n ', '\n\t');
  const absoluteUri = fc.tuple(fc.constantFrom('urn', 'http', 'DAV', 'opaquelocktoken', 'x-y.z+w'), fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@/?]{0,12}$/)).map(([s, rest]) => `${s}:${rest}`);
  const path = fc.stringMatching(/^(\/[A-Za-z0-9\-._~%:@]{1,6}){1,3}\/?$/).filter((p) => !/%(?![0-9A-Fa-f]{2})/.test(p));
  const entityTag = fc.tuple(fc.boolean(), fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e ]{0,10}$/)).map(([weak, t]) => `${weak ? 'W/' : ''}"${t}"`);
  const condition: fc.Arbitrary<IfCondition> = fc.oneof(
    fc.record({ not: fc.boolean(), kind: fc.constant('token' as const), token: absoluteUri }),
    fc.record({ not: fc.boolean(), kind: fc.constant('etag' as const), etag: entityTag }),
  );
  const header: fc.Arbitrary<IfHeader> = fc.oneof(
    fc.array(fc.array(condition, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }).map((lists) => ({ lists: lists.map((conditions) => ({ conditions })) })),
    fc
      .array(fc.tuple(fc.oneof(path, absoluteUri), fc.array(fc.array(condition, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 3 })
      .map((tags) => ({ lists: tags.flatMap(([resource, lists]) => lists.map((conditions) => ({ resource, conditions }))) })),
  );


  it('parse back to the AST they were written from, whatever the LWS', () => {
    fc.assert(
      fc.property(header, fc.infiniteStream(lws), (h, spaces) => {
        // Neighbouring lists with the same tag are written under one Resource-Tag;
        // the AST records the tag per list, so it is the same either way.
        const it = spaces[Symbol.iterator]();
        expect(parseIf(printIf(h, () => it.next().value as string))).toEqual(h);
      }),
      { numRuns: 500 },
    );
  });
});

describe('evaluating the If header (RFC 4918 §10.4.3–§10.4.4)', () => {
  it('§10.4.6: true when locked with the token and in the first state, or in the second state', async () => {
    const h = parseIf(`(<${LOCK_A}> ["I am an ETag"]) (["I am another ETag"])`);
    expect(await evaluateIf(h, '/r', world({ '/r': { etag: '"I am an ETag"', tokens: [LOCK_A] } }))).toBe(true);
    expect(await evaluateIf(h, '/r', world({ '/r': { etag: '"I am another ETag"' } }))).toBe(true);
    expect(await evaluateIf(h, '/r', world({ '/r': { etag: '"I am an ETag"' } }))).toBe(false);
    expect(await evaluateIf(h, '/r', world({ '/r': { etag: '"other"', tokens: [LOCK_A] } }))).toBe(false);
  });

  it('§10.4.7: Not negates only its own condition; the conditions of a list are AND-ed', async () => {
    const h = parseIf(`(Not <${LOCK_A}> <${LOCK_B}>)`);
    expect(await evaluateIf(h, '/r', world({ '/r': { tokens: [LOCK_B] } }))).toBe(true);
    expect(await evaluateIf(h, '/r', world({ '/r': { tokens: [LOCK_A, LOCK_B] } }))).toBe(false);
    expect(await evaluateIf(h, '/r', world({ '/r': {} }))).toBe(false);
  });

  it('§10.4.8: (Not <DAV:no-lock>) makes the header true even when the other token is stale, without asking the resolver about DAV:no-lock', async () => {
    const w = world({ '/r': {} });
    expect(await evaluateIf(parseIf(`(<${LOCK_A}>) (Not <DAV:no-lock>)`), '/r', w)).toBe(true);
    expect(w.asked).toEqual([`token /r ${LOCK_A}`]);
    expect(await evaluateIf(parseIf('(<DAV:no-lock>)'), '/r', world({ '/r': { tokens: ['DAV:no-lock'] } }))).toBe(false);
  });

  it('§10.4.9: a tagged list is about its tagged resource, not the request-URI; weak entity tags never match (strong comparison)', async () => {
    const h = parseIf(`</resource1> (<${LOCK_A}> [W/"A weak ETag"]) (["strong ETag"])`);
    expect(await evaluateIf(h, '/elsewhere', world({ '/resource1': { etag: '"strong ETag"' } }))).toBe(true);
    expect(await evaluateIf(h, '/resource1', world({ '/elsewhere': { etag: '"strong ETag"' } }))).toBe(false);
    // Under strong comparison W/"A weak ETag" matches nothing, not even itself.
    expect(await evaluateIf(h, '/x', world({ '/resource1': { etag: 'W/"A weak ETag"', tokens: [LOCK_A] } }))).toBe(false);
    expect(await evaluateIf(h, '/x', world({ '/resource1': { etag: '"A weak ETag"', tokens: [LOCK_A] } }))).toBe(false);
  });

  it('§10.4.10: the resolver decides whether a collection lock token is current for the tagged collection', async () => {
    const h = parseIf(`<http://www.example.com/specs/> (<${LOCK_A}>)`);
    const w = world({ 'http://www.example.com/specs/': { tokens: [LOCK_A] } });
    expect(await evaluateIf(h, '/specs/rfc2518.doc', w)).toBe(true);
    expect(w.asked).toEqual([`token http://www.example.com/specs/ ${LOCK_A}`]);
  });

  it('§10.4.11: an unmapped URL has no entity tag: ["4217"] is false and Not ["4217"] is true', async () => {
    const unmapped = world({});
    expect(await evaluateIf(parseIf('(["4217"])'), '/specs/rfc1234.txt', unmapped)).toBe(false);
    expect(await evaluateIf(parseIf('(Not ["4217"])'), '/specs/rfc1234.txt', unmapped)).toBe(true);
  });

  it('RFC 6578 §5.1: PUT proceeds while the collection is still at the sync token', async () => {
    const h = parseIf('</home/cyrusdaboo/collection/>\n  (<http://example.com/ns/sync/12345>)');
    const w = world({ '/home/cyrusdaboo/collection/': { tokens: ['http://example.com/ns/sync/12345'] } });
    expect(await evaluateIf(h, '/home/cyrusdaboo/collection/newresource.txt', w)).toBe(true);
  });

  it('RFC 6578 §5.2: MKCOL fails (412) once another change moved the collection past the token', async () => {
    const h = parseIf('</home/cyrusdaboo/collection/>\n  (<http://example.com/ns/sync/12346>)');
    const w = world({ '/home/cyrusdaboo/collection/': { tokens: ['http://example.com/ns/sync/12347'] } });
    expect(await evaluateIf(h, '/home/cyrusdaboo/collection/child/', w)).toBe(false);
  });

  it('treats a state token the resolver does not know as simply false', async () => {
    expect(await evaluateIf(parseIf('(<urn:unknown>)'), '/r', world({}))).toBe(false);
    expect(await evaluateIf(parseIf('(Not <urn:unknown>)'), '/r', world({}))).toBe(true);
  });

  it('compares entity tags strongly: a weak current ETag matches no [...] at all', async () => {
    expect(await evaluateIf(parseIf('(["x"])'), '/r', world({ '/r': { etag: 'W/"x"' } }))).toBe(false);
    expect(await evaluateIf(parseIf('([W/"x"])'), '/r', world({ '/r': { etag: 'W/"x"' } }))).toBe(false);
    expect(await evaluateIf(parseIf('(["x"])'), '/r', world({ '/r': { etag: '"x"' } }))).toBe(true);
    expect(await evaluateIf(parseIf('(["X"])'), '/r', world({ '/r': { etag: '"x"' } }))).toBe(false);
  });

  it('a resource with several current tags (identity and gzip) matches any of them, strongly, as If-Match does', async () => {
    const w = world({ '/r': { etag: ['"x"', '"x-gzip"'] } });
    expect(await evaluateIf(parseIf('(["x-gzip"])'), '/r', w)).toBe(true);
    expect(await evaluateIf(parseIf('(["x"])'), '/r', w)).toBe(true);
    expect(await evaluateIf(parseIf('(Not ["x-gzip"])'), '/r', w)).toBe(false);
    expect(await evaluateIf(parseIf('(["y-gzip"])'), '/r', w)).toBe(false);
    expect(await evaluateIf(parseIf('([W/"x-gzip"])'), '/r', w)).toBe(false);
    expect(await evaluateIf(parseIf('(["x"])'), '/r', world({ '/r': { etag: [] } }))).toBe(false);
  });

  it('stops at the first true list and the first false condition, and looks each ETag up once', async () => {
    const w = world({ '/r': { etag: '"1"', tokens: ['a:1'] } });
    expect(await evaluateIf(parseIf('(["2"] <a:1>) (["1"] ["1"]) (<a:2>)'), '/r', w)).toBe(true);
    expect(w.asked).toEqual(['etag /r']);
  });

  it('is false when every list is false', async () => {
    expect(await evaluateIf(parseIf('(<a:1>) (["1"])'), '/r', world({ '/r': { etag: '"2"' } }))).toBe(false);
  });
});
