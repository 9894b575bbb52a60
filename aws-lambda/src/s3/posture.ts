import {
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLoggingCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  type Grant,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Acl, AclGrant, PolicyDocument, PublicAccessBlock, ResourceRef, StoragePosture } from '@reflex/core';
import { errorCode, unlessMissing } from '../errors.js';
import { requiresSecureTransport } from './statements.js';

/** S3's "not configured" answers: states of the bucket, not failures. */
const NO_POLICY = ['NoSuchBucketPolicy'];
const NO_BLOCK = ['NoSuchPublicAccessBlockConfiguration'];
const NO_ENCRYPTION = ['ServerSideEncryptionConfigurationNotFoundError'];
const NO_OWNERSHIP = ['OwnershipControlsNotFoundError'];
const NO_TAGS = ['NoSuchTagSet'];

/** Reads everything the storage rules look at, in parallel. A bucket that is gone reads as null. */
export async function readBucket(s3: S3Client, ref: ResourceRef): Promise<StoragePosture | null> {
  const Bucket = ref.name;
  try {
    const [block, acl, policy, encryption, logging, tags, ownership] = await Promise.all([
      unlessMissing(s3.send(new GetPublicAccessBlockCommand({ Bucket })), NO_BLOCK, null),
      s3.send(new GetBucketAclCommand({ Bucket })),
      unlessMissing(s3.send(new GetBucketPolicyCommand({ Bucket })), NO_POLICY, null),
      unlessMissing(s3.send(new GetBucketEncryptionCommand({ Bucket })), NO_ENCRYPTION, null),
      s3.send(new GetBucketLoggingCommand({ Bucket })),
      unlessMissing(s3.send(new GetBucketTaggingCommand({ Bucket })), NO_TAGS, null),
      unlessMissing(s3.send(new GetBucketOwnershipControlsCommand({ Bucket })), NO_OWNERSHIP, null),
    ]);
    const document = policy?.Policy ? parsePolicy(policy.Policy) : null;
    const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
    const sse = rule?.ApplyServerSideEncryptionByDefault;
    const target = logging.LoggingEnabled;
    return {
      kind: 'storage',
      ref,
      publicAccess: {
        bucketBlock: toBlock(block?.PublicAccessBlockConfiguration),
        acl: toAcl(acl.Owner, acl.Grants),
        objectOwnership: ownership?.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? null,
        policy: document,
      },
      encryption: {
        enabled: sse?.SSEAlgorithm !== undefined,
        ...(sse?.SSEAlgorithm ? { algorithm: sse.SSEAlgorithm } : {}),
        ...(sse?.KMSMasterKeyID ? { keyId: sse.KMSMasterKeyID } : {}),
        ...(rule?.BucketKeyEnabled !== undefined ? { bucketKey: rule.BucketKeyEnabled } : {}),
      },
      logging: {
        enabled: target?.TargetBucket !== undefined,
        ...(target?.TargetBucket ? { target: target.TargetBucket } : {}),
        ...(target?.TargetPrefix !== undefined ? { prefix: target.TargetPrefix } : {}),
      },
      transport: { httpsOnly: document ? requiresSecureTransport(document) : false },
      tags: Object.fromEntries((tags?.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  } catch (err) {
    if (errorCode(err) === 'NoSuchBucket') return null;
    throw err;
  }
}

export function toBlock(
  c:
    | {
        BlockPublicAcls?: boolean;
        IgnorePublicAcls?: boolean;
        BlockPublicPolicy?: boolean;
        RestrictPublicBuckets?: boolean;
      }
    | undefined,
): PublicAccessBlock | null {
  if (!c) return null;
  return {
    blockPublicAcls: c.BlockPublicAcls === true,
    ignorePublicAcls: c.IgnorePublicAcls === true,
    blockPublicPolicy: c.BlockPublicPolicy === true,
    restrictPublicBuckets: c.RestrictPublicBuckets === true,
  };
}

function toAcl(owner: { ID?: string; DisplayName?: string } | undefined, grants: Grant[] | undefined): Acl {
  return {
    owner: { id: owner?.ID ?? '', ...(owner?.DisplayName ? { displayName: owner.DisplayName } : {}) },
    grants: (grants ?? []).flatMap((g): AclGrant[] => {
      const grantee = g.Grantee;
      const value = grantee?.URI ?? grantee?.ID ?? grantee?.EmailAddress;
      if (!grantee?.Type || !value || !g.Permission) return [];
      return [{ granteeType: grantee.Type, grantee: value, permission: g.Permission }];
    }),
  };
}

/** A policy S3 returned is valid JSON; a Statement that is a single object is normalised to a list. */
export function parsePolicy(text: string): PolicyDocument {
  const doc = JSON.parse(text) as { Version?: string; Id?: string; Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  return {
    ...(doc.Version ? { Version: doc.Version } : {}),
    ...(doc.Id ? { Id: doc.Id } : {}),
    Statement: statements as PolicyDocument['Statement'],
  };
}
