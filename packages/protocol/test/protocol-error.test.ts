import { describe, expect, it } from '@jest/globals';
import { ProtocolError, badRequest, isProtocolError } from '../src/protocol-error';

describe('ProtocolError', () => {
  it('carries a reason and a message that always starts with davsync:', () => {
    const err = new ProtocolError('payload-too-large', 'too big');
    expect(err.reason).toBe('payload-too-large');
    expect(err.message).toBe('davsync: too big');
    expect(err.name).toBe('ProtocolError');
    expect(new ProtocolError('bad-request', 'davsync: kept as is').message).toBe('davsync: kept as is');
  });

  it('isProtocolError checks the type and, when given, the reason', () => {
    expect(isProtocolError(badRequest('x'))).toBe(true);
    expect(isProtocolError(badRequest('x'), 'bad-request')).toBe(true);
    expect(isProtocolError(badRequest('x'), 'supported-report')).toBe(false);
    expect(isProtocolError(new Error('davsync: x'))).toBe(false);
  });
});
