import { describe, expect, it } from '@jest/globals';
import { DavError } from '@davsync/core';
import { PROTOCOL_ERROR_REASONS, ProtocolError } from '@davsync/protocol';
import { errorResponse } from '../../src/error-response';

// Parsers live in @davsync/protocol and throw ProtocolError; the client must
// get exactly the answer the DavError of the same name always gave.
describe('protocol refusals become HTTP answers in one place', () => {
  it.each(PROTOCOL_ERROR_REASONS.map((r) => [r]))('%s answers as the DavError of the same name, and is not logged', (reason) => {
    const logged: unknown[] = [];
    const fromProtocol = errorResponse(new ProtocolError(reason, 'davsync: refused'), (err) => logged.push(err));
    const fromCore = errorResponse(new DavError(reason, 'davsync: refused'), (err) => logged.push(err));
    expect(fromProtocol).toEqual(fromCore);
    expect(fromProtocol.status).toBeGreaterThanOrEqual(400);
    expect(fromProtocol.status).toBeLessThan(500);
    expect(fromProtocol.headers['x-davsync-reason']).toBe('davsync: refused');
    expect(logged).toEqual([]);
  });

  it('keeps the statuses the parsers always had', () => {
    const status = (reason: ProtocolError['reason']) => errorResponse(new ProtocolError(reason, 'x'), () => undefined).status;
    expect([status('bad-request'), status('payload-too-large'), status('supported-report')]).toEqual([400, 413, 403]);
  });
});
