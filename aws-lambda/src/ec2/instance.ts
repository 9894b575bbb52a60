import {
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type Instance,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type {
  AuditRecord,
  CallDescription,
  InstancePosture,
  ResourceRef,
  RestoreResult,
  StepResult,
} from '@reflex/core';
import { errorCode, requestIdOf } from '../errors.js';

/** The tag Reflex puts on what it contained: `<ISO time> <reason>`. */
export const CONTAINED_TAG = 'reflex:contained';
export const QUARANTINE_GROUP = 'reflex-quarantine';
const QUARANTINE_DESCRIPTION = 'Reflex quarantine: no inbound and no outbound rules';

/** What the isolate step knows beyond the fix: who asked and why, and whether to snapshot the volumes. */
export interface ContainmentContext {
  reason?: string;
  actor?: string;
  snapshots?: boolean;
  now?: () => Date;
}

interface InstanceBefore {
  instanceId: string;
  networkInterfaces: { id: string; groups: string[] }[];
  /** The `reflex:contained` tag before (null: none). */
  tag: string | null;
}

interface InstanceAfter {
  instanceId: string;
  quarantineGroupId: string;
  createdQuarantineGroup: boolean;
  networkInterfaces: { id: string; groups: string[] }[];
  tag: string;
  snapshots: string[];
}

/** An instance as containment sees it: its network interfaces and their groups. Null when gone or terminated. */
export async function readInstance(ec2: EC2Client, ref: ResourceRef): Promise<InstancePosture | null> {
  const instance = await describeInstance(ec2, ref.name);
  if (!instance) return null;
  return {
    kind: 'instance',
    ref,
    networkInterfaces: interfacesOf(instance),
    ...(instance.VpcId ? { vpcId: instance.VpcId } : {}),
    tags: Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
}

async function describeInstance(ec2: EC2Client, instanceId: string): Promise<Instance | null> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    if (!instance || instance.State?.Name === 'terminated') return null;
    return instance;
  } catch (err) {
    if (['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed'].includes(errorCode(err))) return null;
    throw err;
  }
}

function interfacesOf(instance: Instance) {
  return (instance.NetworkInterfaces ?? [])
    .filter((n) => n.NetworkInterfaceId)
    .map((n) => ({
      id: n.NetworkInterfaceId!,
      groups: (n.Groups ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
      ...(n.Attachment?.DeviceIndex === 0 ? { primary: true } : {}),
    }));
}

/**
 * Sets an interface's groups. For the primary interface the instance's own group set is the same thing on AWS
 * (`modify-instance-attribute --groups`, the documented isolation call); we set both so that the instance-level
 * view agrees everywhere, including emulators that keep the two apart (moto unions them).
 */
async function setGroups(ec2: EC2Client, instanceId: string, n: { id: string; primary?: boolean }, groups: string[]) {
  const calls = [ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: n.id, Groups: groups }))];
  if (n.primary) calls.push(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Groups: groups })));
  return (await Promise.all(calls)).flatMap(requestIdOf);
}

/**
 * The quarantine group of a VPC: found by id (`sg-...` in the fix), or by name, created when missing. Whatever its
 * origin, it is left with no rules at all: the default egress rule of a new group, or anything someone added since.
 */
async function quarantineGroup(ec2: EC2Client, vpcId: string | undefined, wanted: string | undefined) {
  const requestIds: string[] = [];
  let groupId: string | undefined;
  let created = false;
  if (wanted?.startsWith('sg-')) groupId = wanted;
  else {
    const name = wanted ?? QUARANTINE_GROUP;
    const find = async () => {
      const out = await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: 'group-name', Values: [name] }, ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [])],
        }),
      );
      return out.SecurityGroups?.[0]?.GroupId;
    };
    groupId = await find();
    if (!groupId) {
      try {
        const out = await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: name,
            Description: QUARANTINE_DESCRIPTION,
            ...(vpcId ? { VpcId: vpcId } : {}),
            TagSpecifications: [
              { ResourceType: 'security-group', Tags: [{ Key: 'reflex:purpose', Value: 'quarantine' }] },
            ],
          }),
        );
        groupId = out.GroupId;
        created = true;
        requestIds.push(...requestIdOf(out));
      } catch (err) {
        // Another containment created it at the same moment.
        if (errorCode(err) !== 'InvalidGroup.Duplicate') throw err;
        groupId = await find();
      }
    }
  }
  if (!groupId) throw new Error(`could not find or create the quarantine group in ${vpcId ?? 'the default VPC'}`);
  const rules = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  const egress = (rules.SecurityGroupRules ?? []).filter((r) => r.IsEgress).map((r) => r.SecurityGroupRuleId!);
  const ingress = (rules.SecurityGroupRules ?? []).filter((r) => !r.IsEgress).map((r) => r.SecurityGroupRuleId!);
  if (egress.length > 0)
    requestIds.push(
      ...requestIdOf(
        await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: egress })),
      ),
    );
  if (ingress.length > 0)
    requestIds.push(
      ...requestIdOf(
        await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ingress })),
      ),
    );
  return { groupId, created, requestIds };
}

