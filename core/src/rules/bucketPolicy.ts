import type { PolicyStatement } from '../model/posture.js';

/**
 * When is an S3 bucket-policy statement public? Reflex follows AWS's own definition ("The meaning of
 * public" in the S3 Block Public Access docs) with the facts decidable from the document alone:
 *
 * 1. Only `Allow` statements can be public.
 * 2. `NotPrincipal` in an Allow grants to everyone not named: public.
 * 3. A Principal of `*`, `{"AWS": "*"}` (or a list containing `*`) is public ...
 * 4. ... unless a Condition pins it to fixed, non-wildcard values of a key that names a non-public
 *    party: aws:SourceVpc, aws:SourceVpce, aws:PrincipalOrgID, aws:SourceAccount, aws:PrincipalAccount,
 *    aws:SourceArn, aws:SourceOwner, aws:PrincipalArn, aws:userid, s3:DataAccessPointArn,
 *    s3:DataAccessPointAccount, or aws:SourceIp with ranges no wider than /8 (IPv4) or /32 (IPv6).
 *    Only positive operators pin (StringEquals, StringLike without wildcards, ArnEquals, ArnLike without
 *    wildcards, IpAddress); `...IfExists` and negated operators do not, since a request without the key,
 *    or with any other value, still passes.
 */
const RESTRICTING_KEYS = new Set(
  [
    'aws:SourceVpc',
    'aws:SourceVpce',
    'aws:PrincipalOrgID',
    'aws:SourceAccount',
    'aws:PrincipalAccount',
    'aws:SourceArn',
    'aws:SourceOwner',
    'aws:PrincipalArn',
    'aws:userid',
    's3:DataAccessPointArn',
    's3:DataAccessPointAccount',
  ].map((k) => k.toLowerCase()),
);
const POSITIVE_OPERATORS = new Set(
  ['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike', 'IpAddress'].map((o) =>
    o.toLowerCase(),
  ),
);

export function isPublicStatement(s: PolicyStatement): boolean {
  if (s.Effect !== 'Allow') return false;
  if (s.NotPrincipal !== undefined) return true;
  if (!grantsToEveryone(s.Principal)) return false;
  return !restrictedByCondition(s.Condition);
}

function grantsToEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') {
    const aws = (principal as Record<string, unknown>).AWS ?? (principal as Record<string, unknown>).CanonicalUser;
    const list = Array.isArray(aws) ? aws : [aws];
    return list.some((p) => p === '*');
  }
  return false;
}

function restrictedByCondition(condition: PolicyStatement['Condition']): boolean {
  if (!condition) return false;
  for (const [rawOperator, entries] of Object.entries(condition)) {
    const operator = rawOperator.replace(/^For(AllValues|AnyValue):/i, '').toLowerCase();
    if (!POSITIVE_OPERATORS.has(operator) || !entries) continue;
    for (const [rawKey, value] of Object.entries(entries)) {
      const key = rawKey.toLowerCase();
      const values = (Array.isArray(value) ? value : [value]).map(String);
      if (values.length === 0) continue;
      if (key === 'aws:sourceip' && operator === 'ipaddress' && values.every(isNarrowCidr)) return true;
      if (RESTRICTING_KEYS.has(key) && values.every(isFixedValue)) return true;
    }
  }
  return false;
}

/** A policy variable (`${aws:username}`) or a wildcard makes a value not fixed. */
function isFixedValue(v: string): boolean {
  return v.length > 0 && !/[*?]|\$\{/.test(v);
}

function isNarrowCidr(v: string): boolean {
  const [addr, len] = v.split('/');
  if (!addr) return false;
  const bits = len === undefined ? (addr.includes(':') ? 128 : 32) : Number(len);
  if (!Number.isInteger(bits)) return false;
  return addr.includes(':') ? bits >= 32 : bits >= 8;
}
