import { describe, expect, it } from '@jest/globals';
import { parseXml } from '../../src/xml/reader';
import { MAX_NRESULTS, parseSyncCollection, type SyncCollectionRequest } from '../../src/xml/sync-collection';
import { expectProtocolError, fixture } from './plain';

const GETETAG = '{DAV:}getetag';
const BIGBOX = '{urn:ns.example.com:boxschema}bigbox';

async function parse(body: string): Promise<SyncCollectionRequest> {
  return parseSyncCollection(await parseXml(body));
}

/** A sync-collection body with `inner` in place of the usual children. */
const body = (inner: string): string => `<D:sync-collection xmlns:D="DAV:">${inner}</D:sync-collection>`;
const PROP = '<D:prop><D:getetag/></D:prop>';

describe('the RFC 6578 request examples, stored verbatim', () => {
  const examples: Array<[string, SyncCollectionRequest]> = [
    ['3.8-initial', { token: null, level: 1, props: { kind: 'prop', names: [GETETAG, BIGBOX] } }],
    ['3.9-with-token', { token: 'http://example.com/ns/sync/1234', level: 1, props: { kind: 'prop', names: [GETETAG, BIGBOX] } }],
    ['3.10-truncation', { token: null, level: 1, props: { kind: 'prop', names: [GETETAG] } }],
    ['3.11-limit', { token: null, level: 1, limit: 1, props: { kind: 'prop', names: [GETETAG] } }],
    ['3.12-unsupported-limit', { token: 'http://example.com/ns/sync/1232', level: 1, limit: 100, props: { kind: 'prop', names: [GETETAG] } }],
    ['3.13-infinite', { token: null, level: 'infinite', props: { kind: 'prop', names: [GETETAG, BIGBOX] } }],
  ];
  it.each(examples)('§%s parses to the plain model', async (name, model) => {
    expect(await parse(fixture(`rfc6578-${name}.xml`))).toEqual(model);
  });

  it('reads the §3.8 example from a byte stream too', async () => {
    const bytes = Buffer.from(fixture('rfc6578-3.8-initial.xml'));
    async function* stream(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 11) yield bytes.subarray(i, i + 11);
    }
    expect(parseSyncCollection(await parseXml(stream()))).toEqual({ token: null, level: 1, props: { kind: 'prop', names: [GETETAG, BIGBOX] } });
  });
});

describe('DAV:sync-token', () => {
  it('treats an empty token as an initial sync (§3.8), never as an error', async () => {
    expect((await parse(body(`<D:sync-token></D:sync-token><D:sync-level>1</D:sync-level>${PROP}`))).token).toBeNull();
    expect((await parse(body(`<D:sync-token> \n\t </D:sync-token><D:sync-level>1</D:sync-level>${PROP}`))).token).toBeNull();
  });

  it('trims XML white space around the token, and only that', async () => {
    const r = await parse(body(`<D:sync-token>\n   http://example.com/ns/sync/1234\n</D:sync-token><D:sync-level>1</D:sync-level>${PROP}`));
    expect(r.token).toBe('http://example.com/ns/sync/1234');
  });

  it('leaves judging the token to the engine (a 403 valid-sync-token there, not a 400 here)', async () => {
    expect((await parse(body(`<D:sync-token>not a uri</D:sync-token>${PROP}`))).token).toBe('not a uri');
  });

  it('is required: the RFC says the body MUST contain it', async () => {
    await expectProtocolError(() => parse(body(`<D:sync-level>1</D:sync-level>${PROP}`)), 'bad-request');
  });

  it('must be plain text', async () => {
    await expectProtocolError(() => parse(body(`<D:sync-token><D:href>x</D:href></D:sync-token>${PROP}`)), 'bad-request');
  });

  it('may not appear twice', async () => {
    await expectProtocolError(() => parse(body(`<D:sync-token/><D:sync-token>a:b</D:sync-token>${PROP}`)), 'bad-request');
  });

  it('must be in the DAV: namespace', async () => {
    await expectProtocolError(
      () => parse(`<D:sync-collection xmlns:D="DAV:" xmlns:X="urn:x"><X:sync-token/>${PROP}</D:sync-collection>`),
      'bad-request',
    );
  });
});

