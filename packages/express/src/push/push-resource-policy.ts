/**
 * Where a push resource may point. A registration makes the server POST to
 * a URL a client chose, so an unchecked one turns the server into a request
 * forger against its own network. The rules, checked when a client
 * registers and again, on the addresses a name resolves to, when a message
 * is sent (a name may resolve elsewhere later):
 * - https only; plain http only to a loopback address, and only with
 *   `allowHttpLoopback` (tests run a push service on 127.0.0.1);
 * - no credentials in the URL, at most 2 048 characters;
 * - not the server itself (the request's own host and port);
 * - no loopback, private, link-local, shared, multicast or reserved address
 *   unless `allowPrivateAddresses` (loopback also with `allowHttpLoopback`).
 */
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

export interface PushResourcePolicyOptions {
  /** Let push resources be plain http on a loopback address (tests). Default false. */
  readonly allowHttpLoopback?: boolean;
  /** Let push resources be on loopback, private and other non-public addresses. Default false. */
  readonly allowPrivateAddresses?: boolean;
}

export const MAX_PUSH_RESOURCE_LENGTH = 2048;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Addresses no push service of the public internet has (RFC 6890 and the IANA special-purpose registries). */
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv6');

/** An IPv4-mapped IPv6 address as the IPv4 address it is, so one rule covers both spellings. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return { address: mapped[1] as string, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export class PushResourcePolicy {
  private readonly allowHttpLoopback: boolean;
  private readonly allowPrivate: boolean;

  constructor(options: PushResourcePolicyOptions = {}) {
    this.allowHttpLoopback = options.allowHttpLoopback ?? false;
    this.allowPrivate = options.allowPrivateAddresses ?? false;
  }

  /**
   * Why `resource` may not be a push resource for a server reached as
   * `ownHost` (the request's Host: hostname and port), or `undefined` when it may.
   */
  refusal(resource: string, ownHost?: string): string | undefined {
    if (resource.length > MAX_PUSH_RESOURCE_LENGTH) return `push resource longer than ${MAX_PUSH_RESOURCE_LENGTH} characters`;
    let url: URL;
    try {
      url = new URL(resource);
    } catch {
      return 'push resource is not an absolute URL';
    }
    if (url.username !== '' || url.password !== '') return 'push resource must not carry credentials';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (url.protocol === 'http:') {
      if (!this.allowHttpLoopback) return 'push resource must be https';
      if (!(isIP(host) !== 0 && this.isLoopback(host))) return 'push resource may be plain http only on a loopback address';
    } else if (url.protocol !== 'https:') {
      return 'push resource must be https';
    }
    if (ownHost !== undefined && url.host.toLowerCase() === ownHost.toLowerCase()) return 'push resource must not point at this server';
    if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) {
      return this.allowPrivate ? undefined : 'push resource must not be on a loopback or private address';
    }
    if (isIP(host) !== 0) return this.addressRefusal(host);
    return undefined;
  }

  /** Why a push service at `address` may not be contacted, or `undefined`. */
  addressRefusal(address: string): string | undefined {
    if (this.allowPrivate) return undefined;
    if (this.allowHttpLoopback && this.isLoopback(address)) return undefined;
    const a = unmapped(address);
    if (NON_PUBLIC.check(a.address, a.family)) return `push resource address ${address} is loopback, private or reserved`;
    return undefined;
  }

  /**
   * A `lookup` for `http.request` that resolves as usual and refuses when
   * any address the name resolves to is refused: the connection then goes
   * only to an address that was checked (no rebinding between check and use).
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = addresses.map((a) => this.addressRefusal(a.address)).find((r) => r !== undefined);
      if (refused !== undefined) return callback(Object.assign(new Error(refused), { code: 'EPUSHADDRESS' }), '', 0);
      if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };

  private isLoopback(address: string): boolean {
    const a = unmapped(address);
    return LOOPBACK.check(a.address, a.family);
  }
}
