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
import {
  type AclGrant,
  type CallDescription,
  type Fix,
  LeaseBusyError,
  type LeaseStore,
  leaseToken,
  type PolicyStatement,
  resourceLeaseKey,
  type Step,
  type StepResult,
  type StepSettlement,
  type StoragePosture,
  withLease,
} from '@reflex/core';
import { errorCode, requestIdOf, unlessMissing } from '../errors.js';
import { policyReadTrusted, policyVersion, withBucketPolicyLock, writingPolicy } from './policyLock.js';
import { type BucketFacet, parsePolicy, policyRead } from './posture.js';
import {
  allowsLogDelivery,
  logDeliveryStatement,
  policyText,
  requiresSecureTransport,
  secureTransportStatement,
} from './statements.js';

/** Fixes that rewrite the bucket policy: applied together as one read-modify-write, so neither loses the other. */
const POLICY_FIXES = new Set<Fix['type']>(['remove-public-statements', 'require-secure-transport']);

/** The parts of the bucket each fix writes: what the verifying read has to read again. */
const WRITES: Partial<Record<Fix['type'], BucketFacet>> = {
  'block-public-access': 'block',
  'remove-public-grants': 'acl',
  'remove-public-statements': 'policy',
  'require-secure-transport': 'policy',
  'enable-encryption': 'encryption',
  'enable-logging': 'logging',
};

/** The facets the steps wrote, or undefined when one of them is not a bucket fix (then everything is read). */
export function facetsWritten(steps: readonly Step[]): BucketFacet[] | undefined {
  const out = new Set<BucketFacet>();
  for (const { fix } of steps) {
    const facet = WRITES[fix.type];
    if (!facet) return undefined;
    out.add(facet);
  }
  return [...out];
}

const bucketArn = (p: StoragePosture) => `arn:${p.ref.partition}:s3:::${p.ref.name}`;

export async function applyBucketSteps(
  s3: S3Client,
  steps: Step[],
  posture: StoragePosture,
  leases?: LeaseStore,
): Promise<StepSettlement[]> {
  const policySteps = steps.filter((s) => POLICY_FIXES.has(s.fix.type));
  const policyWrite = policySteps.length > 0 ? settle(rewritePolicy(s3, policySteps, posture)) : undefined;
  return Promise.all(
    steps.map((step) =>
      POLICY_FIXES.has(step.fix.type) ? policyWrite! : settle(applyOne(s3, step.fix, posture, leases)),
    ),
  );
}

/** The same promise, marked handled: it is awaited later, and may reject before. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function settle(work: Promise<StepResult>): Promise<StepSettlement> {
  try {
    return { ok: true, result: await work };
  } catch (error) {
    return { ok: false, error };
  }
}

async function applyOne(s3: S3Client, fix: Fix, p: StoragePosture, leases?: LeaseStore): Promise<StepResult> {
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
      // S3 Bucket Keys serve SSE-KMS only: meaningless for SSE-S3, not supported with dual-layer (DSSE-KMS).
      const kms = fix.algorithm === 'aws:kms';
      const config = {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: {
              SSEAlgorithm: fix.algorithm as ServerSideEncryption,
              ...(fix.keyId ? { KMSMasterKeyID: fix.keyId } : {}),
            },
            // They cut KMS requests (and cost) by ~99%.
            BucketKeyEnabled: kms,
          },
        ],
      };
      const out = await s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: config }));
      return { before: p.encryption, after: config, requestIds: requestIdOf(out) };
    }
    case 'enable-logging': {
      const prefix = fix.prefix ?? `${Bucket}/`;
      const put = () =>
        s3.send(
          new PutBucketLoggingCommand({
            Bucket,
            BucketLoggingStatus: { LoggingEnabled: { TargetBucket: fix.target, TargetPrefix: prefix } },
          }),
        );
      // The target's log-delivery statement is checked beside the logging write, not before it (S3 delivers logs
      // minutes later), and not at all while this container knows it is there: the happy path is one call.
      const known = logDeliveryKnown(fix.target, p);
      let ensured = known ? undefined : handled(ensureLogDelivery(s3, fix.target, p, leases));
      let out: Awaited<ReturnType<typeof put>>;
      try {
        out = await put().catch(async (err: unknown) => {
          // A target S3 refuses: ensure its policy (again, if this container thought it knew), then one more try.
          if (errorCode(err) !== 'InvalidTargetBucketForLogging') throw err;
          ensured ??= handled(ensureLogDelivery(s3, fix.target, p, leases));
          await ensured;
          return put();
        });
      } catch (err) {
        await ensured?.catch(() => undefined);
        throw err;
      }
      const granted = await (ensured ?? known!);
      return {
        before: { logging: p.logging, targetPolicy: granted.before },
        after: { logging: { enabled: true, target: fix.target, prefix }, targetPolicy: granted.after },
        requestIds: [...granted.requestIds, ...requestIdOf(out)],
      };
    }
    default:
      throw new Error(`fix ${fix.type} does not apply to an S3 bucket`);
  }
}

interface LogDeliveryGrant {
  /** The target's policy text before and after; `unchanged` when it was not read (known to allow delivery). */
  before: string | null | 'unchanged';
  after: string | null | 'unchanged';
  requestIds: string[];
}

