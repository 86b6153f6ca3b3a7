/**
 * PushResourcePolicy: each rule on its own (the end-to-end test sees them
 * through HTTP, where several rules may refuse the same URL), and the
 * checked lookup that keeps a name from resolving to a refused address.
 */
import { describe, expect, it } from '@jest/globals';
import { PushResourcePolicy } from '@davsync/express';

const lookup = (policy: PushResourcePolicy, host: string): Promise<string> =>
  new Promise((resolve, reject) => policy.lookup(host, {}, (err, address) => (err ? reject(err) : resolve(address as string))));

describe('PushResourcePolicy', () => {
  const strict = new PushResourcePolicy();

  it('accepts a public https push resource', () => {
    expect(strict.refusal('https://push.example.com/abc')).toBeUndefined();
    expect(strict.refusal('https://93.184.216.34:8443/abc')).toBeUndefined();
  });

  it('refuses the server itself by host and port, and only that', () => {
    expect(strict.refusal('https://dav.example.com/x', 'dav.example.com')).toMatch(/this server/);
    expect(strict.refusal('https://DAV.example.com:443/x', 'dav.example.com')).toMatch(/this server/);
    expect(strict.refusal('https://dav.example.com:8443/x', 'dav.example.com')).toBeUndefined();
  });

  it.each(['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '[fc00::1]', '[fe80::1]', '[::]', '[::ffff:10.0.0.1]'])('refuses %s', (host) => {
    expect(strict.refusal(`https://${host}/x`)).toMatch(/loopback, private or reserved/);
  });

  it('too long → refused', () => {
    expect(strict.refusal(`https://push.example.com/${'a'.repeat(2048)}`)).toMatch(/longer/);
  });

  it('allowHttpLoopback lets http (and https) through on loopback only', () => {
    const tests = new PushResourcePolicy({ allowHttpLoopback: true });
    expect(tests.refusal('http://127.0.0.1:9/x')).toBeUndefined();
    expect(tests.refusal('http://[::1]:9/x')).toBeUndefined();
    expect(tests.refusal('http://localhost:9/x')).toMatch(/loopback address/);
    expect(tests.refusal('http://10.0.0.1/x')).toMatch(/loopback address/);
    expect(tests.refusal('https://10.0.0.1/x')).toMatch(/private/);
  });

  it('allowPrivateAddresses lets private https through, still not plain http', () => {
    const lan = new PushResourcePolicy({ allowPrivateAddresses: true });
    expect(lan.refusal('https://10.0.0.1/x')).toBeUndefined();
    expect(lan.refusal('https://localhost/x')).toBeUndefined();
    expect(lan.refusal('http://10.0.0.1/x')).toMatch(/https/);
  });

  it('the checked lookup refuses a name that resolves to a refused address', async () => {
    await expect(lookup(strict, 'localhost')).rejects.toMatchObject({ code: 'EPUSHADDRESS' });
    await expect(lookup(new PushResourcePolicy({ allowHttpLoopback: true }), 'localhost')).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