/**
 * Isolates an instance: every network interface gets the quarantine group as its only group, the instance is tagged
 * `reflex:contained`, and (when asked) each attached EBS volume is snapshotted for forensics. A re-read verifies it.
 */
export async function applyIsolateInstance(
  ec2: EC2Client,
  posture: InstancePosture,
  wantedGroup: string | undefined,
  ctx: ContainmentContext,
): Promise<StepResult> {
  const instanceId = posture.ref.name;
  const current = await describeInstance(ec2, instanceId);
  if (!current) throw new Error(`instance ${instanceId} is gone`);
  const before: InstanceBefore = {
    instanceId,
    networkInterfaces: interfacesOf(current),
    tag: posture.tags[CONTAINED_TAG] ?? null,
  };
  const q = await quarantineGroup(ec2, current.VpcId ?? posture.vpcId, wantedGroup);
  const requestIds = [...q.requestIds];
  const modified = await Promise.all(before.networkInterfaces.map((n) => setGroups(ec2, instanceId, n, [q.groupId])));
  requestIds.push(...modified.flat());

  const now = (ctx.now ?? (() => new Date()))();
  const tag =
    `${now.toISOString()} ${ctx.reason ?? 'contained by Reflex'}${ctx.actor ? ` (by ${ctx.actor})` : ''}`.slice(0, 256);
  const tags = [{ Key: CONTAINED_TAG, Value: tag }];
  requestIds.push(...requestIdOf(await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: tags }))));

  const snapshots: string[] = [];
  if (ctx.snapshots) {
    const volumes = (current.BlockDeviceMappings ?? []).map((m) => m.Ebs?.VolumeId).filter((v): v is string => !!v);
    const made = await Promise.all(
      volumes.map((VolumeId) =>
        ec2.send(
          new CreateSnapshotCommand({
            VolumeId,
            Description: `Reflex containment of ${instanceId}`.slice(0, 255),
            TagSpecifications: [
              {
                ResourceType: 'snapshot',
                Tags: [...tags, { Key: 'reflex:instance', Value: instanceId }],
              },
            ],
          }),
        ),
      ),
    );
    for (const out of made) {
      if (out.SnapshotId) snapshots.push(out.SnapshotId);
      requestIds.push(...requestIdOf(out));
    }
  }

  // Verify on a fresh read: every interface has the quarantine group, and only it.
  const check = await describeInstance(ec2, instanceId);
  const wrong = (check ? interfacesOf(check) : []).filter((n) => n.groups.length !== 1 || n.groups[0] !== q.groupId);
  if (!check || wrong.length > 0)
    throw new Error(
      `isolation did not hold on re-read: ${wrong.map((n) => `${n.id} has ${n.groups.join(',')}`).join('; ') || 'instance gone'}`,
    );
  const after: InstanceAfter = {
    instanceId,
    quarantineGroupId: q.groupId,
    createdQuarantineGroup: q.created,
    networkInterfaces: interfacesOf(check),
    tag,
    snapshots,
  };
  return { before, after, requestIds };
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Puts the interfaces' groups back, and the tag as it was, while every interface still has exactly the groups the
 * isolation wrote. Snapshots are evidence and are kept; so is the (empty, reusable) quarantine group.
 */
