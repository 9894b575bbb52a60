import {
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type {
  AuditRecord,
  CallDescription,
  PolicyStatement,
  PublicAccessBlock,
  RestoreResult,
  StepResult,
  StoragePosture,
} from '@reflex/core';
import { requestIdOf, unlessMissing } from '../errors.js';
import { withBucketPolicyLock, writingPolicy } from './policyLock.js';
import { parsePolicy, toBlock } from './posture.js';
import { policyText } from './statements.js';

export const LOCKDOWN_SID = 'ReflexContainmentDenyAllExceptBreakGlass';
const ALL_BLOCKED: PublicAccessBlock = {
  blockPublicAcls: true,
  ignorePublicAcls: true,
  blockPublicPolicy: true,
  restrictPublicBuckets: true,
};

/**
 * `aws:PrincipalArn` patterns that keep access to a locked-down bucket: the bot's own roles (so that undo works) and
 * the break-glass roles. For an assumed-role session ARN the role's path is unknown, so both `role/NAME` and
 * `role/<path>/NAME` are listed. IAM users and role ARNs are taken as they are.
 */
export function exceptPrincipalPatterns(arns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const arn of arns) {
    const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)/.exec(arn);
    if (session) {
      const [, partition, account, role] = session;
      out.add(`arn:${partition}:iam::${account}:role/${role}`);
      out.add(`arn:${partition}:iam::${account}:role/*/${role}`);
    } else if (arn.startsWith('arn:')) out.add(arn);
  }
  return [...out].sort();
}

export function lockdownStatement(bucketArn: string, except: string[]): PolicyStatement {
  return {
    Sid: LOCKDOWN_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { StringNotLike: { 'aws:PrincipalArn': except } },
  };
}

const blockConfig = (b: PublicAccessBlock) => ({
  BlockPublicAcls: b.blockPublicAcls,
  IgnorePublicAcls: b.ignorePublicAcls,
  BlockPublicPolicy: b.blockPublicPolicy,
  RestrictPublicBuckets: b.restrictPublicBuckets,
});

interface LockdownState {
  block: PublicAccessBlock | null;
  policy: string | null;
}

async function readLockState(s3: S3Client, Bucket: string): Promise<LockdownState> {
  const [block, policy] = await Promise.all([
    unlessMissing(s3.send(new GetPublicAccessBlockCommand({ Bucket })), ['NoSuchPublicAccessBlockConfiguration'], null),
    unlessMissing(s3.send(new GetBucketPolicyCommand({ Bucket })), ['NoSuchBucketPolicy'], null),
  ]);
  return { block: toBlock(block?.PublicAccessBlockConfiguration), policy: policy?.Policy ?? null };
}

/**
 * Locks a bucket down: a Deny of every S3 action to every principal except the bot's and the break-glass roles is
 * added to the bucket policy (the other statements stay), then all four Block Public Access flags are set. The
 * policy goes first: with BlockPublicPolicy on, S3 refuses to store a policy that still has public statements.
 */
export async function applyLockdown(s3: S3Client, posture: StoragePosture, except: string[]): Promise<StepResult> {
  const Bucket = posture.ref.name;
  if (except.length === 0)
    throw new Error(
      'lock-down needs at least one principal that keeps access (policy identities.aws, REFLEX_BREAK_GLASS_ROLE_ARNS): without one nobody, Reflex included, could undo it',
    );
  return withBucketPolicyLock(Bucket, async () => {
    const before = await readLockState(s3, Bucket);
    const doc = before.policy ? parsePolicy(before.policy) : null;
    const arn = `arn:${posture.ref.partition}:s3:::${Bucket}`;
    const statements = [
      ...(doc?.Statement ?? []).filter((s) => s.Sid !== LOCKDOWN_SID),
      lockdownStatement(arn, except),
    ];
    const text = policyText(statements, doc);
    const put = await writingPolicy(Bucket, () => s3.send(new PutBucketPolicyCommand({ Bucket, Policy: text })));
    const block = await s3.send(
      new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: blockConfig(ALL_BLOCKED) }),
    );
    const after = await readLockState(s3, Bucket);
    const held =
      after.block !== null &&
      Object.values(after.block).every(Boolean) &&
      after.policy !== null &&
      parsePolicy(after.policy).Statement.some((s) => s.Sid === LOCKDOWN_SID);
    if (!held) throw new Error(`lock-down of ${Bucket} did not hold on re-read`);
    return { before, after, requestIds: [...requestIdOf(put), ...requestIdOf(block)] };
  });
}

