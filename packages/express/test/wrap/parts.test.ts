/**
 * The small parts of wrap mode on their own: tracked-collection rules, the
 * three-valued sync-token If evaluation and its rewrite, the collection
 * gate, ETag normalisation and option validation.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { davsyncWrap } from '@davsync/express';
import { evaluateIf, parseIf, type IfResolver } from '@davsync/protocol';
import { strongEtag } from '../../src/wrap/adopt';
import { CollectionGate } from '../../src/wrap/gate';
import { decideSyncTokens, formatIf, syncTokenResources } from '../../src/wrap/if-tokens';
import { patternToRegExp, TrackedCollections } from '../../src/wrap/tracked';

const SYNC_OK = 'urn:x-davsync:sync:aaaaaaaaaaaaaaaa:5';
const SYNC_OLD = 'urn:x-davsync:sync:aaaaaaaaaaaaaaaa:3';
const LOCK = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';

describe('tracked collections', () => {
  it('matches patterns segment by segment: * is one segment, ** any number', () => {
    const re = patternToRegExp('/addressbooks/*/*');
    expect(re.test('/addressbooks/alice/contacts')).toBe(true);
    expect(re.test('/addressbooks/alice')).toBe(false);
    expect(re.test('/addressbooks/alice/contacts/a.vcf')).toBe(false);
    expect(re.test('/addressbooks.x/alice/contacts')).toBe(false);
    const deep = patternToRegExp('/cal/**/inbox');
    expect(deep.test('/cal/inbox')).toBe(true);
    expect(deep.test('/cal/a/b/inbox')).toBe(true);
    expect(deep.test('/cal/a/b/outbox')).toBe(false);
    expect(patternToRegExp('/**').test('/')).toBe(true);
    expect(patternToRegExp('/a+b/(c)').test('/a+b/(c)')).toBe(true);
    expect(() => patternToRegExp('books/*')).toThrow(TypeError);
    expect(() => patternToRegExp('/books/a*')).toThrow(/whole segment/);
  });

  it('finds the outermost tracked collection holding a path', () => {
    const t = new TrackedCollections(['/books/*', /^\/books\/[^/]+\/nested$/]);
    expect(t.rootOf('/books/a/x.vcf')).toBe('/books/a');
    expect(t.rootOf('/books/a/nested/y')).toBe('/books/a');
    expect(t.rootOf('/books/a')).toBe('/books/a');
    expect(t.rootOf('/books')).toBeUndefined();
    expect(t.rootOf('/')).toBeUndefined();
    expect(t.isTracked('/books/a/nested')).toBe(true);
    const byPredicate = new TrackedCollections((p) => p === '/only');
    expect(byPredicate.rootOf('/only/x')).toBe('/only');
    expect(byPredicate.rootOf('/other/x')).toBeUndefined();
    // A global RegExp must not keep state between tests.
    const g = new TrackedCollections(/^\/g$/g);
    expect([g.isTracked('/g'), g.isTracked('/g'), g.isTracked('/g')]).toEqual([true, true, true]);
  });
});

