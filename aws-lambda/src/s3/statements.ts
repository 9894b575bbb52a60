import type { PolicyDocument, PolicyStatement } from '@reflex/core';

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

/** A Deny of s3 actions to everyone when aws:SecureTransport is false (how AWS documents "HTTPS only"). */
export function requiresSecureTransport(doc: PolicyDocument): boolean {
  return doc.Statement.some((s) => {
    if (s.Effect !== 'Deny') return false;
    const everyone = s.Principal === '*' || asList((s.Principal as { AWS?: unknown } | undefined)?.AWS).includes('*');
    if (!everyone) return false;
    const actions = asList(s.Action).map(String);
    if (!actions.some((a) => a === 's3:*' || a === '*')) return false;
    const bool = Object.entries(s.Condition ?? {}).find(([op]) => op.toLowerCase() === 'bool')?.[1];
    const value = bool && Object.entries(bool).find(([k]) => k.toLowerCase() === 'aws:securetransport')?.[1];
    return asList(value).map(String).includes('false');
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
