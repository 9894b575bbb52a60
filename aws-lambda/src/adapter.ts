import {
  type AuditRecord,
  type CallDescription,
  type CloudAdapter,
  type Fix,
  type LeaseStore,
  type Posture,
  type ReadScope,
  type ResourceRef,
  ResourceTypes,
  type RestoreResult,
  type Step,
  type StepResult,
  type StepSettlement,
  UnsupportedResourceError,
} from '@reflex/core';
import { applyAccountFix, describeAccountFix, readAccount, restoreAccountFix } from './account/account.js';
import type { ClientsForRegion } from './clients.js';
import { applyStartLogging, describeTrailFix, readTrail, restoreTrailLogging } from './cloudtrail/trail.js';
import {
  applyIsolateInstance,
  type ContainmentContext,
  describeIsolateInstance,
  readInstance,
  restoreIsolateInstance,
} from './ec2/instance.js';
import { applyFlowLogs, describeFlowLogsFix, readVpc, restoreFlowLogs } from './ec2/network.js';
import {
  applyIsolateGroup,
  applyRevokeIngress,
  describeIsolateGroup,
  describeRevokeIngress,
  readSecurityGroup,
  restoreIngress,
} from './ec2/securityGroup.js';
import { isTransient } from './errors.js';
import { applyLockdown, describeLockdown, exceptPrincipalPatterns, restoreLockdown } from './s3/containment.js';
import { applyBucketSteps, describeBucketFix, facetsWritten } from './s3/fixes.js';
import { facetsFor, readBucket, rereadBucket } from './s3/posture.js';
import { previewBucketStep } from './s3/preview.js';
import { restoreBucketFix } from './s3/restore.js';

export interface AwsAdapterOptions {
  /**
   * Principals (role, user or assumed-role ARNs) that keep access to a locked-down bucket: the bot's own roles, so
   * that undo works, and the break-glass roles. Without any, a bucket lock-down is refused.
   */
  lockdownExceptions?: string[];
  /** Who contains and why (tagged on the instance), and whether to snapshot its volumes. */
  containment?: ContainmentContext;
  /** Leases across containers, for writes to a resource other than the one fixed (the log bucket's policy). */
  leases?: LeaseStore;
}

/** The AWS side of the engine: reads posture, describes, applies and undoes fixes. No policy logic lives here. */
export class AwsAdapter implements CloudAdapter {
  readonly cloud = 'aws' as const;

  constructor(
    private readonly clients: ClientsForRegion,
    private readonly options: AwsAdapterOptions = {},
  ) {}

  /**
   * The same adapter for one containment request: its reason and requester end up in the instance's tag, and its
   * lock-down exceptions (bot and break-glass roles) in the bucket policy.
   */
  withContainment(options: AwsAdapterOptions): AwsAdapter {
    return new AwsAdapter(this.clients, {
      ...this.options,
      ...options,
      containment: { ...this.options.containment, ...options.containment },
    });
  }

  private get except(): string[] {
    return exceptPrincipalPatterns(this.options.lockdownExceptions ?? []);
  }

  async read(ref: ResourceRef, scope?: ReadScope): Promise<Posture | null> {
    const c = this.clients(ref.region, ref.account);
    switch (ref.type) {
      case ResourceTypes.s3Bucket:
        return readBucket(c.s3, ref, scope ? facetsFor(scope.rules) : undefined);
      case ResourceTypes.securityGroup:
        return readSecurityGroup(c.ec2, ref);
      case ResourceTypes.ec2Instance:
        return readInstance(c.ec2, ref);
      case ResourceTypes.trail:
        return readTrail(c.cloudtrail, ref);
      case ResourceTypes.vpc:
        return readVpc(c.ec2, ref);
      case ResourceTypes.awsAccount:
        return readAccount(c, ref, scope?.rules);
      default:
        throw new UnsupportedResourceError(`Reflex does not read ${ref.type} (${ref.id})`);
    }
  }

  /**
   * The verifying read: a bucket's facets the steps wrote (PAB after block-public-access, the policy after a policy
   * fix...), merged into `before`; anything else is read in full (a security group is one call either way).
   */
  async reread(ref: ResourceRef, before: Posture, steps: Step[]): Promise<Posture | null> {
    const c = this.clients(ref.region, ref.account);
    if (before.kind === 'storage' && ref.type === ResourceTypes.s3Bucket) {
      const facets = facetsWritten(steps);
      if (facets) return rereadBucket(c.s3, ref, before, facets);
    }
    return this.read(ref);
  }