export async function restoreIsolateInstance(
  ec2: EC2Client,
  record: AuditRecord,
  current: InstancePosture | null,
  check: boolean,
): Promise<RestoreResult> {
  const before = record.before as InstanceBefore;
  const after = record.after as InstanceAfter;
  const id = record.resource.name;
  if (!current) return { status: 'refused', differences: [`instance ${id} no longer exists`] };
  const differences: string[] = [];
  const now = new Map(current.networkInterfaces.map((n) => [n.id, n.groups]));
  const alreadyBack = before.networkInterfaces.every((n) => sameSet(now.get(n.id) ?? [], n.groups));
  if (alreadyBack && (current.tags[CONTAINED_TAG] ?? null) === before.tag)
    return { status: 'restored', requestIds: [] };
  for (const n of after.networkInterfaces) {
    const groups = now.get(n.id);
    if (!groups) differences.push(`${id}: network interface ${n.id} is no longer attached`);
    else if (!sameSet(groups, n.groups))
      differences.push(
        `${id}: network interface ${n.id} has groups [${groups.join(', ')}], Reflex left [${n.groups.join(', ')}]`,
      );
  }
  for (const n of current.networkInterfaces)
    if (!after.networkInterfaces.some((a) => a.id === n.id))
      differences.push(`${id}: network interface ${n.id} was attached after the containment`);
  if (differences.length > 0) return { status: 'refused', differences };
  if (check) return { status: 'restorable', requestIds: [] };

  const requestIds: string[] = [];
  const outs = await Promise.all(before.networkInterfaces.map((n) => setGroups(ec2, id, n, n.groups)));
  requestIds.push(...outs.flat());
  const tagged =
    before.tag === null
      ? await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: CONTAINED_TAG }] }))
      : await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: CONTAINED_TAG, Value: before.tag }] }));
  requestIds.push(...requestIdOf(tagged));
  return { status: 'restored', requestIds };
}

export function describeIsolateInstance(
  posture: InstancePosture,
  wantedGroup: string | undefined,
  ctx: ContainmentContext,
): CallDescription[] {
  const id = posture.ref.name;
  const group = wantedGroup?.startsWith('sg-') ? wantedGroup : '<quarantine-group-id>';
  const name = wantedGroup && !wantedGroup.startsWith('sg-') ? wantedGroup : QUARANTINE_GROUP;
  const calls: CallDescription[] = [];
  if (!wantedGroup?.startsWith('sg-'))
    calls.push(
      {
        api: 'ec2:DescribeSecurityGroups, ec2:CreateSecurityGroup (only if missing)',
        argv: [
          'aws',
          'ec2',
          'create-security-group',
          '--group-name',
          name,
          '--description',
          QUARANTINE_DESCRIPTION,
          ...(posture.vpcId ? ['--vpc-id', posture.vpcId] : []),
        ],
        permission: 'ec2:DescribeSecurityGroups, ec2:CreateSecurityGroup',
      },
      {
        api: 'ec2:RevokeSecurityGroupEgress',
        argv: [
          'aws',
          'ec2',
          'revoke-security-group-egress',
          '--group-id',
          '<quarantine-group-id>',
          '--security-group-rule-ids',
          '<its default egress rule>',
        ],
        permission: 'ec2:RevokeSecurityGroupEgress',
      },
    );
  for (const n of posture.networkInterfaces) {
    calls.push({
      api: 'ec2:ModifyNetworkInterfaceAttribute',
      argv: ['aws', 'ec2', 'modify-network-interface-attribute', '--network-interface-id', n.id, '--groups', group],
      permission: 'ec2:ModifyNetworkInterfaceAttribute',
    });
    if (n.primary)
      calls.push({
        api: 'ec2:ModifyInstanceAttribute',
        argv: ['aws', 'ec2', 'modify-instance-attribute', '--instance-id', id, '--groups', group],
        permission: 'ec2:ModifyInstanceAttribute',
      });
  }
  calls.push({
    api: 'ec2:CreateTags',
    // JSON, not shorthand: a reason may hold the commas and brackets shorthand would parse.
    argv: [
      'aws',
      'ec2',
      'create-tags',
      '--resources',
      id,
      '--tags',
      JSON.stringify([{ Key: CONTAINED_TAG, Value: `<time> ${ctx.reason ?? '<reason>'}` }]),
    ],
    permission: 'ec2:CreateTags',
  });
  if (ctx.snapshots)
    calls.push({
      api: 'ec2:CreateSnapshot (each attached EBS volume)',
      argv: [
        'aws',
        'ec2',
        'create-snapshot',
        '--volume-id',
        '<volume-id>',
        '--description',
        `Reflex containment of ${id}`,
        '--tag-specifications',
        JSON.stringify([{ ResourceType: 'snapshot', Tags: [{ Key: CONTAINED_TAG, Value: '...' }] }]),
      ],
      permission: 'ec2:CreateSnapshot, ec2:CreateTags',
    });
  return calls;
}
