/**
 * Where the server listens, and whether that exposes it: the decision
 * behind the "no authentication on a non-loopback address" warning, kept
 * apart from any socket so it can be tested without binding one.
 */
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4'); // all of 127/8 is loopback, not just .1
LOOPBACK.addAddress('::1', 'ipv6'); // BlockList also matches IPv4-mapped forms (::ffff:127.0.0.1) against the IPv4 rule

/**
 * Whether only this machine can connect to `address`: `localhost`, 127/8,
 * `::1` (and their IPv4-mapped forms). Wildcards (`0.0.0.0`, `::`), LAN
 * addresses and any other name are reachable from elsewhere.
 */
export function isLoopback(address: string): boolean {
  if (address.toLowerCase() === 'localhost') return true;
  const family = isIP(address);
  if (family === 0) return false;
  try {
    return LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false; // e.g. a scoped IPv6 address (fe80::1%eth0) BlockList cannot parse: not loopback
  }
}

/** Whether to warn: anyone on the network could read and change the served files. */
export function exposedWithoutAuth(address: string, authenticated: boolean): boolean {
  return !authenticated && !isLoopback(address);
}

/** `HOST:PORT`, with an IPv6 address in brackets (RFC 3986 §3.2.2). */
export function authority(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host.replace('%', '%25')}]` : host}:${port}`;
}

/** `http://HOST:PORT/`. */
export function httpUrl(host: string, port: number): string {
  return `http://${authority(host, port)}/`;
}
