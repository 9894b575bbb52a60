import * as z from 'zod';
import type { NetworkPosture } from '../model/index.js';
import { armId, ruleConfig } from '../policy/ruleConfig.js';
import type { RuleDef } from './types.js';

const config = ruleConfig({
  aws: z
    .object({
      /** An S3 bucket ARN or a CloudWatch Logs log group ARN. */
      destination: z.string().startsWith('arn:'),
      trafficType: z.enum(['ALL', 'ACCEPT', 'REJECT']).default('ALL'),
    })
    .strict()
    .optional(),
  azure: z.object({ storageAccountId: armId, workspaceId: armId.optional() }).strict().optional(),
});
export type EnableFlowLogsFix = {
  type: 'enable-flow-logs';
  destination: string;
  trafficType: 'ALL' | 'ACCEPT' | 'REJECT';
};

/** A network whose traffic is not recorded. */
export const networkWithoutFlowLogs: RuleDef<
  'networkWithoutFlowLogs',
  NetworkPosture,
  typeof config,
  EnableFlowLogsFix
> = {
  name: 'networkWithoutFlowLogs',
  appliesTo: 'network',
  severity: 'medium',
  description:
    'A VPC (AWS) or virtual network (Azure) without an active flow log. The fix creates one to the destination ' +
    'in the policy (AWS: S3 bucket or CloudWatch Logs; Azure: VNet flow logs through the network watcher).',
  config,
  fixes: { 'enable-flow-logs': (fix) => `create a flow log (${fix.trafficType}) to ${fix.destination}` },
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
