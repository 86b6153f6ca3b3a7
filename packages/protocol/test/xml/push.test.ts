/**
 * WebDAV-Push bodies: the draft's own push-register sample reads as it
 * says; each refusal names the draft's precondition; a push-message reads
 * back as the draft's sample shape.
 */
import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { DAV, PUSH, parsePushRegister, parseXml, pushMessageBody, type PushRegisterResult } from '@davsync/protocol';

/** The push-register sample of draft-bitfire-webdav-push (xml/sample-push-register.xml). */
const SAMPLE = `<push-register xmlns="https://bitfire.at/webdav-push" xmlns:D="DAV:">
  <subscription>
    <web-push-subscription>
      <push-resource>https://up.example.net/yohd4yai5Phiz1wi</push-resource>
      <content-encoding>aes128gcm</content-encoding>
      <subscription-public-key type="p256dh">BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4</subscription-public-key>
      <auth-secret>BTBZMqHH6r4Tts7J_aSIgg</auth-secret>
    </web-push-subscription>
  </subscription>
  <trigger>
    <content-update>
      <D:depth>infinity</D:depth>
    </content-update>
    <property-update>
      <D:depth>0</D:depth>
      <D:prop>
        <D:displayname/>
        <D:owner/>
      </D:prop>
    </property-update>
  </trigger>
  <expires>Wed, 20 Dec 2023 10:03:31 GMT</expires>
</push-register>`;

const parse = async (xml: string): Promise<PushRegisterResult> => parsePushRegister(await parseXml(xml));

describe('push-register', () => {
  it("reads the draft's sample", async () => {
    expect(await parse(SAMPLE)).toEqual({
      ok: true,
      request: {
        subscription: {
          pushResource: 'https://up.example.net/yohd4yai5Phiz1wi',
          publicKey: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
          authSecret: 'BTBZMqHH6r4Tts7J_aSIgg',
        },
        contentUpdate: 'infinity',
        propertyUpdate: 0,
        expires: new Date(Date.UTC(2023, 11, 20, 10, 3, 31)),
      },
    });
  });

  it('accepts a freshly made key pair and secret, and ignores an invalid expires', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const raw = Buffer.from((publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
    const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]).toString('base64url');
    expect(raw).toHaveLength(32);
    const xml = SAMPLE.replace(/BCVxsr7N[^<]+/, point).replace('BTBZMqHH6r4Tts7J_aSIgg', randomBytes(16).toString('base64url')).replace('Wed, 20 Dec 2023 10:03:31 GMT', 'tomorrow');
    const result = await parse(xml);
    expect(result.ok && result.request.subscription.publicKey).toBe(point);
    expect(result.ok && result.request.expires).toBeUndefined();
  });

  it('ignores an expires that is no real date (the one HTTP-date reader refuses 31 February)', async () => {
    const result = await parse(SAMPLE.replace('Wed, 20 Dec 2023 10:03:31 GMT', 'Tue, 31 Feb 2026 10:03:31 GMT'));
    expect(result.ok).toBe(true);
    expect(result.ok && result.request.expires).toBeUndefined();
  });

  it.each([
    ['no subscription', SAMPLE.replace(/<subscription>[\s\S]*<\/subscription>/, ''), 'invalid-subscription'],
    ['no push resource', SAMPLE.replace(/<push-resource>.*<\/push-resource>/, ''), 'invalid-subscription'],
    ['another encoding', SAMPLE.replace('aes128gcm', 'aesgcm'), 'invalid-subscription'],
    ['a key without its type', SAMPLE.replace(' type="p256dh"', ''), 'invalid-subscription'],
    ['a key that is not a point', SAMPLE.replace(/BCVxsr7N[^<]+/, 'AAAA'), 'invalid-subscription'],
    ['a short auth secret', SAMPLE.replace('BTBZMqHH6r4Tts7J_aSIgg', 'BTBZMqHH'), 'invalid-subscription'],
    ['no trigger', SAMPLE.replace(/<trigger>[\s\S]*<\/trigger>/, ''), 'no-supported-trigger'],
    ['only unknown depths', SAMPLE.replace('infinity', '2').replace('<D:depth>0</D:depth>', '<D:depth>x</D:depth>'), 'no-supported-trigger'],
  ])('%s → 403 %s', async (_what, xml, condition) => {
    expect(await parse(xml)).toMatchObject({ ok: false, condition });
  });

  it('another root element is a bad request', async () => {
    await expect(parse('<D:propfind xmlns:D="DAV:"/>')).rejects.toMatchObject({ reason: 'bad-request' });
  });
});

describe('push-message', () => {
  it('writes topic, content-update with the token, property-update only when fired', async () => {
    const root = await parseXml(pushMessageBody({ topic: 'T0p1c', contentUpdate: true, propertyUpdate: false, syncToken: 'http://example.com/sync/10' }));
    expect(root.name).toBe(PUSH.pushMessage);
    expect(root.children.map((c) => c.name)).toEqual([PUSH.topic, PUSH.contentUpdate]);
    expect(root.children[0]!.text).toBe('T0p1c');
    expect(root.children[1]!.children[0]).toMatchObject({ name: DAV.syncToken, text: 'http://example.com/sync/10' });
    const both = await parseXml(pushMessageBody({ topic: 'T', contentUpdate: true, propertyUpdate: true }));
    expect(both.children.map((c) => c.name)).toEqual([PUSH.topic, PUSH.contentUpdate, PUSH.propertyUpdate]);
  });
});
