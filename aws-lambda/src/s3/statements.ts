import { globMatch, type PolicyDocument, type PolicyStatement } from '@reflex/core';

/** The bucket-policy statements Reflex writes, and how it recognises them (or their equivalent) when present. */

export const SECURE_TRANSPORT_SID = 'ReflexDenyInsecureTransport';
export const LOG_DELIVERY_SID = 'ReflexS3ServerAccessLogsPolicy';
export const LOG_DELIVERY_SERVICE = 'logging.s3.amazonaws.com';

export function secureTransportStatement(bucketArn: string): PolicyStatement {
  return {
    Sid: SECURE_TRANSPORT_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A Deny of all s3 actions to everyone when aws:SecureTransport is false (how AWS documents "HTTPS only"), on the
 * bucket and its objects when the bucket is named. Conditions in a statement are ANDed, so any other condition
 * (`StringEquals aws:SourceVpce`, a second key under Bool) narrows the Deny to some requests: not HTTPS-only.
 * BoolIfExists is the same here, aws:SecureTransport being in every request. An `s3:TlsVersion` Deny does not
 * count: a plain-HTTP request has no TLS version, and NumericLessThan on an absent key is false.
 */
export function requiresSecureTransport(doc: PolicyDocument, bucketArn?: string): boolean {
  return doc.Statement.some((s) => {
    if (s.Effect !== 'Deny' || s.NotPrincipal !== undefined) return false;
    const everyone = s.Principal === '*' || asList((s.Principal as { AWS?: unknown } | undefined)?.AWS).includes('*');
    if (!everyone) return false;
    const actions = asList(s.Action).map(String);
    if (!actions.some((a) => a === 's3:*' || a === '*')) return false;
    if (bucketArn !== undefined) {
      const resources = asList(s.Resource).map(String);
      const covers = (arn: string) => resources.some((r) => globMatch(r, arn));
      if (!covers(bucketArn) || !covers(`${bucketArn}/any-object`)) return false;
    }
    if (!isRecord(s.Condition)) return false;
    const conditions = Object.entries(s.Condition).flatMap(([op, entries]) =>
      isRecord(entries)
        ? Object.entries(entries).map(([key, value]) => ({ op: op.toLowerCase(), key, value }))
        : [{ op, key: '', value: undefined }],
    );
    return (
      conditions.length > 0 &&
      conditions.every(
        (c) =>
          (c.op === 'bool' || c.op === 'boolifexists') &&
          c.key.toLowerCase() === 'aws:securetransport' &&
          asList(c.value).map(String).includes('false'),
      )
    );
  });
}

/**
 * S3 server access logging writes as the logging service principal, allowed by the target's bucket policy
 * (ACL grants to the LogDelivery group fail on buckets with ACLs disabled, the default since 2023).
 */
export function logDeliveryStatement(targetBucketArn: string, sourceAccount: string): PolicyStatement {
  return {
    Sid: LOG_DELIVERY_SID,
    Effect: 'Allow',
    Principal: { Service: LOG_DELIVERY_SERVICE },
    Action: 's3:PutObject',
    Resource: `${targetBucketArn}/*`,
    ...(sourceAccount ? { Condition: { StringEquals: { 'aws:SourceAccount': sourceAccount } } } : {}),
  };
}

/** Does an Allow statement already let the logging service put objects (for this account, or for any)? */
export function allowsLogDelivery(doc: PolicyDocument | null, sourceAccount: string): boolean {
  return (doc?.Statement ?? []).some((s) => {
    if (s.Effect !== 'Allow') return false;
    const service = asList((s.Principal as { Service?: unknown } | undefined)?.Service).map(String);
    if (!service.includes(LOG_DELIVERY_SERVICE)) return false;
    const actions = asList(s.Action).map(String);
    if (!actions.some((a) => a === 's3:PutObject' || a === 's3:*' || a === '*')) return false;
    const accounts = Object.values(s.Condition ?? {}).flatMap((entries) =>
      Object.entries(entries)
        .filter(([k]) => k.toLowerCase() === 'aws:sourceaccount')
        .flatMap(([, v]) => asList(v).map(String)),
    );
    return accounts.length === 0 || !sourceAccount || accounts.includes(sourceAccount);
  });
}

export function policyText(statements: PolicyStatement[], base?: PolicyDocument | null): string {
  return JSON.stringify({
    Version: base?.Version ?? '2012-10-17',
    ...(base?.Id ? { Id: base.Id } : {}),
    Statement: statements,
  });
}
