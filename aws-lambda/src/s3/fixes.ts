import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  type Grant,
  PutBucketAclCommand,
  PutBucketEncryptionCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type {
  AclGrant,
  CallDescription,
  Fix,
  PolicyStatement,
  Step,
  StepResult,
  StepSettlement,
  StoragePosture,
} from '@reflex/core';
import { requestIdOf, unlessMissing } from '../errors.js';
import { withBucketPolicyLock } from './policyLock.js';
import { parsePolicy } from './posture.js';
import {
  allowsLogDelivery,
  logDeliveryStatement,
  policyText,
  requiresSecureTransport,
  secureTransportStatement,
} from './statements.js';

/** Fixes that rewrite the bucket policy: applied together as one read-modify-write, so neither loses the other. */
const POLICY_FIXES = new Set<Fix['type']>(['remove-public-statements', 'require-secure-transport']);

const bucketArn = (p: StoragePosture) => `arn:${p.ref.partition}:s3:::${p.ref.name}`;

export async function applyBucketSteps(
  s3: S3Client,
  steps: Step[],
  posture: StoragePosture,
): Promise<StepSettlement[]> {
  const policySteps = steps.filter((s) => POLICY_FIXES.has(s.fix.type));
  const policyWrite = policySteps.length > 0 ? settle(rewritePolicy(s3, policySteps, posture)) : undefined;
  return Promise.all(
    steps.map((step) => (POLICY_FIXES.has(step.fix.type) ? policyWrite! : settle(applyOne(s3, step.fix, posture)))),
  );
}

async function settle(work: Promise<StepResult>): Promise<StepSettlement> {
  try {
    return { ok: true, result: await work };
  } catch (error) {
    return { ok: false, error };
  }
}

async function applyOne(s3: S3Client, fix: Fix, p: StoragePosture): Promise<StepResult> {
  const Bucket = p.ref.name;
  switch (fix.type) {
    case 'block-public-access': {
      const out = await s3.send(
        new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: blockConfig(fix.block) }),
      );
      return { before: p.publicAccess.bucketBlock ?? null, after: fix.block, requestIds: requestIdOf(out) };
    }
    case 'remove-public-grants': {
      const acl = p.publicAccess.acl;
      if (!acl) throw new Error('the ACL was not read');
      const kept = acl.grants.filter((g) => !fix.grants.some((r) => sameGrant(r, g)));
      const out = await s3.send(
        new PutBucketAclCommand({
          Bucket,
          AccessControlPolicy: { Owner: { ID: acl.owner.id }, Grants: kept.map(toSdkGrant) },
        }),
      );
      return { before: acl, after: { owner: acl.owner, grants: kept }, requestIds: requestIdOf(out) };
    }
    case 'enable-encryption': {
      const kms = fix.algorithm.startsWith('aws:kms');
      const config = {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: {
              SSEAlgorithm: fix.algorithm as ServerSideEncryption,
              ...(fix.keyId ? { KMSMasterKeyID: fix.keyId } : {}),
            },
            // S3 Bucket Keys cut KMS requests (and cost) by ~99%; meaningless for SSE-S3.
            BucketKeyEnabled: kms,
          },
        ],
      };
      const out = await s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: config }));
      return { before: p.encryption, after: config, requestIds: requestIdOf(out) };
    }
    case 'enable-logging': {
      const grant = await ensureLogDelivery(s3, fix.target, p);
      const prefix = fix.prefix ?? `${Bucket}/`;
      const out = await s3.send(
        new PutBucketLoggingCommand({
          Bucket,
          BucketLoggingStatus: { LoggingEnabled: { TargetBucket: fix.target, TargetPrefix: prefix } },
        }),
      );
      return {
        before: { logging: p.logging, targetPolicy: grant.before },
        after: { logging: { enabled: true, target: fix.target, prefix }, targetPolicy: grant.after },
        requestIds: [...grant.requestIds, ...requestIdOf(out)],
      };
    }
    default:
      throw new Error(`fix ${fix.type} does not apply to an S3 bucket`);
  }
}

/** Adds the log-delivery statement to the target bucket's policy unless an equivalent one is there; keeps the rest. */
function ensureLogDelivery(s3: S3Client, target: string, p: StoragePosture) {
  return withBucketPolicyLock(target, () => addLogDelivery(s3, target, p));
}

async function addLogDelivery(s3: S3Client, target: string, p: StoragePosture) {
  const current = await unlessMissing(
    s3.send(new GetBucketPolicyCommand({ Bucket: target })),
    ['NoSuchBucketPolicy'],
    null,
  );
  const doc = current?.Policy ? parsePolicy(current.Policy) : null;
  const before = current?.Policy ?? null;
  if (allowsLogDelivery(doc, p.ref.account)) return { before, after: before, requestIds: [] as string[] };
  const statement = logDeliveryStatement(`arn:${p.ref.partition}:s3:::${target}`, p.ref.account);
  const text = policyText([...(doc?.Statement ?? []), statement], doc);
  const out = await s3.send(new PutBucketPolicyCommand({ Bucket: target, Policy: text }));
  return { before, after: text, requestIds: requestIdOf(out) };
}

/** The statements the policy steps leave: public ones out (if asked), the HTTPS-only Deny in (if asked and missing). */
function nextStatements(steps: Step[], p: StoragePosture, current = p.publicAccess.policy): PolicyStatement[] {
  let statements = current?.Statement ?? [];
  for (const { fix } of steps) {
    if (fix.type === 'remove-public-statements') {
      const drop = new Set(fix.statements.map((s) => JSON.stringify(s)));
      statements = statements.filter((s) => !drop.has(JSON.stringify(s)));
    }
  }
  const wantsHttps = steps.some((s) => s.fix.type === 'require-secure-transport');
  if (wantsHttps && !requiresSecureTransport({ Statement: statements }))
    statements = [...statements, secureTransportStatement(bucketArn(p))];
  return statements;
}

