import { describe, expect, it } from '@jest/globals';
import { parseXml } from '../../src/xml/reader';
import { DAV } from '../../src/xml/names';
import { errorBody } from '../../src/xml/error-body';
import { fixture, plain } from './plain';

describe('DAV:error bodies (RFC 4918 §16, RFC 6578 §3.2)', () => {
  it('writes the §3.12 body for a limit the server cannot honour (507 number-of-matches-within-limits)', async () => {
    const body = errorBody(DAV.numberOfMatchesWithinLimits);
    expect(body).toBe('<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:"><D:number-of-matches-within-limits/></D:error>');
    expect(plain(await parseXml(body))).toEqual(plain(await parseXml(fixture('rfc6578-3.12-unsupported-limit.response.xml'))));
  });

  it('writes valid-sync-token for a token that cannot be honoured (403)', () => {
    expect(errorBody(DAV.validSyncToken)).toContain('<D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>');
  });

  it('writes supported-report for a REPORT the resource does not support (403, RFC 3253 §3.6)', async () => {
    expect(plain(await parseXml(errorBody([DAV.supportedReport])))).toEqual({ name: DAV.error, children: [{ name: DAV.supportedReport }] });
  });

  it('writes conditions with content and conditions in other namespaces', async () => {
    const body = errorBody([
      { name: DAV.lockTokenSubmitted, children: [{ name: DAV.href, text: '/workspace/webdav/' }] },
      '{urn:ietf:params:xml:ns:caldav}valid-calendar-data',
    ]);
    expect(body).toContain('<C:valid-calendar-data xmlns:C="urn:ietf:params:xml:ns:caldav"/>');
    expect(plain(await parseXml(body))).toEqual({
      name: DAV.error,
      children: [
        { name: DAV.lockTokenSubmitted, children: [{ name: DAV.href, text: '/workspace/webdav/' }] },
        { name: '{urn:ietf:params:xml:ns:caldav}valid-calendar-data' },
      ],
    });
  });

  it('needs at least one condition', () => {
    expect(() => errorBody([])).toThrow(TypeError);
  });
});
