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

// Wrap mode's own 5xx answers go through the same table as every other error.
describe("wrap mode's refusals", () => {
  it('busy: 503 with Retry-After and its reason, not reported as a failure', () => {
    const logged: unknown[] = [];
    const r = errorResponse(new DavError('busy', 'davsync: writes to this collection are still being recorded'), (err) => logged.push(err));
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers['x-davsync-reason']).toMatch(/still being recorded/);
    expect(logged).toEqual([]);
  });

  it('not-recorded: 500 with its reason (the cause was reported where it happened)', () => {
    const logged: unknown[] = [];
    const r = errorResponse(new DavError('not-recorded', 'davsync: the host made the change but it could not be recorded for sync'), (err) => logged.push(err));
    expect(r.status).toBe(500);
    expect(r.headers['x-davsync-reason']).toMatch(/could not be recorded/);
    expect(r.headers['retry-after']).toBeUndefined();
    expect(logged).toEqual([]);
  });
});
