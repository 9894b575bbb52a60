import type { AccountPosture, NetworkPosture, TrailPosture } from '../model/index.js';
import { BLOCK_ALL } from './publicStorage.js';
import type { Rule } from './types.js';

/** "Enable CloudTrail before anything else": a stopped trail blinds every other control. */
export const trailLoggingStopped: Rule<TrailPosture> = {
  name: 'trailLoggingStopped',
  appliesTo: 'trail',
  severity: 'critical',
  description: 'A CloudTrail trail whose logging was stopped (StopLogging). The fix is StartLogging on the trail.',
  evaluate(p) {
    if (p.logging) return null;
    return {
      rule: 'trailLoggingStopped',
      resource: p.ref,
      severity: 'critical',
      title: `CloudTrail trail ${p.ref.name} is not logging`,
      evidence: ['trail status: IsLogging=false'],
      fixes: [{ type: 'start-trail-logging' }],
    };
  },
};

/** A network whose traffic is not recorded. */
export const networkWithoutFlowLogs: Rule<NetworkPosture> = {
  name: 'networkWithoutFlowLogs',
  appliesTo: 'network',
  severity: 'medium',
  description:
    'A VPC (AWS) or virtual network (Azure) without an active flow log. The fix creates one to the destination ' +
    'in the policy (AWS: S3 bucket or CloudWatch Logs; Azure: VNet flow logs through the network watcher).',
  evaluate(p, policy) {
    if (p.flowLogs.some((f) => f.active)) return null;
    const cfg = policy.rules.networkWithoutFlowLogs;
    const destination = p.ref.cloud === 'aws' ? cfg?.aws?.destination : cfg?.azure?.storageAccountId;
    return {
      rule: 'networkWithoutFlowLogs',
      resource: p.ref,
      severity: 'medium',
      title: `${p.ref.name} has no flow logs`,
      evidence: [
        p.flowLogs.length === 0 ? 'no flow logs' : 'flow logs exist but none is active',
        ...(destination ? [] : ['no flow-log destination configured in policy']),
      ],
      fixes: destination
        ? [{ type: 'enable-flow-logs', destination, trafficType: cfg?.aws?.trafficType ?? 'ALL' }]
        : [],
    };
  },
};

export const ebsEncryptionByDefaultOff: Rule<AccountPosture> = {
  name: 'ebsEncryptionByDefaultOff',
  appliesTo: 'account',
  severity: 'high',
  description:
    'EBS encryption by default turned off in a region (DisableEbsEncryptionByDefault). The fix turns it back on.',
  evaluate(p) {
    if (p.ebsEncryptionByDefault !== false) return null;
    return {
      rule: 'ebsEncryptionByDefaultOff',
      resource: p.ref,
      severity: 'high',
      title: `EBS encryption by default is off in ${p.ref.region}`,
      evidence: ['EbsEncryptionByDefault=false'],
      fixes: [{ type: 'enable-ebs-default-encryption' }],
    };
  },
};

export const accountPublicAccessUnblocked: Rule<AccountPosture> = {
  name: 'accountPublicAccessUnblocked',
  appliesTo: 'account',
  severity: 'critical',
  description:
    'The account-level S3 Block Public Access was removed or weakened (Security Hub S3.1). The fix restores all four flags.',
  evaluate(p) {
    if (p.s3PublicAccessBlock === undefined) return null;
    const block = p.s3PublicAccessBlock;
    const off = block
      ? Object.entries(block)
          .filter(([, v]) => !v)
          .map(([k]) => k)
      : ['all four flags'];
    if (off.length === 0) return null;
    return {
      rule: 'accountPublicAccessUnblocked',
      resource: p.ref,
      severity: 'critical',
      title: `S3 account-level Block Public Access is off in ${p.ref.account}`,
      evidence: [block ? `off: ${off.join(', ')}` : 'no account-level Block Public Access configuration'],
      fixes: [{ type: 'block-public-access', block: BLOCK_ALL, scope: 'account' }],
    };
  },
};
