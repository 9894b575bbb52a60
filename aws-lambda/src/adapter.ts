import {
  type CallDescription,
  type CloudAdapter,
  type Fix,
  type Posture,
  type ResourceRef,
  ResourceTypes,
  type Step,
  type StepResult,
  type StepSettlement,
  UnsupportedResourceError,
} from '@reflex/core';
import { applyAccountFix, describeAccountFix, readAccount } from './account/account.js';
import type { ClientsForRegion } from './clients.js';
import { applyStartLogging, describeTrailFix, readTrail } from './cloudtrail/trail.js';
import { applyFlowLogs, describeFlowLogsFix, readVpc } from './ec2/network.js';
import { applyRevokeIngress, describeRevokeIngress, readSecurityGroup } from './ec2/securityGroup.js';
import { isTransient } from './errors.js';
import { applyBucketSteps, describeBucketFix } from './s3/fixes.js';
import { readBucket } from './s3/posture.js';

/** The AWS side of the engine: reads posture, describes and applies fixes. No policy logic lives here. */
export class AwsAdapter implements CloudAdapter {
  readonly cloud = 'aws' as const;

  constructor(private readonly clients: ClientsForRegion) {}

  async read(ref: ResourceRef): Promise<Posture | null> {
    const c = this.clients(ref.region);
    switch (ref.type) {
      case ResourceTypes.s3Bucket:
        return readBucket(c.s3, ref);
      case ResourceTypes.securityGroup:
        return readSecurityGroup(c.ec2, ref);
      case ResourceTypes.trail:
        return readTrail(c.cloudtrail, ref);
      case ResourceTypes.vpc:
        return readVpc(c.ec2, ref);
      case ResourceTypes.awsAccount:
        return readAccount(c, ref);
      default:
        throw new UnsupportedResourceError(`Reflex does not read ${ref.type} (${ref.id})`);
    }
  }

  describe(fix: Fix, posture: Posture): CallDescription[] {
    switch (posture.kind) {
      case 'storage':
        return describeBucketFix(fix, posture);
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
  async apply(steps: Step[], posture: Posture): Promise<StepSettlement[]> {
    const c = this.clients(posture.ref.region);
    if (posture.kind === 'storage') return applyBucketSteps(c.s3, steps, posture);
    const one = (step: Step): Promise<StepResult> => {
      switch (posture.kind) {
        case 'firewall':
          return applyRevokeIngress(c.ec2, step.fix, posture);
        case 'trail':
          return applyStartLogging(c.cloudtrail, step.fix, posture);
        case 'network':
          return applyFlowLogs(c.ec2, step.fix, posture);
        case 'account':
          return applyAccountFix(c, step.fix, posture);
        default:
          return Promise.reject(new UnsupportedResourceError(`no AWS fixer for ${posture.kind} (${step.fix.type})`));
      }
    };
    return Promise.all(
      steps.map((step) =>
        one(step).then(
          (result): StepSettlement => ({ ok: true, result }),
          (error: unknown): StepSettlement => ({ ok: false, error }),
        ),
      ),
    );
  }

  isTransient(err: unknown): boolean {
    return isTransient(err);
  }
}