describe('DAV:sync-level', () => {
  it('is 1 or infinite (§6.3), surrounding white space ignored', async () => {
    expect((await parse(body(`<D:sync-token/><D:sync-level> 1 </D:sync-level>${PROP}`))).level).toBe(1);
    expect((await parse(body(`<D:sync-token/><D:sync-level>\ninfinite\n</D:sync-level>${PROP}`))).level).toBe('infinite');
  });

  it('is undefined when absent, so the caller falls back to the Depth header (Appendix A)', async () => {
    const r = await parse(body(`<D:sync-token/>${PROP}`));
    expect(r.level).toBeUndefined();
  });

  it.each(['0', '2', 'infinity', 'Infinite', '', '1 1'])('refuses %j with a 400', async (level) => {
    await expectProtocolError(() => parse(body(`<D:sync-token/><D:sync-level>${level}</D:sync-level>${PROP}`)), 'bad-request');
  });
});

describe('DAV:limit (RFC 5323 §5.17, RFC 6578 §3.7)', () => {
  const withLimit = (n: string): string => body(`<D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>${n}</D:nresults></D:limit>${PROP}`);

  it('reads nresults as a positive integer', async () => {
    expect((await parse(withLimit(' 25 '))).limit).toBe(25);
    expect((await parse(withLimit('007'))).limit).toBe(7);
    expect((await parse(withLimit(String(MAX_NRESULTS)))).limit).toBe(2 ** 31);
  });

  it('is absent from the model when the client set no limit', async () => {
    expect('limit' in (await parse(body(`<D:sync-token/>${PROP}`)))).toBe(false);
  });

  it('accepts nresults 0 as well-formed: refusing it is the engine\'s call (507, RFC 6578 §3.7)', async () => {
    const body = '<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>0</D:nresults></D:limit><D:prop/></D:sync-collection>';
    expect(parseSyncCollection(await parseXml(body)).limit).toBe(0);
  });

  it.each(['-1', '+5', '1.5', '1e3', 'ten', '', String(2 ** 31 + 1), '9'.repeat(400)])('refuses nresults %j with a 400', async (n) => {
    await expectProtocolError(() => parse(withLimit(n)), 'bad-request');
  });

  it('requires nresults inside limit', async () => {
    await expectProtocolError(() => parse(body(`<D:sync-token/><D:limit/>${PROP}`)), 'bad-request');
  });
});

describe('the requested properties', () => {
  it('are the Clark names inside DAV:prop, in order, duplicates dropped', async () => {
    const r = await parse(body('<D:sync-token/><D:prop xmlns:C="urn:ietf:params:xml:ns:caldav"><C:calendar-data/><D:getetag/><D:getetag/></D:prop>'));
    expect(r.props).toEqual({ kind: 'prop', names: ['{urn:ietf:params:xml:ns:caldav}calendar-data', GETETAG] });
  });

  it('are required: a body without DAV:prop is a 400 (§6.1)', async () => {
    await expectProtocolError(() => parse(body('<D:sync-token/><D:sync-level>1</D:sync-level>')), 'bad-request');
  });

  it('also accept DAV:allprop and DAV:propname, as PROPFIND does (an extension, not in the RFC)', async () => {
    expect((await parse(body('<D:sync-token/><D:allprop/>'))).props).toEqual({ kind: 'allprop', include: [] });
    expect((await parse(body('<D:sync-token/><D:propname/>'))).props).toEqual({ kind: 'propname' });
  });

  it('refuse more than one of prop, allprop and propname', async () => {
    await expectProtocolError(() => parse(body(`<D:sync-token/><D:allprop/>${PROP}`)), 'bad-request');
  });
});

describe('extensibility and the root element', () => {
  it('ignores unknown elements, in any namespace and at any place (RFC 4918 §17)', async () => {
    const r = await parse(
      `<D:sync-collection xmlns:D="DAV:" xmlns:X="urn:x"><X:hint>a</X:hint><D:sync-token/><D:future/><D:sync-level>1</D:sync-level>
       <D:limit><X:unit>items</X:unit><D:nresults>3</D:nresults></D:limit>${PROP}</D:sync-collection>`,
    );
    expect(r).toEqual({ token: null, level: 1, limit: 3, props: { kind: 'prop', names: [GETETAG] } });
  });

  it('does not take a sync-collection in another namespace for DAV:sync-collection (403 supported-report, RFC 3253 §3.6)', async () => {
    await expectProtocolError(() => parse(`<sync-collection><sync-token/><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>`), 'supported-report');
    await expectProtocolError(
      () => parse(`<S:sync-collection xmlns:S="urn:other" xmlns:D="DAV:"><D:sync-token/>${PROP}</S:sync-collection>`),
      'supported-report',
    );
  });

  it('answers another REPORT body with supported-report', async () => {
    await expectProtocolError(() => parse('<C:calendar-multiget xmlns:C="urn:ietf:params:xml:ns:caldav"/>'), 'supported-report');
  });
});
