/**
 * Who sent a request when load balancers or TLS proxies stand in front of the
 * node: the address X-Forwarded-For names, believed only from the proxies the
 * operator listed (--trusted-proxies), the rightmost address not theirs. Fastify
 * takes the same function for `request.ip` (and X-Forwarded-Proto/-Host for
 * `request.protocol`/`host`); the CometD endpoint, outside Fastify, asks it
 * directly. With no proxy listed, the connection's own address, whatever the
 * headers say: a client cannot name itself.
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

export type ProxyTrust = (address: string, hop: number) => boolean;

/** Addresses, CIDR ranges, or `loopback`/`linklocal`/`uniquelocal`; throws on anything else. */
export function compileTrust(proxies: string[]): ProxyTrust {
  return proxyAddr.compile(proxies);
}

export function clientAddressOf(proxies: string[]): (request: IncomingMessage) => string | undefined {
  if (proxies.length === 0) return (request) => request.socket.remoteAddress;
  const trust = compileTrust(proxies);
  return (request) => (request.socket.remoteAddress === undefined ? undefined : proxyAddr(request, trust));
}
