/** `davsync serve --memory --quota BYTES`: the quota reaches the store (RFC 4331 properties, 507 past it). */
import { afterEach, describe, expect, it } from '@jest/globals';
import { cleanup, startServe } from './support';

afterEach(cleanup);

const QUOTA_PROPS =
  '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>';

describe('davsync serve --quota', () => {
  it('refuses a PUT past the quota with 507 and reports what is left', async () => {
    const { url } = await startServe(['--memory', '--quota', '10']);
    const over = await fetch(`${url}big.txt`, { method: 'PUT', body: 'x'.repeat(11) });
    expect(over.status).toBe(507);
    expect(await over.text()).toContain('quota-not-exceeded');
    expect((await fetch(`${url}fits.txt`, { method: 'PUT', body: 'x'.repeat(4) })).status).toBe(201);
    const props = await fetch(url, { method: 'PROPFIND', headers: { depth: '0', 'content-type': 'application/xml' }, body: QUOTA_PROPS });
    const xml = await props.text();
    expect(xml).toMatch(/<D:quota-available-bytes>6<\/D:quota-available-bytes>/);
    expect(xml).toMatch(/<D:quota-used-bytes>4<\/D:quota-used-bytes>/);
  });
});