/** Undo of a lock-down: while block and policy are exactly what it wrote, puts back both as they were. */
export async function restoreLockdown(s3: S3Client, record: AuditRecord, check: boolean): Promise<RestoreResult> {
  const Bucket = record.resource.name;
  const before = record.before as LockdownState;
  const after = record.after as LockdownState;
  const now = await readLockState(s3, Bucket);
  if (sameBlock(now.block, before.block) && samePolicy(now.policy, before.policy))
    return { status: 'restored', requestIds: [] };
  const differences = [
    ...blockDifference(Bucket, now.block, after.block),
    ...policyDifference(Bucket, now.policy, after.policy),
  ];
  if (differences.length > 0) return { status: 'refused', differences };
  if (check) return { status: 'restorable', requestIds: [] };
  const requestIds: string[] = [];
  // Block first: the previous policy may be public, which a BlockPublicPolicy block would refuse.
  const block = before.block
    ? await s3.send(
        new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: blockConfig(before.block) }),
      )
    : await s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
  requestIds.push(...requestIdOf(block));
  const policy = await writingPolicy(Bucket, () =>
    before.policy
      ? s3.send(new PutBucketPolicyCommand({ Bucket, Policy: before.policy }))
      : s3.send(new DeleteBucketPolicyCommand({ Bucket })),
  );
  requestIds.push(...requestIdOf(policy));
  return { status: 'restored', requestIds };
}

export function describeLockdown(p: StoragePosture, except: string[]): CallDescription[] {
  const arn = `arn:${p.ref.partition}:s3:::${p.ref.name}`;
  // The policy as read, with the lock-down statement in place of any earlier one: what applyLockdown writes.
  const current = p.publicAccess.policy;
  const statements = [
    ...(current?.Statement ?? []).filter((s) => s.Sid !== LOCKDOWN_SID),
    lockdownStatement(arn, except),
  ];
  return [
    {
      api: 's3:PutBucketPolicy',
      argv: ['aws', 's3api', 'put-bucket-policy', '--bucket', p.ref.name, '--policy', policyText(statements, current)],
      permission: 's3:GetBucketPolicy, s3:PutBucketPolicy',
    },
    {
      api: 's3:PutPublicAccessBlock',
      argv: [
        'aws',
        's3api',
        'put-public-access-block',
        '--bucket',
        p.ref.name,
        '--public-access-block-configuration',
        'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
      ],
      permission: 's3:PutBucketPublicAccessBlock',
    },
  ];
}

// --- comparisons shared by the S3 restores ---

/** JSON with sorted keys, so that two documents that say the same compare equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function sameBlock(a: PublicAccessBlock | null | undefined, b: PublicAccessBlock | null | undefined): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

export function samePolicy(a: string | null | undefined, b: string | null | undefined): boolean {
  const norm = (t: string | null | undefined) => (t ? canonical(parsePolicy(t)) : 'null');
  return norm(a) === norm(b);
}

export function showBlock(b: PublicAccessBlock | null | undefined): string {
  if (!b) return 'none';
  return Object.entries(blockConfig(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function blockDifference(where: string, now: PublicAccessBlock | null, wrote: PublicAccessBlock | null) {
  return sameBlock(now, wrote)
    ? []
    : [`${where}: Block Public Access is ${showBlock(now)}; Reflex set ${showBlock(wrote)}`];
}

/** Names the statements that differ, by Sid where there is one. */
export function policyDifference(where: string, now: string | null, wrote: string | null): string[] {
  if (samePolicy(now, wrote)) return [];
  if (!now) return [`${where}: the bucket policy was deleted; Reflex left one`];
  if (!wrote) return [`${where}: a bucket policy was added; Reflex had deleted it`];
  const label = (s: PolicyStatement, i: number) => (s.Sid ? `"${s.Sid}"` : `#${i + 1} (${s.Effect})`);
  const a = parsePolicy(now).Statement;
  const b = parsePolicy(wrote).Statement;
  const keysB = new Set(b.map((s) => canonical(s)));
  const keysA = new Set(a.map((s) => canonical(s)));
  const added = a.flatMap((s, i) => (keysB.has(canonical(s)) ? [] : [label(s, i)]));
  const removed = b.flatMap((s, i) => (keysA.has(canonical(s)) ? [] : [label(s, i)]));
  const parts = [
    ...(added.length ? [`statements added or changed: ${added.join(', ')}`] : []),
    ...(removed.length ? [`statements removed or changed: ${removed.join(', ')}`] : []),
  ];
  return [`${where}: the bucket policy changed since Reflex wrote it (${parts.join('; ') || 'document changed'})`];
}
