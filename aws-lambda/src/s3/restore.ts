import {
  DeleteBucketEncryptionCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketPolicyCommand,
  PutBucketAclCommand,
  PutBucketEncryptionCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { Acl, AclGrant, AuditRecord, PublicAccessBlock, RestoreResult, StoragePosture } from '@reflex/core';
import { requestIdOf, unlessMissing } from '../errors.js';
import { blockDifference, policyDifference, sameBlock, samePolicy } from './containment.js';
import { withBucketPolicyLock, writingPolicy } from './policyLock.js';

/**
 * Undo of the bucket fixes. Each compares the part of the bucket its step wrote with the recorded "after": when it
 * differs, someone changed it since and the restore refuses, naming the difference; when it already equals the
 * recorded "before" there is nothing to do (e.g. the second of two policy steps that were written as one).
 */
export async function restoreBucketFix(
  s3: S3Client,
  record: AuditRecord,
  current: StoragePosture | null,
  check: boolean,
): Promise<RestoreResult> {
  const Bucket = record.resource.name;
  const where = `s3://${Bucket}`;
  if (!current) return { status: 'refused', differences: [`${where} no longer exists`] };
  const refused = (differences: string[]): RestoreResult => ({ status: 'refused', differences });
  const done = (requestIds: string[] = []): RestoreResult => ({
    status: check ? 'restorable' : 'restored',
    requestIds,
  });
  const { fix } = record;

  switch (fix.type) {
    case 'block-public-access': {
      const before = record.before as PublicAccessBlock | null;
      const now = current.publicAccess.bucketBlock ?? null;
      if (sameBlock(now, before)) return { status: 'restored', requestIds: [] };
      const diff = blockDifference(where, now, record.after as PublicAccessBlock);
      if (diff.length > 0) return refused(diff);
      if (check) return done();
      const out = before
        ? await s3.send(
            new PutPublicAccessBlockCommand({
              Bucket,
              PublicAccessBlockConfiguration: {
                BlockPublicAcls: before.blockPublicAcls,
                IgnorePublicAcls: before.ignorePublicAcls,
                BlockPublicPolicy: before.blockPublicPolicy,
                RestrictPublicBuckets: before.restrictPublicBuckets,
              },
            }),
          )
        : await s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
      return done(requestIdOf(out));
    }
    case 'remove-public-grants': {
      const before = record.before as Acl;
      const after = record.after as Acl;
      const now = current.publicAccess.acl?.grants ?? [];
      if (sameGrants(now, before.grants)) return { status: 'restored', requestIds: [] };
      if (!sameGrants(now, after.grants))
        return refused([
          `${where}: the ACL grants are [${showGrants(now)}]; Reflex left [${showGrants(after.grants)}]`,
        ]);
      if (check) return done();
      const out = await s3.send(
        new PutBucketAclCommand({
          Bucket,
          AccessControlPolicy: { Owner: { ID: before.owner.id }, Grants: before.grants.map(toSdkGrant) },
        }),
      );
      return done(requestIdOf(out));
    }
    case 'remove-public-statements':
    case 'require-secure-transport':
      return withBucketPolicyLock(Bucket, async () => {
        const before = record.before as string | null;
        const fresh = await unlessMissing(
          s3.send(new GetBucketPolicyCommand({ Bucket })),
          ['NoSuchBucketPolicy'],
          null,
        );
        const now = fresh?.Policy ?? null;
        if (samePolicy(now, before)) return { status: 'restored', requestIds: [] };
        const diff = policyDifference(where, now, record.after as string | null);
        if (diff.length > 0) return refused(diff);
        if (check) return done();
        const out = await writingPolicy(Bucket, () =>
          before
            ? s3.send(new PutBucketPolicyCommand({ Bucket, Policy: before }))
            : s3.send(new DeleteBucketPolicyCommand({ Bucket })),
        );
        return done(requestIdOf(out));
      });
    case 'enable-encryption': {
      const before = record.before as StoragePosture['encryption'];
      const wrote = (
        record.after as {
          Rules?: { ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string } }[];
        }
      ).Rules?.[0]?.ApplyServerSideEncryptionByDefault;
      const now = current.encryption;
      const show = (e: { algorithm?: string; keyId?: string; enabled?: boolean }) =>
        e.enabled === false || !e.algorithm ? 'none' : `${e.algorithm}${e.keyId ? ` (${e.keyId})` : ''}`;
      if (show(now) === show(before)) return { status: 'restored', requestIds: [] };
      const wroteText = show({ algorithm: wrote?.SSEAlgorithm, keyId: wrote?.KMSMasterKeyID });
      if (show(now) !== wroteText)
        return refused([`${where}: default encryption is ${show(now)}; Reflex set ${wroteText}`]);
      if (check) return done();
      const out =
        before.enabled && before.algorithm
          ? await s3.send(
              new PutBucketEncryptionCommand({
                Bucket,
                ServerSideEncryptionConfiguration: {
                  Rules: [
                    {
                      ApplyServerSideEncryptionByDefault: {
                        SSEAlgorithm: before.algorithm as ServerSideEncryption,
                        ...(before.keyId ? { KMSMasterKeyID: before.keyId } : {}),
                      },
                      ...(before.bucketKey !== undefined ? { BucketKeyEnabled: before.bucketKey } : {}),
                    },
                  ],
                },
              }),
            )
          : await s3.send(new DeleteBucketEncryptionCommand({ Bucket }));
      return done(requestIdOf(out));
    }
    case 'enable-logging': {
      // Only the source bucket's logging is put back. The log-delivery statement on the target bucket stays: other
      // buckets fixed later found it there and rely on it.
      const before = (record.before as { logging: StoragePosture['logging'] }).logging;
      const wrote = (record.after as { logging: StoragePosture['logging'] }).logging;
      const now = current.logging;
      const show = (l: StoragePosture['logging']) => (l.enabled ? `to s3://${l.target}/${l.prefix ?? ''}` : 'off');
      if (show(now) === show(before)) return { status: 'restored', requestIds: [] };
      if (show(now) !== show(wrote))
        return refused([`${where}: access logging is ${show(now)}; Reflex set ${show(wrote)}`]);
      if (check) return done();
      const out = await s3.send(
        new PutBucketLoggingCommand({
          Bucket,
          BucketLoggingStatus:
            before.enabled && before.target
              ? { LoggingEnabled: { TargetBucket: before.target, TargetPrefix: before.prefix ?? '' } }
              : {},
        }),
      );
      return done(requestIdOf(out));
    }
    default:
      return refused([`Reflex cannot undo ${fix.type} on an S3 bucket`]);
  }
}

const grantKey = (g: AclGrant) => `${g.granteeType}:${g.grantee}:${g.permission}`;

function sameGrants(a: AclGrant[], b: AclGrant[]): boolean {
  const ka = a.map(grantKey).sort();
  const kb = b.map(grantKey).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

function showGrants(grants: AclGrant[]): string {
  return grants
    .map((g) => `${g.grantee.replace('http://acs.amazonaws.com/groups/global/', '')} ${g.permission}`)
    .join(', ');
}

function toSdkGrant(g: AclGrant) {
  const Grantee =
    g.granteeType === 'Group'
      ? { Type: 'Group' as const, URI: g.grantee }
      : g.granteeType === 'AmazonCustomerByEmail'
        ? { Type: 'AmazonCustomerByEmail' as const, EmailAddress: g.grantee }
        : { Type: 'CanonicalUser' as const, ID: g.grantee };
  return { Grantee, Permission: g.permission };
}
