import {
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLoggingCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  type Grant,
  type LoggingEnabled,
  type S3Client,
  type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';
import type {
  Acl,
  AclGrant,
  PolicyDocument,
  PublicAccessBlock,
  ResourceRef,
  RuleName,
  StoragePosture,
} from '@reflex/core';
import { errorCode, unlessMissing } from '../errors.js';
import { underPressure } from '../throttling.js';
import { type PolicyReadMark, policyReadMark } from './policyLock.js';
import { requiresSecureTransport } from './statements.js';

/** S3's "not configured" answers: states of the bucket, not failures. */
const NO_POLICY = ['NoSuchBucketPolicy'];
const NO_BLOCK = ['NoSuchPublicAccessBlockConfiguration'];
const NO_ENCRYPTION = ['ServerSideEncryptionConfigurationNotFoundError'];
const NO_OWNERSHIP = ['OwnershipControlsNotFoundError'];
const NO_TAGS = ['NoSuchTagSet'];

/** The parts of a bucket the storage rules look at, one S3 call each. */
export type BucketFacet = 'block' | 'acl' | 'policy' | 'encryption' | 'logging' | 'tags' | 'ownership';
const ALL_FACETS: readonly BucketFacet[] = ['block', 'acl', 'policy', 'encryption', 'logging', 'tags', 'ownership'];

/**
 * What each storage rule looks at. Tags are read for every rule (exemptions). Ownership is not needed to judge
 * public access: under BucketOwnerEnforced, S3 answers every ACL read with the owner's full control only, and
 * refuses to enforce it while the ACL grants anyone else, so a public grant is never read there. Only an unscoped
 * read (containment, `readBucket` without facets) still reads it.
 */
const RULE_FACETS: Partial<Record<RuleName, readonly BucketFacet[]>> = {
  publicStorage: ['block', 'acl', 'policy'],
  insecureTransport: ['policy'],
  unencryptedStorage: ['encryption'],
  storageWithoutLogging: ['logging'],
};

/** The facets `rules` look at; every facet when a rule is not known here. */
export function facetsFor(rules: readonly RuleName[]): BucketFacet[] {
  const out = new Set<BucketFacet>(['tags']);
  for (const rule of rules) {
    const facets = RULE_FACETS[rule];
    if (!facets) return [...ALL_FACETS];
    for (const f of facets) out.add(f);
  }
  return ALL_FACETS.filter((f) => out.has(f));
}

/** The policy as read for a posture: its text, and the container's policy write version when the read was sent. */
export interface PolicyRead extends PolicyReadMark {
  text: string | null;
}
const policyReads = new WeakMap<StoragePosture, PolicyRead>();

/**
 * How this posture's policy was read (see policyLock): a writer may use it instead of reading the policy again while
 * the bucket's write version is still `version`. Undefined when the posture did not come from `readBucket`.
 */
export function policyRead(p: StoragePosture): PolicyRead | undefined {
  return policyReads.get(p);
}

const skip = Promise.resolve(undefined);

type Results<T extends readonly (() => Promise<unknown>)[]> = { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };

/** Runs the calls at most `limit` at a time, in order; the first failure stops the rest from being sent. */
async function limited<const T extends readonly (() => Promise<unknown>)[]>(
  limit: number,
  calls: T,
): Promise<Results<T>> {
  if (limit >= calls.length) return Promise.all(calls.map((call) => call())) as Promise<Results<T>>;
  const out = new Array<unknown>(calls.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < calls.length) {
      const i = next++;
      try {
        out[i] = await calls[i]!();
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out as Results<T>;
}

/**
 * Reads what the storage rules look at (or only `facets`), in parallel. A bucket that is gone reads as null. Facets
 * left out are listed in `unread` and hold placeholders.
 */
export function readBucket(
  s3: S3Client,
  ref: ResourceRef,
  facets: readonly BucketFacet[] = ALL_FACETS,
): Promise<StoragePosture | null> {
  return readFacets(s3, ref, facets);
}

/**
 * The verifying read: only `facets` (what the applied steps wrote) are read again, the rest is taken from `before`.
 * A bucket that is gone reads as null.
 */
export function rereadBucket(
  s3: S3Client,
  ref: ResourceRef,
  before: StoragePosture,
  facets: readonly BucketFacet[],
): Promise<StoragePosture | null> {
  return readFacets(s3, ref, facets, before);
}

async function readFacets(
  s3: S3Client,
  ref: ResourceRef,
  facets: readonly BucketFacet[],
  before?: StoragePosture,
): Promise<StoragePosture | null> {
  const Bucket = ref.name;
  const want = (f: BucketFacet) => facets.includes(f);
  const mark = policyReadMark(ref);
  try {
    // While S3 throttles this client, two facets at a time: fewer calls waiting out a backoff at once hold less of
    // the SDK's retry quota (see throttling.ts). Otherwise all at once.
    const [block, acl, policy, encryption, logging, tags, ownership] = await limited(underPressure(s3) ? 2 : 7, [
      () =>
        want('block') ? unlessMissing(s3.send(new GetPublicAccessBlockCommand({ Bucket })), NO_BLOCK, null) : skip,
      () => (want('acl') ? s3.send(new GetBucketAclCommand({ Bucket })) : skip),
      () => (want('policy') ? unlessMissing(s3.send(new GetBucketPolicyCommand({ Bucket })), NO_POLICY, null) : skip),
      () =>
        want('encryption')
          ? unlessMissing(s3.send(new GetBucketEncryptionCommand({ Bucket })), NO_ENCRYPTION, null)
          : skip,
      () => (want('logging') ? s3.send(new GetBucketLoggingCommand({ Bucket })) : skip),
      () => (want('tags') ? unlessMissing(s3.send(new GetBucketTaggingCommand({ Bucket })), NO_TAGS, null) : skip),
      () =>
        want('ownership')
          ? unlessMissing(s3.send(new GetBucketOwnershipControlsCommand({ Bucket })), NO_OWNERSHIP, null)
          : skip,
    ] as const);
    const document = want('policy') ? (policy?.Policy ? parsePolicy(policy.Policy) : null) : undefined;
    const b = before?.publicAccess;
    const posture: StoragePosture = {
      kind: 'storage',
      ref,
      publicAccess: {
        bucketBlock: want('block') ? toBlock(block?.PublicAccessBlockConfiguration) : (b?.bucketBlock ?? null),
        acl: acl ? toAcl(acl.Owner, acl.Grants) : (b?.acl ?? null),
        objectOwnership: want('ownership')
          ? (ownership?.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? null)
          : (b?.objectOwnership ?? null),
        policy: document !== undefined ? document : (b?.policy ?? null),
      },
      encryption: want('encryption') ? toEncryption(encryption ?? null) : (before?.encryption ?? { enabled: false }),
      logging: logging ? toLogging(logging.LoggingEnabled) : (before?.logging ?? { enabled: false }),
      transport:
        document !== undefined
          ? { httpsOnly: document ? requiresSecureTransport(document, `arn:aws:s3:::${Bucket}`) : false }
          : (before?.transport ?? { httpsOnly: false }),
      tags: want('tags')
        ? Object.fromEntries((tags?.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
        : (before?.tags ?? {}),
    };
    const unread = ALL_FACETS.filter((f) => !want(f) && (!before || before.unread?.includes(f)));
    if (unread.length > 0) posture.unread = unread;
    const read = want('policy') ? { ...mark, text: policy?.Policy ?? null } : before && policyReads.get(before);
    if (read) policyReads.set(posture, read);
    return posture;
  } catch (err) {
    if (errorCode(err) === 'NoSuchBucket') return null;
    throw err;
  }
}

function toEncryption(
  out: { ServerSideEncryptionConfiguration?: { Rules?: ServerSideEncryptionRule[] } } | null,
): StoragePosture['encryption'] {
  const rule = out?.ServerSideEncryptionConfiguration?.Rules?.[0];
  const sse = rule?.ApplyServerSideEncryptionByDefault;
  return {
    enabled: sse?.SSEAlgorithm !== undefined,
    ...(sse?.SSEAlgorithm ? { algorithm: sse.SSEAlgorithm } : {}),
    ...(sse?.KMSMasterKeyID ? { keyId: sse.KMSMasterKeyID } : {}),
    ...(rule?.BucketKeyEnabled !== undefined ? { bucketKey: rule.BucketKeyEnabled } : {}),
  };
}

function toLogging(target: LoggingEnabled | undefined): StoragePosture['logging'] {
  return {
    enabled: target?.TargetBucket !== undefined,
    ...(target?.TargetBucket ? { target: target.TargetBucket } : {}),
    ...(target?.TargetPrefix !== undefined ? { prefix: target.TargetPrefix } : {}),
  };
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
