import type { AclGrant, IngressRule, Source } from '@reflex/core';
import { ALL_USERS, AUTHENTICATED_USERS } from '@reflex/core';
import { items, list, obj, str, text } from './json.js';

/**
 * What an event claims was changed, normalised from the shapes real events use. Reflex never acts on
 * these (it re-reads the resource); they go into logs so a human can compare claim and truth.
 */

const CANNED: Record<string, AclGrant[]> = {
  'public-read': [{ granteeType: 'Group', grantee: ALL_USERS, permission: 'READ' }],
  'public-read-write': [
    { granteeType: 'Group', grantee: ALL_USERS, permission: 'READ' },
    { granteeType: 'Group', grantee: ALL_USERS, permission: 'WRITE' },
  ],
  'authenticated-read': [{ granteeType: 'Group', grantee: AUTHENTICATED_USERS, permission: 'READ' }],
};
const PERMISSIONS = new Set(['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP']);

/** PutBucketAcl grants: `Grant` is an object for one grant and an array for several; canned ACLs in `x-amz-acl`. */
export function grantsFromRequest(request: unknown): AclGrant[] {
  const r = obj(request) ?? {};
  const out: AclGrant[] = [];
  for (const canned of list(r['x-amz-acl'])) out.push(...(CANNED[text(canned) ?? ''] ?? []));
  const acl = obj(obj(r.AccessControlPolicy)?.AccessControlList);
  for (const raw of list(acl?.Grant)) {
    const g = obj(raw);
    const grantee = obj(g?.Grantee);
    const permission = str(g?.Permission);
    if (!grantee || !permission || !PERMISSIONS.has(permission)) continue;
    const type = str(grantee['xsi:type']) ?? str(grantee.Type);
    const value = str(grantee.URI) ?? str(grantee.ID) ?? str(grantee.EmailAddress);
    if (!value) continue;
    const granteeType =
      type === 'Group' || str(grantee.URI)
        ? 'Group'
        : type === 'AmazonCustomerByEmail' || str(grantee.EmailAddress)
          ? 'AmazonCustomerByEmail'
          : 'CanonicalUser';
    out.push({ granteeType, grantee: value, permission: permission as AclGrant['permission'] });
  }
  return out;
}

/**
 * Ingress permissions of an Authorize call: the console and SDKs send `ipPermissions.items[]` with nested
 * `ipRanges.items[]`; the CLI's shorthand sends a flat `cidrIp` / `ipProtocol` / `fromPort` / `toPort`.
 */
export function ingressFromRequest(request: unknown): IngressRule[] {
  const r = obj(request) ?? {};
  const perms = items(r.ipPermissions);
  if (perms.length === 0 && (str(r.cidrIp) || str(r.cidrIpv6) || str(r.sourceSecurityGroupName))) {
    const sources: Source[] = [];
    if (str(r.cidrIp)) sources.push({ kind: 'cidr', value: str(r.cidrIp)! });
    if (str(r.cidrIpv6)) sources.push({ kind: 'cidr', value: str(r.cidrIpv6)! });
    if (str(r.sourceSecurityGroupName))
      sources.push({ kind: 'security-group', value: str(r.sourceSecurityGroupName)! });
    return [rule(r.ipProtocol, r.fromPort, r.toPort, sources)];
  }
  return perms
    .map(obj)
    .filter(isDefined)
    .map((p) => {
      const sources: Source[] = [
        ...items(p.ipRanges).map((x) => cidr(obj(x)?.cidrIp ?? x)),
        ...items(p.ipv6Ranges).map((x) => cidr(obj(x)?.cidrIpv6 ?? x)),
        ...items(p.prefixListIds).map((x) => ({
          kind: 'prefix-list' as const,
          value: text(obj(x)?.prefixListId) ?? '',
        })),
        ...items(p.groups).map((x) => ({ kind: 'security-group' as const, value: text(obj(x)?.groupId) ?? '' })),
      ].filter((s): s is Source => s !== null && s.value !== '');
      return rule(p.ipProtocol, p.fromPort, p.toPort, sources);
    });
}

/** A Config item's `ipPermissions`: `ipRanges` are plain strings, `ipv4Ranges` / `ipv6Ranges` objects. */
export function ingressFromConfigItem(configuration: unknown): IngressRule[] {
  const c = obj(configuration) ?? {};
  return list(c.ipPermissions)
    .map(obj)
    .filter(isDefined)
    .map((p) => {
      const v4 = new Set<string>();
      for (const x of list(p.ipRanges)) if (typeof x === 'string') v4.add(x);
      for (const x of list(p.ipv4Ranges)) if (str(obj(x)?.cidrIp)) v4.add(str(obj(x)?.cidrIp)!);
      const sources: Source[] = [
        ...[...v4].map((value) => ({ kind: 'cidr' as const, value })),
        ...list(p.ipv6Ranges)
          .map((x) => str(obj(x)?.cidrIpv6) ?? str(x))
          .filter(isDefined)
          .map((value) => ({ kind: 'cidr' as const, value })),
        ...list(p.prefixListIds)
          .map((x) => str(obj(x)?.prefixListId) ?? str(x))
          .filter(isDefined)
          .map((value) => ({ kind: 'prefix-list' as const, value })),
        ...list(p.userIdGroupPairs)
          .map((x) => str(obj(x)?.groupId))
          .filter(isDefined)
          .map((value) => ({ kind: 'security-group' as const, value })),
      ];
      return rule(p.ipProtocol, p.fromPort, p.toPort, sources);
    });
}

/** Any /0 is the world, however the address part is written (`0.0.0.0/0`, `::/0`, scrubbed `x.x.x.x/0`). */
export function isWorld(source: Source): boolean {
  return source.kind === 'cidr' && /\/0$/.test(source.value);
}

/**
 * The world-open rules an event's request claims, for logs: never a throw, whatever the event holds (the claims
 * are read outside the parser, so they guard themselves: a shape nobody foresaw yields no claim).
 */
export function claimsOf(event: unknown): string[] {
  try {
    return describeClaims(ingressFromRequest(obj(obj(event)?.detail)?.requestParameters));
  } catch {
    return [];
  }
}

/** One line per claimed world-open rule, for logs. */
export function describeClaims(rules: IngressRule[]): string[] {
  return rules.flatMap((r) =>
    r.sources
      .filter(isWorld)
      .map(
        (s) =>
          `opens ${r.protocol} ${r.ports.map((p) => (p.from === p.to ? p.from : `${p.from}-${p.to}`)).join(',') || 'all ports'} to ${s.value}`,
      ),
  );
}

function cidr(value: unknown): Source | null {
  return typeof value === 'string' && value ? { kind: 'cidr', value } : null;
}

function rule(protocol: unknown, from: unknown, to: unknown, sources: Source[]): IngressRule {
  const p = text(protocol) ?? '-1';
  const named = { '-1': 'all', '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' }[p] ?? p.toLowerCase();
  const f = Number(text(from));
  const t = Number(text(to) ?? text(from));
  const ports = named === 'all' || !Number.isInteger(f) || f < 0 ? [] : [{ from: f, to: Number.isInteger(t) ? t : f }];
  return { id: '', direction: 'inbound', access: 'allow', protocol: named, ports, sources };
}

function isDefined<T>(v: T | undefined | null): v is T {
  return v !== undefined && v !== null;
}
