import { isIP } from 'node:net';
import { excludeCidr, mergeCidr, parseCidr } from 'cidr-tools';

/**
 * How much of the public internet a set of CIDRs reaches. Address validation is Node's (`net.isIP`), address
 * arithmetic (merge, exclude, sizes) cidr-tools'; no bit math here.
 *
 * What is not public: the blocks of the IANA IPv4 / IPv6 Special-Purpose Address Registries (RFC 6890) that are
 * not globally reachable, as data below; a test checks each against ipaddr.js's own range() classification.
 * IPv4: "this network" 0/8, RFC 1918 private, CGNAT 100.64/10, loopback, link-local, IETF protocol assignments,
 * documentation, benchmarking, multicast, 240/4 reserved, broadcast. IPv6: unspecified, loopback, IPv4-mapped and
 * -translated, discard, IETF protocol assignments 2001::/23, documentation, segment routing, ULA fc00::/7,
 * site-local, link-local, multicast. Globally reachable special blocks (AS112, AMT, 6to4, NAT64 64:ff9b::/96)
 * count as public; so does IPv6 space outside 2000::/3, unallocated today but not private, and half the world's
 * split (`8000::/1`).
 */
export const NOT_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;
export const NOT_PUBLIC_V6 = [
  '::/128',
  '::1/128',
  '::ffff:0:0/96',
  '::ffff:0:0:0/96',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  '3fff::/20',
  '5f00::/16',
  'fc00::/7',
  'fec0::/10',
  'fe80::/10',
  'ff00::/8',
] as const;

type Family = 4 | 6;

const NOT_PUBLIC: Record<Family, string[]> = {
  4: mergeCidr([...NOT_PUBLIC_V4]),
  6: mergeCidr([...NOT_PUBLIC_V6]),
};

const sizeOf = (cidrs: readonly string[]): bigint =>
  cidrs.reduce((sum, c) => {
    const p = parseCidr(c);
    return sum + (p.end - p.start + 1n);
  }, 0n);

/** The number of public addresses in each family. */
export const PUBLIC_SIZE: Record<Family, bigint> = {
  4: sizeOf(excludeCidr(['0.0.0.0/0'], NOT_PUBLIC[4])),
  6: sizeOf(excludeCidr(['::/0'], NOT_PUBLIC[6])),
};

/** A CIDR (or a single address) as the cloud wrote it, strictly parsed; undefined when it is not one. */
export function parseNetwork(value: string): { family: Family; cidr: string } | undefined {
  const [address = '', bits, ...rest] = value.trim().split('/');
  if (rest.length > 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) return undefined;
  // Node's own parser: dotted decimal only for IPv4 (no 010.0.0.0 octal, no hex), no IPv6 zone.
  const version = address.includes('%') ? 0 : isIP(address);
  if (version === 0) return undefined;
  const family: Family = version === 4 ? 4 : 6;
  const length = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
  if (length > (family === 4 ? 32 : 128)) return undefined;
  return { family, cidr: mergeCidr([`${address}/${length}`])[0]! };
}

/** The public part of one network, as merged CIDRs. */
export function publicPart(network: { family: Family; cidr: string }): string[] {
  return excludeCidr([network.cidr], NOT_PUBLIC[network.family]);
}

/** The share (0..1) of the family's public addresses that these public parts cover together. */
export function publicShare(family: Family, publicParts: readonly string[]): number {
  if (publicParts.length === 0) return 0;
  // Doubles keep 53 bits of each count: the ratio is exact to ~1e-16, far below any threshold.
  return Number(sizeOf(mergeCidr([...publicParts]))) / Number(PUBLIC_SIZE[family]);
}
