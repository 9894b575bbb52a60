import {
  CreateFlowLogsCommand,
  DeleteFlowLogsCommand,
  DescribeFlowLogsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type FlowLog,
} from '@aws-sdk/client-ec2';
import type {
  AuditRecord,
  CallDescription,
  Fix,
  NetworkPosture,
  ResourceRef,
  RestoreResult,
  StepResult,
} from '@reflex/core';
import { errorCode, requestIdOf } from '../errors.js';

/** A VPC and its flow logs; null when the VPC is gone. */
export async function readVpc(ec2: EC2Client, ref: ResourceRef): Promise<NetworkPosture | null> {
  const VpcId = ref.name;
  try {
    const [vpcs, flows] = await Promise.all([
      ec2.send(new DescribeVpcsCommand({ VpcIds: [VpcId] })),
      describeFlowLogs(ec2, VpcId),
    ]);
    const vpc = vpcs.Vpcs?.[0];
    if (!vpc) return null;
    return {
      kind: 'network',
      ref,
      flowLogs: flows.map((f) => ({
        id: f.FlowLogId ?? '',
        ...((f.LogDestination ?? f.LogGroupName) ? { destination: f.LogDestination ?? f.LogGroupName } : {}),
        active: f.FlowLogStatus === 'ACTIVE',
      })),
      tags: Object.fromEntries((vpc.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  } catch (err) {
    if (errorCode(err) === 'InvalidVpcID.NotFound') return null;
    throw err;
  }
}

async function describeFlowLogs(ec2: EC2Client, vpcId: string): Promise<FlowLog[]> {
  const out: FlowLog[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [vpcId] }], NextToken }),
    );
    out.push(...(page.FlowLogs ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

function destinationType(destination: string): 's3' | 'cloud-watch-logs' {
  return destination.startsWith('arn:') && destination.split(':')[2] === 's3' ? 's3' : 'cloud-watch-logs';
}

/** CloudWatch Logs delivery needs a role the policy schema does not carry yet: REFLEX_FLOW_LOGS_ROLE_ARN. */
function deliveryRole(destination: string) {
  const role = process.env.REFLEX_FLOW_LOGS_ROLE_ARN;
  return destinationType(destination) === 'cloud-watch-logs' && role ? { DeliverLogsPermissionArn: role } : {};
}

export async function applyFlowLogs(ec2: EC2Client, fix: Fix, posture: NetworkPosture): Promise<StepResult> {
  if (fix.type !== 'enable-flow-logs') throw new Error(`fix ${fix.type} does not apply to a VPC`);
  const out = await ec2.send(
    new CreateFlowLogsCommand({
      ResourceIds: [posture.ref.name],
      ResourceType: 'VPC',
      TrafficType: fix.trafficType,
      LogDestinationType: destinationType(fix.destination),
      LogDestination: fix.destination,
      ...deliveryRole(fix.destination),
    }),
  );
  const failed = out.Unsuccessful?.[0]?.Error;
  if (failed)
    throw Object.assign(new Error(failed.Message ?? 'CreateFlowLogs failed'), {
      name: failed.Code ?? 'CreateFlowLogsFailed',
    });
  return {
    before: { flowLogs: posture.flowLogs },
    after: { flowLogIds: out.FlowLogIds ?? [] },
    requestIds: requestIdOf(out),
  };
}

export function describeFlowLogsFix(fix: Fix, posture: NetworkPosture): CallDescription[] {
  if (fix.type !== 'enable-flow-logs') return [];
  return [
    {
      api: 'ec2:CreateFlowLogs',
      argv: [
        'aws',
        'ec2',
        'create-flow-logs',
        '--resource-type',
        'VPC',
        '--resource-ids',
        posture.ref.name,
        '--traffic-type',
        fix.trafficType,
        '--log-destination-type',
        destinationType(fix.destination),
        '--log-destination',
        fix.destination,
      ],
      permission: 'ec2:CreateFlowLogs',
    },
  ];
}

/** Undo of CreateFlowLogs: deletes the flow logs Reflex created, while they all still exist. */
export async function restoreFlowLogs(
  ec2: EC2Client,
  record: AuditRecord,
  current: NetworkPosture | null,
  check: boolean,
): Promise<RestoreResult> {
  const vpc = record.resource.name;
  if (!current) return { status: 'refused', differences: [`VPC ${vpc} no longer exists`] };
  const created = (record.after as { flowLogIds: string[] }).flowLogIds;
  const present = new Set(current.flowLogs.map((f) => f.id));
  if (created.every((id) => !present.has(id))) return { status: 'restored', requestIds: [] };
  const missing = created.filter((id) => !present.has(id));
  if (missing.length > 0)
    return {
      status: 'refused',
      differences: [`${vpc}: flow log(s) ${missing.join(', ')} that Reflex created were deleted since`],
    };
  if (check) return { status: 'restorable', requestIds: [] };
  const out = await ec2.send(new DeleteFlowLogsCommand({ FlowLogIds: created }));
  const failed = out.Unsuccessful?.[0]?.Error;
  if (failed) throw Object.assign(new Error(failed.Message ?? 'DeleteFlowLogs failed'), { name: failed.Code });
  return { status: 'restored', requestIds: requestIdOf(out) };
}