/** Under the bucket's policy lock, re-reads the policy, so a statement another fix just added is kept. */
function rewritePolicy(s3: S3Client, steps: Step[], p: StoragePosture): Promise<StepResult> {
  return withBucketPolicyLock(p.ref.name, async () => {
    const Bucket = p.ref.name;
    const fresh = await unlessMissing(s3.send(new GetBucketPolicyCommand({ Bucket })), ['NoSuchBucketPolicy'], null);
    const current = fresh?.Policy ? parsePolicy(fresh.Policy) : null;
    const before = fresh?.Policy ?? null;
    const statements = nextStatements(steps, p, current);
    if (statements.length === 0) {
      if (!current) return { before, after: null, requestIds: [] };
      const out = await s3.send(new DeleteBucketPolicyCommand({ Bucket }));
      return { before, after: null, requestIds: requestIdOf(out) };
    }
    const text = policyText(statements, current);
    const out = await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: text }));
    return { before, after: text, requestIds: requestIdOf(out) };
  });
}

function blockConfig(b: {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}) {
  return {
    BlockPublicAcls: b.blockPublicAcls,
    IgnorePublicAcls: b.ignorePublicAcls,
    BlockPublicPolicy: b.blockPublicPolicy,
    RestrictPublicBuckets: b.restrictPublicBuckets,
  };
}

function sameGrant(a: AclGrant, b: AclGrant): boolean {
  return a.granteeType === b.granteeType && a.grantee === b.grantee && a.permission === b.permission;
}

function toSdkGrant(g: AclGrant): Grant {
  const Grantee =
    g.granteeType === 'Group'
      ? { Type: 'Group' as const, URI: g.grantee }
      : g.granteeType === 'AmazonCustomerByEmail'
        ? { Type: 'AmazonCustomerByEmail' as const, EmailAddress: g.grantee }
        : { Type: 'CanonicalUser' as const, ID: g.grantee };
  return { Grantee, Permission: g.permission };
}

const quote = (json: unknown) => `'${JSON.stringify(json)}'`;

/** The calls each fix makes on a bucket, with the CLI command that does the same. */
export function describeBucketFix(fix: Fix, p: StoragePosture): CallDescription[] {
  const b = p.ref.name;
  switch (fix.type) {
    case 'block-public-access':
      return [
        {
          api: 's3:PutPublicAccessBlock',
          cli: `aws s3api put-public-access-block --bucket ${b} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
          permission: 's3:PutBucketPublicAccessBlock',
        },
      ];
    case 'remove-public-grants': {
      const acl = p.publicAccess.acl;
      const kept = (acl?.grants ?? []).filter((g) => !fix.grants.some((r) => sameGrant(r, g)));
      const policy = { Owner: { ID: acl?.owner.id ?? '' }, Grants: kept.map(toSdkGrant) };
      return [
        {
          api: 's3:PutBucketAcl',
          cli: `aws s3api put-bucket-acl --bucket ${b} --access-control-policy ${quote(policy)}`,
          permission: 's3:PutBucketAcl',
        },
      ];
    }
    case 'remove-public-statements':
    case 'require-secure-transport': {
      const statements = nextStatements([{ id: '', rule: 'publicStorage', fix, summary: '', calls: [] }], p);
      if (statements.length === 0)
        return [
          {
            api: 's3:DeleteBucketPolicy',
            cli: `aws s3api delete-bucket-policy --bucket ${b}`,
            permission: 's3:DeleteBucketPolicy',
          },
        ];
      return [
        {
          api: 's3:PutBucketPolicy',
          cli: `aws s3api put-bucket-policy --bucket ${b} --policy ${quote(JSON.parse(policyText(statements, p.publicAccess.policy)))}`,
          permission: 's3:PutBucketPolicy',
        },
      ];
    }
    case 'enable-encryption': {
      const sse = { SSEAlgorithm: fix.algorithm, ...(fix.keyId ? { KMSMasterKeyID: fix.keyId } : {}) };
      const config = {
        Rules: [{ ApplyServerSideEncryptionByDefault: sse, BucketKeyEnabled: fix.algorithm.startsWith('aws:kms') }],
      };
      return [
        {
          api: 's3:PutBucketEncryption',
          cli: `aws s3api put-bucket-encryption --bucket ${b} --server-side-encryption-configuration ${quote(config)}`,
          permission: 's3:PutEncryptionConfiguration',
        },
      ];
    }
    case 'enable-logging': {
      const statement = logDeliveryStatement(`arn:${p.ref.partition}:s3:::${fix.target}`, p.ref.account);
      const status = { LoggingEnabled: { TargetBucket: fix.target, TargetPrefix: fix.prefix ?? `${b}/` } };
      return [
        {
          api: 's3:PutBucketPolicy (target bucket, only if no statement lets logging.s3.amazonaws.com write)',
          cli: `aws s3api put-bucket-policy --bucket ${fix.target} --policy '<current statements + ${JSON.stringify(statement)}>'`,
          permission: 's3:GetBucketPolicy, s3:PutBucketPolicy (on the target)',
        },
        {
          api: 's3:PutBucketLogging',
          cli: `aws s3api put-bucket-logging --bucket ${b} --bucket-logging-status ${quote(status)}`,
          permission: 's3:PutBucketLogging',
        },
      ];
    }
    default:
      return [];
  }
}
