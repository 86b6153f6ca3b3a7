/**
 * VapidAuthorizations: one signed VAPID header per push service origin,
 * reused until an hour before its JWT ends, then signed afresh; the JWT it
 * makes through web-push names the origin and the 12 h expiry (RFC 8292).
 */
import { describe, expect, it } from '@jest/globals';
import { generateVapidKeys } from '@davsync/express';
import { VAPID_JWT_LIFETIME_SECONDS, VapidAuthorizations } from '../../src/push/vapid-authorization';

const keys = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };

describe('VapidAuthorizations', () => {
  it('signs once per origin and reuses the header until an hour before expiry', () => {
    let now = Date.UTC(2026, 0, 1);
    const signed: Array<[string, number]> = [];
    const auth = new VapidAuthorizations(keys, (audience, _k, exp) => (signed.push([audience, exp]), `vapid ${audience} ${exp}`), () => now);
    const a = auth.headerFor('https://push.example');
    expect(auth.headerFor('https://push.example')).toBe(a);
    auth.headerFor('https://other.example');
    expect(signed.map(([o]) => o)).toEqual(['https://push.example', 'https://other.example']);
    expect(signed[0]?.[1]).toBe(now / 1000 + VAPID_JWT_LIFETIME_SECONDS);
    now += (VAPID_JWT_LIFETIME_SECONDS - 3601) * 1000;
    expect(auth.headerFor('https://push.example')).toBe(a);
    now += 2000; // within the last hour: renewed
    expect(auth.headerFor('https://push.example')).not.toBe(a);
    expect(signed).toHaveLength(3);
  });

  it("makes web-push's ES256 JWT for the origin, valid for 12 h", () => {
    const webpush = require('web-push') as typeof import('web-push');
    const auth = new VapidAuthorizations(keys, (audience, k, exp) => webpush.getVapidHeaders(audience, k.subject, k.publicKey, k.privateKey, 'aes128gcm', exp).Authorization);
    const header = auth.headerFor('https://push.example');
    const m = /^vapid t=([^,]+), k=(.+)$/.exec(header);
    expect(m?.[2]).toBe(keys.publicKey);
    const [head, payload] = (m?.[1] ?? '').split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(head).toEqual({ typ: 'JWT', alg: 'ES256' });
    expect(payload?.['aud']).toBe('https://push.example');
    expect(payload?.['sub']).toBe(keys.subject);
    expect(Math.abs((payload?.['exp'] as number) - (Date.now() / 1000 + VAPID_JWT_LIFETIME_SECONDS))).toBeLessThan(60);
  });
});