/** How long a seen log-delivery statement is trusted without reading the target's policy again. */
const LOG_DELIVERY_TTL_MS = 10 * 60_000;
/** Target bucket + source account → when it was seen and the target's policy write version then. */
const deliveryKnown = new Map<string, { at: number; version: number }>();

/**
 * The target bucket already lets S3 deliver logs for this account, as this container saw (checked or wrote) within
 * the last minutes and without writing that policy since: no need to read it again.
 */
function logDeliveryKnown(target: string, p: StoragePosture): Promise<LogDeliveryGrant> | undefined {
  const seen = deliveryKnown.get(`${target} ${p.ref.account}`);
  if (!seen || seen.version !== policyVersion(target) || Date.now() - seen.at > LOG_DELIVERY_TTL_MS) return undefined;
  return Promise.resolve({ before: 'unchanged', after: 'unchanged', requestIds: [] });
}

/**
 * Adds the log-delivery statement to the target bucket's policy unless an equivalent one is there; keeps the rest.
 * The target is another resource than the one fixed: its policy is written under its own lease (unless this call
 * chain holds it already: a bucket that logs to itself), so its own remediation in another container cannot lose
 * this statement, nor this write its changes.
 */
function ensureLogDelivery(
  s3: S3Client,
  target: string,
  p: StoragePosture,
  leases?: LeaseStore,
): Promise<LogDeliveryGrant> {
  return withBucketPolicyLock(target, async () => {
    const key = resourceLeaseKey({ cloud: 'aws', id: `arn:${p.ref.partition}:s3:::${target}` });
    let grant: LogDeliveryGrant;
    if (!leases || leaseToken(key)) grant = await addLogDelivery(s3, target, p);
    else {
      const run = await withLease(leases, key, () => addLogDelivery(s3, target, p));
      if (run.status === 'busy')
        throw new LeaseBusyError(`the log bucket ${target} is being changed by another instance; retry`);
      grant = run.value;
    }
    deliveryKnown.set(`${target} ${p.ref.account}`, { at: Date.now(), version: policyVersion(target) });
    return grant;
  });
}

async function addLogDelivery(s3: S3Client, target: string, p: StoragePosture): Promise<LogDeliveryGrant> {
  const current = await unlessMissing(
    s3.send(new GetBucketPolicyCommand({ Bucket: target })),
    ['NoSuchBucketPolicy'],
    null,
  );
  const doc = current?.Policy ? parsePolicy(current.Policy) : null;
  const before = current?.Policy ?? null;
  if (allowsLogDelivery(doc, p.ref.account)) return { before, after: before, requestIds: [] };
  const statement = logDeliveryStatement(`arn:${p.ref.partition}:s3:::${target}`, p.ref.account);
  const text = policyText([...(doc?.Statement ?? []), statement], doc);
  const out = await writingPolicy(target, () => s3.send(new PutBucketPolicyCommand({ Bucket: target, Policy: text })));
  return { before, after: text, requestIds: requestIdOf(out) };
}

/** The statements the policy fixes leave: public ones out (if asked), the HTTPS-only Deny in (if asked and missing). */
function nextStatements(fixes: readonly Fix[], p: StoragePosture, current = p.publicAccess.policy): PolicyStatement[] {
  let statements = current?.Statement ?? [];
  for (const fix of fixes) {
    if (fix.type === 'remove-public-statements') {
      const drop = new Set(fix.statements.map((s) => JSON.stringify(s)));
      statements = statements.filter((s) => !drop.has(JSON.stringify(s)));
    }
  }
  const wantsHttps = fixes.some((f) => f.type === 'require-secure-transport');
  if (wantsHttps && !requiresSecureTransport({ Statement: statements }, bucketArn(p)))
    statements = [...statements, secureTransportStatement(bucketArn(p))];
  return statements;
}

/**
 * Under the bucket's policy lock, from the posture's policy when it was read under the lease still held (see
 * policyLock), else from a fresh read (so a statement another fix, here or in another container, added is kept).
 */