describe('sync tokens in the If header', () => {
  const current = async (resource: string, token: string) => token === SYNC_OK && (resource === '' || resource === '/books/a/');

  it('is false (412) only when every list is false whatever the host says', async () => {
    expect((await decideSyncTokens(parseIf(`(<${SYNC_OLD}>)`), current)).pass).toBe(false);
    expect((await decideSyncTokens(parseIf(`(<${SYNC_OLD}> <${LOCK}>) (Not <${SYNC_OK}>)`), current)).pass).toBe(false);
    // A second list without davsync tokens may still be true for the host.
    const v = await decideSyncTokens(parseIf(`(<${SYNC_OLD}>) (<${LOCK}>)`), current);
    expect(v.pass).toBe(true);
    expect(formatIf(v.remaining)).toBe(`(<${LOCK}>)`);
  });

  it('hands the host the header with satisfied sync-token conditions removed, lock tokens kept', async () => {
    const v = await decideSyncTokens(parseIf(`</books/a/> (<${SYNC_OK}> <${LOCK}> ["e1"])`), current);
    expect(v.pass).toBe(true);
    expect(formatIf(v.remaining)).toBe(`</books/a/> (<${LOCK}> ["e1"])`);
    const only = await decideSyncTokens(parseIf(`(<${SYNC_OK}>)`), current);
    expect(formatIf(only.remaining)).toBe('(Not <DAV:no-lock>)');
    const negated = await decideSyncTokens(parseIf(`(Not <${SYNC_OLD}>)`), current);
    expect(negated.pass).toBe(true);
    expect(formatIf(negated.remaining)).toBe('(Not <DAV:no-lock>)');
  });

  it('names the resources whose sync tokens it must check', () => {
    expect(syncTokenResources(parseIf(`</a/> (<${SYNC_OK}>) </b/> (<${LOCK}>) </c/> (Not <${SYNC_OLD}>)`))).toEqual(['/a/', '/c/']);
    expect(syncTokenResources(parseIf(`(<${LOCK}>)`))).toEqual([]);
    expect(syncTokenResources(parseIf(`(<${SYNC_OK}>)`))).toEqual(['']);
  });

  it('rewrites into a header the full evaluator judges exactly as the original (property)', async () => {
    const tokens = [SYNC_OK, SYNC_OLD, LOCK, 'urn:uuid:other'];
    const etags = ['"e1"', '"e2"', 'W/"e1"'];
    const condition = fc.oneof(
      fc.record({ not: fc.boolean(), kind: fc.constant('token' as const), token: fc.constantFrom(...tokens) }),
      fc.record({ not: fc.boolean(), kind: fc.constant('etag' as const), etag: fc.constantFrom(...etags) }),
    );
    const header = fc.oneof(
      fc.array(fc.record({ conditions: fc.array(condition, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.record({ resource: fc.constantFrom('/books/a/', '/other/'), conditions: fc.array(condition, { minLength: 1, maxLength: 3 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
    );
    const host = fc.record({ lock: fc.boolean(), etag: fc.constantFrom('"e1"', '"e2"', undefined) });
    await fc.assert(
      fc.asyncProperty(header, host, async (lists, world) => {
        const full: IfResolver = {
          etag: async () => world.etag,
          isCurrentToken: async (resource, token) => (token === LOCK ? world.lock : await current(resource, token)),
        };
        const expected = await evaluateIf({ lists }, '', full);
        const verdict = await decideSyncTokens({ lists }, current);
        const forHost: IfResolver = { etag: full.etag, isCurrentToken: async (_r, token) => token === LOCK && world.lock };
        const got = verdict.pass && (await evaluateIf(parseIf(formatIf(verdict.remaining)), '', forHost));
        expect(got).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the collection gate', () => {
  it('lets shared claims through together and makes an exclusive claim wait for related ones', async () => {
    const gate = new CollectionGate();
    const a = await gate.enter([{ path: '/books/a/x', mode: 'shared' }], 1000);
    const b = await gate.enter([{ path: '/books/a/y', mode: 'shared' }], 1000);
    const other = await gate.enter([{ path: '/books/b', mode: 'exclusive' }], 1000);
    expect(a && b && other).toBeTruthy();
    let granted = false;
    const waiting = gate.enter([{ path: '/books/a', mode: 'exclusive' }], 1000).then((r) => {
      granted = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(granted).toBe(false);
    // FIFO: a shared claim arriving after the exclusive one waits too.
    let lateGranted = false;
    const late = gate.enter([{ path: '/books/a/z', mode: 'shared' }], 1000).then((r) => {
      lateGranted = true;
      return r;
    });
    a?.();
    await new Promise((r) => setImmediate(r));
    expect(granted).toBe(false);
    b?.();
    const release = await waiting;
    expect(granted).toBe(true);
    expect(lateGranted).toBe(false);
    release?.();
    (await late)?.();
    other?.();
    expect(gate.size).toBe(0);
  });

  it('gives up after the timeout and holds nothing', async () => {
    const gate = new CollectionGate();
    const held = await gate.enter([{ path: '/a', mode: 'shared' }], 1000);
    expect(await gate.enter([{ path: '/a/b', mode: 'exclusive' }], 20)).toBeUndefined();
    expect(gate.size).toBe(1);
    held?.();
    expect(gate.size).toBe(0);
  });
});

describe('ETags and options', () => {
  it('keeps strong ETags without quotes and refuses weak or malformed ones', () => {
    expect(strongEtag('"abc"')).toBe('abc');
    expect(strongEtag(' "abc" ')).toBe('abc');
    expect(strongEtag('abc')).toBe('abc');
    expect(strongEtag('W/"abc"')).toBeUndefined();
    expect(strongEtag('""')).toBeUndefined();
    expect(strongEtag('"a", "b"')).toBeUndefined();
    expect(strongEtag(undefined)).toBeUndefined();
  });

  it('refuses unknown and invalid options with a message naming them', () => {
    expect(() => davsyncWrap({ tracked: '/books/*', trackd: 1 } as never)).toThrow(/trackd/);
    expect(() => davsyncWrap({} as never)).toThrow(/tracked/);
    expect(() => davsyncWrap({ tracked: '/books/*', recordFailure: 'ignore' } as never)).toThrow(/recordFailure/);
    expect(() => davsyncWrap({ tracked: 'books/*' })).toThrow(/must start with/);
    expect(() => davsyncWrap({ tracked: '/books/*', journal: {} as never })).toThrow(/journal/);
  });
});