  describe(fix: Fix, posture: Posture, plan?: readonly Fix[]): CallDescription[] {
    if (fix.type === 'isolate') {
      switch (posture.kind) {
        case 'storage':
          return describeLockdown(posture, this.except);
        case 'firewall':
          return describeIsolateGroup(posture);
        case 'instance':
          return describeIsolateInstance(posture, fix.quarantineGroup, this.options.containment ?? {});
        default:
          throw new UnsupportedResourceError(`Reflex cannot contain a ${posture.ref.type} (${posture.ref.id})`);
      }
    }
    switch (posture.kind) {
      case 'storage':
        return describeBucketFix(fix, posture, plan);
      case 'firewall':
        return describeRevokeIngress(fix, posture);
      case 'trail':
        return describeTrailFix(fix, posture);
      case 'network':
        return describeFlowLogsFix(fix, posture);
      case 'account':
        return describeAccountFix(fix, posture);
      default:
        return [];
    }
  }

  /** Independent steps run in parallel; S3 policy steps are coalesced by the bucket fixer. */
  /** The before and intended after of a bucket step, for the write-ahead audit record. */
  preview(step: Step, posture: Posture): { before: unknown; after: unknown } | undefined {
    return posture.kind === 'storage' && step.fix.type !== 'isolate' ? previewBucketStep(step, posture) : undefined;
  }

  async apply(steps: Step[], posture: Posture): Promise<StepSettlement[]> {
    const c = this.clients(posture.ref.region, posture.ref.account);
    const settle = (work: () => Promise<StepResult>): Promise<StepSettlement> =>
      work().then(
        (result): StepSettlement => ({ ok: true, result }),
        (error: unknown): StepSettlement => ({ ok: false, error }),
      );
    if (posture.kind === 'storage' && steps.every((s) => s.fix.type !== 'isolate'))
      return applyBucketSteps(c.s3, steps, posture, this.options.leases);
    const one = (step: Step): Promise<StepResult> => {
      const { fix } = step;
      if (fix.type === 'isolate') {
        switch (posture.kind) {
          case 'storage':
            return applyLockdown(c.s3, posture, this.except);
          case 'firewall':
            return applyIsolateGroup(c.ec2, posture);
          case 'instance':
            return applyIsolateInstance(c.ec2, posture, fix.quarantineGroup, this.options.containment ?? {});
          default:
            return Promise.reject(new UnsupportedResourceError(`Reflex cannot contain a ${posture.ref.type}`));
        }
      }
      switch (posture.kind) {
        case 'storage':
          return applyBucketSteps(c.s3, [step], posture, this.options.leases).then(([s]) =>
            s?.ok ? s.result : Promise.reject(s?.error),
          );
        case 'firewall':
          return applyRevokeIngress(c.ec2, fix, posture);
        case 'trail':
          return applyStartLogging(c.cloudtrail, fix, posture);
        case 'network':
          return applyFlowLogs(c.ec2, fix, posture);
        case 'account':
          return applyAccountFix(c, fix, posture);
        default:
          return Promise.reject(new UnsupportedResourceError(`no AWS fixer for ${posture.kind} (${fix.type})`));
      }
    };
    return Promise.all(steps.map((step) => settle(() => one(step))));
  }

  /**
   * Undo of one applied step: compares what the step wrote with the resource now; refuses naming the differences,
   * or (unless `check`) writes the recorded "before" back. See each restore for what "the part it wrote" is.
   */
  async restore(record: AuditRecord, opts: { check: boolean }): Promise<RestoreResult> {
    const ref = record.resource;
    const c = this.clients(ref.region, ref.account);
    const { check } = opts;
    const unsupported = (): RestoreResult => ({
      status: 'refused',
      differences: [`Reflex cannot undo ${record.fix.type} on ${ref.type} (${ref.id})`],
    });
    if (
      !record.after &&
      record.fix.type !== 'remove-public-statements' &&
      record.fix.type !== 'require-secure-transport'
    )
      return { status: 'refused', differences: [`${record.stepId} has no recorded "after" to compare with`] };
    switch (ref.type) {
      case ResourceTypes.s3Bucket:
        if (record.fix.type === 'isolate') return restoreLockdown(c.s3, record, check);
        return restoreBucketFix(c.s3, record, await readBucket(c.s3, ref), check);
      case ResourceTypes.securityGroup:
        if (record.fix.type !== 'isolate' && record.fix.type !== 'revoke-ingress') return unsupported();
        return restoreIngress(c.ec2, record, await readSecurityGroup(c.ec2, ref, { ruleIds: true }), check);
      case ResourceTypes.ec2Instance:
        if (record.fix.type !== 'isolate') return unsupported();
        return restoreIsolateInstance(c.ec2, record, await readInstance(c.ec2, ref), check);
      case ResourceTypes.trail:
        if (record.fix.type !== 'start-trail-logging') return unsupported();
        return restoreTrailLogging(c.cloudtrail, record, await readTrail(c.cloudtrail, ref), check);
      case ResourceTypes.vpc:
        if (record.fix.type !== 'enable-flow-logs') return unsupported();
        return restoreFlowLogs(c.ec2, record, await readVpc(c.ec2, ref), check);
      case ResourceTypes.awsAccount:
        return restoreAccountFix(c, record, await readAccount(c, ref), check);
      default:
        return unsupported();
    }
  }

  isTransient(err: unknown): boolean {
    return isTransient(err);
  }
}
