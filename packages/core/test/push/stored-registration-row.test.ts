import { describe, expect, it } from '@jest/globals';
import {
  pushDepthOf,
  pushDepthText,
  registrationOfRow,
  STORED_PUSH_REGISTRATION_COLUMNS,
  storedRegistrationSettings,
  type PushRegistrationRequest,
  type StoredPushRegistrationRow,
} from '../../src';

const request: PushRegistrationRequest = {
  collection: '/docs',
  user: 'zoë',
  subscription: { pushResource: 'https://push.example/s/1', publicKey: 'BPk', authSecret: 'c2VjcmV0' },
  trigger: { contentUpdate: 'infinity', propertyUpdate: 1 },
  expires: 1_800_000_000_123,
};

/** A row as the store writes it, then as each driver hands it back. */
const rowOf = (r: PushRegistrationRequest, driver: 'sqlite' | 'postgres', last?: { at: number; ok: boolean; status?: number; error?: string }): StoredPushRegistrationRow => {
  const [user, public_key, auth_secret, content_depth, property_depth, expires] = storedRegistrationSettings(r);
  const big = (n: number): number | string => (driver === 'sqlite' ? n : String(n));
  return {
    id: 'r1',
    collection: r.collection,
    push_resource: r.subscription.pushResource,
    user,
    public_key,
    auth_secret,
    content_depth,
    property_depth,
    created: big(1_700_000_000_000),
    expires: big(expires),
    failures: last === undefined || last.ok ? 0 : 2,
    last_at: last === undefined ? null : big(last.at),
    last_ok: last === undefined ? null : driver === 'sqlite' ? (last.ok ? 1 : 0) : last.ok,
    last_status: last?.status ?? null,
    last_error: last?.error ?? null,
  };
};

describe('stored push registration row', () => {
  it('names every field of the row type in its columns', () => {
    const names = STORED_PUSH_REGISTRATION_COLUMNS.split(', ').map((c) => c.replace(/"/g, ''));
    expect(names.sort()).toEqual(Object.keys(rowOf(request, 'sqlite')).sort());
  });

  it.each(['sqlite', 'postgres'] as const)('gives back the registration it stored, from %s', (driver) => {
    expect(registrationOfRow(rowOf(request, driver))).toEqual({
      id: 'r1',
      collection: '/docs',
      user: 'zoë',
      subscription: request.subscription,
      trigger: request.trigger,
      created: 1_700_000_000_000,
      expires: request.expires,
      failures: 0,
    });
  });

  it.each(['sqlite', 'postgres'] as const)('reads the last delivery, failed or not, from %s', (driver) => {
    const failed = registrationOfRow(rowOf(request, driver, { at: 1_700_000_000_500, ok: false, status: 410, error: 'gone' }));
    expect(failed.lastDelivery).toEqual({ at: 1_700_000_000_500, ok: false, status: 410, error: 'gone' });
    expect(failed.failures).toBe(2);
    const ok = registrationOfRow(rowOf(request, driver, { at: 1_700_000_000_600, ok: true, status: 201 }));
    expect(ok.lastDelivery).toEqual({ at: 1_700_000_000_600, ok: true, status: 201 });
  });

  it('keeps an absent trigger and an anonymous user absent', () => {
    const bare: PushRegistrationRequest = { ...request, user: undefined, trigger: { contentUpdate: 0 } };
    const r = registrationOfRow(rowOf(bare, 'sqlite'));
    expect(r.user).toBeUndefined();
    expect(r.trigger).toEqual({ contentUpdate: 0 });
    expect('propertyUpdate' in r.trigger).toBe(false);
  });

  it('round-trips every depth', () => {
    for (const d of [0, 1, 'infinity'] as const) expect(pushDepthOf(pushDepthText(d))).toBe(d);
    expect(pushDepthText(undefined)).toBeNull();
    expect(pushDepthOf(null)).toBeUndefined();
  });
});
