/** The edge settings' lists, from flags or the environment: the trusted proxies are checked before the server starts. */
import { describe, expect, it } from 'vitest';
import { compileTrust } from '../../src/client-address.js';
import { resolveEdgeLimits } from '../../src/config.js';

describe('resolveEdgeLimits: trusted proxies', () => {
  it('none by default: no forwarding header is believed', () => {
    expect(resolveEdgeLimits({}, {}).trustedProxies).toEqual([]);
  });

  it('addresses, CIDR ranges and named ranges, comma-separated, from the flag or the environment', () => {
    expect(resolveEdgeLimits({ trustedProxies: '10.0.0.13, 10.1.0.0/16,loopback' }, {}).trustedProxies).toEqual([
      '10.0.0.13',
      '10.1.0.0/16',
      'loopback',
    ]);
    expect(resolveEdgeLimits({}, { IXVAULT_TRUSTED_PROXIES: 'fd00::/8' }).trustedProxies).toEqual(['fd00::/8']);
  });

  it('accepts only what the proxy check compiles (the server builds it from the same list)', () => {
    const list = resolveEdgeLimits(
      { trustedProxies: '10.0.0.13,10.1.0.0/16,::1,fd00::/8,::ffff:10.0.0.1,loopback,linklocal,uniquelocal' },
      {},
    ).trustedProxies;
    expect(() => compileTrust(list)).not.toThrow();
  });

  it('refuses what is not an address, naming the flag and the variable', () => {
    expect(() => resolveEdgeLimits({ trustedProxies: 'nginx.internal' }, {})).toThrow(
      /--trusted-proxies \(IXVAULT_TRUSTED_PROXIES\) must be IP addresses or CIDR ranges/,
    );
    for (const wrong of ['10.0.0.0/99', '10.0.0.0/8/8', 'fd00::/129', '10.0.0.256', 'localhost'])
      expect(() => resolveEdgeLimits({}, { IXVAULT_TRUSTED_PROXIES: wrong })).toThrow(
        new RegExp(`--trusted-proxies.*'${wrong}'`),
      );
  });
});
