import { STATUS_CODES } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { reasonPhrase } from '../src/reason-phrases';

// The protocol keeps its own table so it needs no node:http; the DAV:status
// lines it writes must still be the ones the server wrote with STATUS_CODES.
describe('reason phrases', () => {
  it('are exactly Node’s STATUS_CODES', () => {
    for (let status = 100; status <= 599; status++) expect([status, reasonPhrase(status)]).toEqual([status, STATUS_CODES[status]]);
  });

  it('name no status outside the registry', () => {
    expect(reasonPhrase(207.5)).toBeUndefined();
    expect(reasonPhrase(99)).toBeUndefined();
    expect(reasonPhrase(600)).toBeUndefined();
  });
});