function rewritePolicy(s3: S3Client, steps: Step[], p: StoragePosture): Promise<StepResult> {
  return withBucketPolicyLock(p.ref.name, async () => {
    const Bucket = p.ref.name;
    const read = policyRead(p);
    let before: string | null;
    if (read && policyReadTrusted(p.ref, read)) before = read.text;
    else {
      const fresh = await unlessMissing(s3.send(new GetBucketPolicyCommand({ Bucket })), ['NoSuchBucketPolicy'], null);
      before = fresh?.Policy ?? null;
    }
    const current = before ? parsePolicy(before) : null;
    const statements = nextStatements(
      steps.map((s) => s.fix),
      p,
      current,
    );
    if (statements.length === 0) {
      if (!current) return { before, after: null, requestIds: [] };
      const out = await writingPolicy(Bucket, () => s3.send(new DeleteBucketPolicyCommand({ Bucket })));
      return { before, after: null, requestIds: requestIdOf(out) };
    }
    const text = policyText(statements, current);
    const out = await writingPolicy(Bucket, () => s3.send(new PutBucketPolicyCommand({ Bucket, Policy: text })));
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

const BLOCK_ALL_FLAGS = 'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true';

/**
 * The calls each fix makes on a bucket, with the CLI command that does the same. `plan` is every fix planned for
 * this bucket in this run: the bucket policy is one document, so the command of each policy fix writes the policy
 * the whole plan leaves (as enforce writes it, in one read-modify-write). Tickets of one bucket then compose: run
 * in any order, with or without the fixes enforced beside them, they leave what enforce would.
 */
export function describeBucketFix(fix: Fix, p: StoragePosture, plan: readonly Fix[] = [fix]): CallDescription[] {
  const b = p.ref.name;
  switch (fix.type) {
    case 'block-public-access':
      return [
        {
          api: 's3:PutPublicAccessBlock',
          argv: [
            'aws',
            's3api',
            'put-public-access-block',
            '--bucket',
            b,
            '--public-access-block-configuration',
            BLOCK_ALL_FLAGS,
          ],
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
          argv: ['aws', 's3api', 'put-bucket-acl', '--bucket', b, '--access-control-policy', JSON.stringify(policy)],
          permission: 's3:PutBucketAcl',
        },
      ];
    }
    case 'remove-public-statements':
    case 'require-secure-transport': {
      const fixes = (plan.some((f) => f === fix) ? plan : [...plan, fix]).filter((f) => POLICY_FIXES.has(f.type));
      const statements = nextStatements(fixes, p);
      // Said in the ticket: this command also carries the other rules' changes to the same document.
      const merged =
        fixes.length > 1 ? ` (the policy all planned policy fixes leave: ${fixes.map((f) => f.type).join(', ')})` : '';
      if (statements.length === 0)
        return [
          {
            api: `s3:DeleteBucketPolicy${merged}`,
            argv: ['aws', 's3api', 'delete-bucket-policy', '--bucket', b],
            permission: 's3:DeleteBucketPolicy',
          },
        ];
      return [
        {
          api: `s3:PutBucketPolicy${merged}`,
          argv: [
            'aws',
            's3api',
            'put-bucket-policy',
            '--bucket',
            b,
            '--policy',
            policyText(statements, p.publicAccess.policy),
          ],
          permission: 's3:PutBucketPolicy',
        },
      ];
    }
    case 'enable-encryption': {
      const sse = { SSEAlgorithm: fix.algorithm, ...(fix.keyId ? { KMSMasterKeyID: fix.keyId } : {}) };
      const config = {
        Rules: [{ ApplyServerSideEncryptionByDefault: sse, BucketKeyEnabled: fix.algorithm === 'aws:kms' }],
      };
      return [
        {
          api: 's3:PutBucketEncryption',
          argv: [
            'aws',
            's3api',
            'put-bucket-encryption',
            '--bucket',
            b,
            '--server-side-encryption-configuration',
            JSON.stringify(config),
          ],
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
          // The target's policy is not read for a plan: the document is for a human to merge.
          argv: [
            'aws',
            's3api',
            'put-bucket-policy',
            '--bucket',
            fix.target,
            '--policy',
            `<current statements + ${JSON.stringify(statement)}>`,
          ],
          permission: 's3:GetBucketPolicy, s3:PutBucketPolicy (on the target)',
        },
        {
          api: 's3:PutBucketLogging',
          argv: [
            'aws',
            's3api',
            'put-bucket-logging',
            '--bucket',
            b,
            '--bucket-logging-status',
            JSON.stringify(status),
          ],
          permission: 's3:PutBucketLogging',
        },
      ];
    }
    default:
      return [];
  }
}
