import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { NOT_PUBLIC_V4, NOT_PUBLIC_V6, parseNetwork, publicPart, publicShare } from '../src/rules/publicAddresses.js';

describe('public address space', () => {
  it('every block counted as not public is a special-purpose block to ipaddr.js too', () => {
    for (const block of [...NOT_PUBLIC_V4, ...NOT_PUBLIC_V6]) {
      const [addr, bits] = ipaddr.parseCIDR(block);
      const first = ipaddr.fromByteArray(
        addr.toByteArray().map((b, i) => b & ((0xff << Math.max(0, Math.min(8, (i + 1) * 8 - bits))) & 0xff)),
      );
      expect([block, first.range()]).not.toEqual([block, 'unicast']);
    }
  });

  it('public addresses are public, special ones are not', () => {
    const share = (v: string) => {
      const n = parseNetwork(v)!;
      return publicShare(n.family, publicPart(n));
    };
    expect(share('8.8.8.0/24')).toBeGreaterThan(0);
    expect(share('2606:4700::/32')).toBeGreaterThan(0);
    for (const v of ['10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', 'fc00::/7', 'fe80::/10', '::1'])
      expect(share(v)).toBe(0);
    expect(share('0.0.0.0/0')).toBe(1);
    expect(share('::/0')).toBe(1);
    expect(share('0.0.0.0/1') + share('128.0.0.0/1')).toBeCloseTo(1, 4);
  });

  it('parses strictly: no octal, no out-of-range prefix, no garbage', () => {
    for (const v of ['010.0.0.0/8', '10.0.0.1/40', '::/129', 'x.x.x.x/0', '1.2.3.4/8/9', '', 'Internet'])
      expect(parseNetwork(v)).toBeUndefined();
    expect(parseNetwork('10.1.2.3/8')).toEqual({ family: 4, cidr: '10.0.0.0/8' });
    expect(parseNetwork('2001:db8::1')).toEqual({ family: 6, cidr: '2001:db8::1/128' });
  });
});
