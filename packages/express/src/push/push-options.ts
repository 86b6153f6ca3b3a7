/**
 * The middleware's `push` option: turns WebDAV-Push on. Validated with the
 * other options (`options.ts`), so a typo is refused, not ignored.
 */
import type { PushRegistrationStore, PushTransport } from '@davsync/core';
import { z } from 'zod';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const hasMethods = (...names: string[]) => (v: unknown): boolean =>
  typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

export const pushOptionsSchema = z
  .object({
    /**
     * The server's VAPID key pair (RFC 8292), base64url, e.g. from
     * `generateVapidKeys()`; keep it: clients' subscriptions are bound to
     * the public key, and topics are derived from the private one. `subject`
     * is a contact for push service operators (`mailto:` or `https:`).
     */
    vapid: z
      .object({
        publicKey: z.string().regex(BASE64URL).length(87, 'an uncompressed P-256 public key, base64url (87 characters)'),
        privateKey: z.string().regex(BASE64URL).length(43, 'a P-256 private key, base64url (43 characters)'),
        subject: z.string().regex(/^(mailto:|https:\/\/)\S+$/, 'a mailto: or https: URL'),
      })
      .strict(),
    /** Where registrations live. Default: in memory (lost on restart). */
    store: z.custom<PushRegistrationStore>(hasMethods('register', 'get', 'remove', 'atCollections', 'list', 'recordDelivery', 'removeForUser', 'purgeExpired', 'count'), 'store must implement PushRegistrationStore').optional(),
    /** How messages are sent. Default: Web Push (RFC 8030/8291/8292). Tests may pass their own. */
    transport: z.custom<PushTransport>(hasMethods('send'), 'transport must implement PushTransport').optional(),
    /** At most one message per registration in this many ms. Default 1 000. */
    coalesceMs: z.number().int().min(0).default(1000),
    /** Registration lifetime when the client asks for none, in seconds. Default 7 days (the draft: at least 3). */
    defaultExpirySeconds: z.number().int().positive().default(7 * 86_400),
    /** Longest registration lifetime granted, in seconds. Default 30 days. */
    maxExpirySeconds: z.number().int().positive().default(30 * 86_400),
    /** Most live registrations the default store holds. Default 10 000. */
    maxRegistrations: z.number().int().positive().default(10_000),
    /** Most live registrations one user may hold (anonymous is one user), so no one fills the store. Default 100. */
    maxRegistrationsPerUser: z.number().int().positive().default(100),
    /** Let push resources be plain http on a loopback address (for tests). Default false. */
    allowHttpLoopback: z.boolean().default(false),
    /** Let push resources be on loopback or private addresses (a push service on your own network). Default false. */
    allowPrivateAddresses: z.boolean().default(false),
    /** Speak HTTP/2 to https push services that offer it (ALPN `h2`): a change's messages to one service share a connection. Default true. */
    http2: z.boolean().default(true),
    /**
     * Most HTTP/1.1 connections open to one push service (a change's messages beyond them queue). Default 32.
     * More lets a large change reach a distant service sooner (one message per connection per round trip), at a
     * TLS handshake per connection after each idle spell.
     */
    maxConnectionsPerService: z.number().int().min(1).max(1000).default(32),
    /** Most HTTP/2 streams in flight to one push service (fewer if it says so). Default 100. */
    maxStreamsPerService: z.number().int().min(1).max(1000).default(100),
    /**
     * FOR TESTS ONLY: CA certificates (PEM) trusted for push services
     * *instead of* Node's roots, so tests and benchmarks can run an https
     * (HTTP/2) push service on 127.0.0.1 with a throwaway certificate.
     * Still subject to the address rules (a loopback push service also needs
     * `allowHttpLoopback` or `allowPrivateAddresses`).
     */
    testTrustedCa: z.string().includes('-----BEGIN CERTIFICATE-----').optional(),
    /** Longest wait for a push service's answer, in ms. Default 10 000. */
    deliveryTimeoutMs: z.number().int().positive().default(10_000),
    /** Back-off after failed deliveries. */
    backoff: z
      .object({ baseMs: z.number().int().min(0).optional(), maxMs: z.number().int().min(0).optional(), maxFailures: z.number().int().positive().optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((o) => o.defaultExpirySeconds <= o.maxExpirySeconds, 'defaultExpirySeconds must not exceed maxExpirySeconds');

export type PushOptions = z.input<typeof pushOptionsSchema>;
export type ResolvedPushOptions = z.output<typeof pushOptionsSchema>;
