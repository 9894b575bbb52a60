import type { PolicyStatement } from '../model/posture.js';

/**
 * When is an S3 bucket-policy statement public? Reflex follows AWS's own definition ("The meaning of
 * public" in the S3 Block Public Access docs) with the facts decidable from the document alone:
 *
 * 1. Only `Allow` statements can be public.
 * 2. A Principal of `*`, `{"AWS": "*"}` (or a list containing `*`), or a `NotPrincipal` (everyone not named)
 *    grants to everyone ...
 * 3. ... which is public unless a Condition pins it to fixed, non-wildcard values of a key that names a
 *    non-public party: aws:SourceVpc, aws:SourceVpce, aws:PrincipalOrgID, aws:SourceAccount, aws:PrincipalAccount,
 *    aws:SourceArn, aws:SourceOwner, aws:PrincipalArn, aws:userid, s3:DataAccessPointArn,
 *    s3:DataAccessPointAccount, or aws:SourceIp with ranges no wider than /8 (IPv4) or /32 (IPv6).
 *
 * Which operators pin, per the IAM User Guide ("IAM JSON policy elements: Condition operators", and
 * "Single-valued vs. multivalued context keys", docs.aws.amazon.com/IAM/latest/UserGuide/):
 * - A key absent from the request makes a positive operator false: StringEquals, StringEqualsIgnoreCase,
 *   StringLike, ArnEquals, ArnLike, IpAddress pin (so does `ForAnyValue:` on them: false with no value).
 * - Negated operators (StringNotEquals, ArnNotLike, NotIpAddress...) are true when the key is absent and for every
 *   other value: they never pin.
 * - `...IfExists` is true when the key is absent, and `ForAllValues:` "also returns true if there are no context
 *   keys in the request" (aws:SourceVpce is absent from any request not made through a VPC endpoint): neither
 *   pins, unless the same statement also requires the key with `Null: {key: "false"}` (conditions are ANDed).
 * - `Null` and `Bool` (aws:SecureTransport among them) say nothing about who asks: they never pin.
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
  if (s.NotPrincipal === undefined && !grantsToEveryone(s.Principal)) return false;
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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const valuesOf = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).map(String);

/** Keys the statement requires to be in the request: `Null: {key: "false"}`. */
function requiredKeys(condition: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const [operator, entries] of Object.entries(condition)) {
    if (operator.toLowerCase() !== 'null' || !isRecord(entries)) continue;
    for (const [key, value] of Object.entries(entries)) {
      const values = valuesOf(value);
      if (values.length > 0 && values.every((v) => v.toLowerCase() === 'false')) out.add(key.toLowerCase());
    }
  }
  return out;
}

function restrictedByCondition(condition: PolicyStatement['Condition']): boolean {
  if (!isRecord(condition)) return false;
  const required = requiredKeys(condition);
  for (const [rawOperator, entries] of Object.entries(condition)) {
    const match = /^(?:(forallvalues|foranyvalue):)?(.*?)(ifexists)?$/i.exec(rawOperator);
    const set = match?.[1]?.toLowerCase();
    const operator = (match?.[2] ?? '').toLowerCase();
    const ifExists = match?.[3] !== undefined;
    if (!POSITIVE_OPERATORS.has(operator) || !isRecord(entries)) continue;
    for (const [rawKey, value] of Object.entries(entries)) {
      const key = rawKey.toLowerCase();
      // True without the key in the request: pins only where the statement also demands the key.
      if ((set === 'forallvalues' || ifExists) && !required.has(key)) continue;
      const values = valuesOf(value);
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
