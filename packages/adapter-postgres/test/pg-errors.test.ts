/**
 * `pg-errors.ts`: which driver failures a client sees as 503 or 507, and
 * which are passed on as bugs; which connections must not go back to the
 * pool. Pure: no database.
 */
import { describe, expect, it } from '@jest/globals';
import { DavError } from '@davsync/core';
import { databaseError, isConnectionLoss } from '../src/pg-errors';

const pgError = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code });

describe('databaseError', () => {
  it('passes a DavError through untouched', () => {
    const err = new DavError('precondition-failed', 'the ETag does not match');
    expect(databaseError(err, 'writing')).toBe(err);
  });

  it('a full disk (53100) is insufficient-storage, naming the action and keeping the cause', () => {
    const cause = pgError('53100', 'could not extend file');
    const mapped = databaseError(cause, 'writing a body') as DavError;
    expect(mapped).toBeInstanceOf(DavError);
    expect(mapped.code).toBe('insufficient-storage');
    expect(mapped.message).toContain('writing a body');
    expect((mapped as Error).cause).toBe(cause);
  });

  it.each([
    ['08006', 'connection failure'],
    ['53300', 'too many connections'],
    ['57P01', 'admin shutdown'],
    ['57014', 'statement timeout'],
    ['58030', 'I/O error'],
    ['XX000', 'internal error'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['55P03', 'lock not available'],
    ['ECONNREFUSED', 'socket'],
    ['ETIMEDOUT', 'socket'],
  ])('%s (%s) is unavailable, with the code in the message', (code) => {
    const mapped = databaseError(pgError(code), 'reading a member') as DavError;
    expect(mapped).toBeInstanceOf(DavError);
    expect(mapped.code).toBe('unavailable');
    expect(mapped.message).toContain(code);
    expect(mapped.message).toContain('reading a member');
  });

  it.each(['Connection terminated unexpectedly', 'timeout exceeded when trying to connect', 'Cannot use a pool after calling end on the pool'])(
    'the driver message %j without a code is unavailable',
    (message) => {
      expect((databaseError(new Error(message), 'x') as DavError).code).toBe('unavailable');
    },
  );

  it.each([
    ['23505', 'unique violation'],
    ['42601', 'syntax error'],
    ['22P02', 'invalid text representation'],
  ])('%s (%s) is a bug: passed on unchanged, to become a 500', (code) => {
    const err = pgError(code);
    expect(databaseError(err, 'x')).toBe(err);
  });

  it('passes on a plain error and a non-error value', () => {
    const err = new TypeError('oops');
    expect(databaseError(err, 'x')).toBe(err);
    expect(databaseError('string thrown', 'x')).toBe('string thrown');
    expect(databaseError(null, 'x')).toBeNull();
  });
});

describe('isConnectionLoss', () => {
  it('is true for connection exceptions, server shutdown, network errors and the driver\'s own messages', () => {
    for (const code of ['08006', '08003', '57P01', '57P02', 'ECONNRESET', 'EPIPE']) expect([code, isConnectionLoss(pgError(code))]).toEqual([code, true]);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss(new Error('Client was closed and is not queryable'))).toBe(true);
  });

  it('is false where the connection is still good: a failed statement, a deadlock, a statement timeout', () => {
    for (const code of ['23505', '40P01', '40001', '57014', '53100']) expect([code, isConnectionLoss(pgError(code))]).toEqual([code, false]);
    expect(isConnectionLoss(new Error('some bug'))).toBe(false);
    expect(isConnectionLoss(undefined)).toBe(false);
  });
});
