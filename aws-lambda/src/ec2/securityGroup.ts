import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type IpPermission,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
  type SecurityGroupRuleRequest,
} from '@aws-sdk/client-ec2';
import type {
  CallDescription,
  FirewallPosture,
  Fix,
  IngressChange,
  IngressRule,
  ResourceRef,
  Source,
  StepResult,
} from '@reflex/core';
import { errorCode, requestIdOf } from '../errors.js';

/** Someone (or an earlier delivery of this event) already removed the rule: the goal is met. */
const ALREADY_GONE = ['InvalidPermission.NotFound', 'InvalidSecurityGroupRuleId.NotFound'];

/** The group's rules (ingress and egress, one per sgr id) and its tags; null when the group is gone. */
export async function readSecurityGroup(ec2: EC2Client, ref: ResourceRef): Promise<FirewallPosture | null> {
  const GroupId = ref.name;
  try {
    const [groups, rules] = await Promise.all([
      ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId] })),
      describeRules(ec2, GroupId),
    ]);
    const group = groups.SecurityGroups?.[0];
    if (!group) return null;
    return {
      kind: 'firewall',
      ref,
      rules: rules.map(toIngressRule),
      tags: Object.fromEntries((group.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      ...(group.VpcId ? { vpcId: group.VpcId } : {}),
    };
  } catch (err) {
    if (errorCode(err) === 'InvalidGroup.NotFound' || errorCode(err) === 'InvalidGroupId.Malformed') return null;
    throw err;
  }
}

async function describeRules(ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  const out: SecurityGroupRule[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }], NextToken }),
    );
    out.push(...(page.SecurityGroupRules ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

const PROTOCOL_NAMES: Record<string, string> = { '-1': 'all', '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };

export function toIngressRule(r: SecurityGroupRule): IngressRule {
  const raw = r.IpProtocol ?? '-1';
  const protocol = PROTOCOL_NAMES[raw] ?? raw.toLowerCase();
  // -1 (all traffic) and ICMP's type/code are not port ranges: "all ports" for the rules.
  const ports =
    (protocol === 'tcp' || protocol === 'udp') && r.FromPort !== undefined && r.FromPort >= 0
      ? [{ from: r.FromPort, to: r.ToPort ?? r.FromPort }]
      : [];
  const sources: Source[] = [];
  if (r.CidrIpv4) sources.push({ kind: 'cidr', value: r.CidrIpv4 });
  if (r.CidrIpv6) sources.push({ kind: 'cidr', value: r.CidrIpv6 });
  if (r.PrefixListId) sources.push({ kind: 'prefix-list', value: r.PrefixListId });
  if (r.ReferencedGroupInfo?.GroupId) sources.push({ kind: 'security-group', value: r.ReferencedGroupInfo.GroupId });
  return {
    id: r.SecurityGroupRuleId ?? '',
    direction: r.IsEgress ? 'outbound' : 'inbound',
    access: 'allow',
    protocol,
    ports,
    sources,
    ...(r.Description ? { description: r.Description } : {}),
  };
}

/** One rule as the request shape of ModifySecurityGroupRules (one source per rule, as AWS rules have). */
function toRuleRequest(rule: IngressRule): SecurityGroupRuleRequest {
  const src = rule.sources[0];
  const port = rule.ports[0];
  return {
    IpProtocol: rule.protocol === 'all' ? '-1' : rule.protocol,
    FromPort: port?.from ?? -1,
    ToPort: port?.to ?? -1,
    ...(src?.kind === 'cidr' && src.value.includes(':') ? { CidrIpv6: src.value } : {}),
    ...(src?.kind === 'cidr' && !src.value.includes(':') ? { CidrIpv4: src.value } : {}),
    ...(src?.kind === 'prefix-list' ? { PrefixListId: src.value } : {}),
    ...(src?.kind === 'security-group' ? { ReferencedGroupId: src.value } : {}),
    ...(rule.description ? { Description: rule.description } : {}),
  };
}

function toPermission(rule: IngressRule): IpPermission {
  const r = toRuleRequest(rule);
  return {
    IpProtocol: r.IpProtocol,
    FromPort: r.FromPort,
    ToPort: r.ToPort,
    ...(r.CidrIpv4 ? { IpRanges: [{ CidrIp: r.CidrIpv4, Description: r.Description }] } : {}),
    ...(r.CidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: r.CidrIpv6, Description: r.Description }] } : {}),
    ...(r.PrefixListId ? { PrefixListIds: [{ PrefixListId: r.PrefixListId }] } : {}),
    ...(r.ReferencedGroupId ? { UserIdGroupPairs: [{ GroupId: r.ReferencedGroupId }] } : {}),
  };
}

function split(changes: IngressChange[]) {
  const revoked = changes.filter((c) => c.after.length === 0).map((c) => c.before);
  const narrowed = changes.filter((c) => c.after.length > 0);
  const replaced = narrowed.filter((c) => c.after[0]!.id === c.before.id);
  const added = narrowed.flatMap((c) => c.after.filter((r) => r.id !== c.before.id));
  return { revoked, replaced, added };
}

/**
 * One RevokeSecurityGroupIngress by rule id for every removed rule; narrowed rules keep their id
 * (ModifySecurityGroupRules) and any extra allowed protocol becomes a new rule (AuthorizeSecurityGroupIngress).
 */
export async function applyRevokeIngress(ec2: EC2Client, fix: Fix, posture: FirewallPosture): Promise<StepResult> {
  if (fix.type !== 'revoke-ingress') throw new Error(`fix ${fix.type} does not apply to a security group`);
  const GroupId = posture.ref.name;
  const { revoked, replaced, added } = split(fix.changes);
  const requestIds: string[] = [];
  const alreadyGone: string[] = [];

  if (revoked.length > 0) {
    const ids = revoked.map((r) => r.id);
    try {
      requestIds.push(
        ...requestIdOf(await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, SecurityGroupRuleIds: ids }))),
      );
    } catch (err) {
      if (!ALREADY_GONE.includes(errorCode(err))) throw err;
      // The call is all-or-nothing: one vanished id fails it. Revoke whatever is still there.
      const present = new Set((await describeRules(ec2, GroupId)).map((r) => r.SecurityGroupRuleId));
      const still = ids.filter((id) => present.has(id));
      alreadyGone.push(...ids.filter((id) => !present.has(id)));
      if (still.length > 0)
        requestIds.push(
          ...requestIdOf(
            await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, SecurityGroupRuleIds: still })),
          ),
        );
    }
  }
  if (replaced.length > 0) {
    const out = await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId,
        SecurityGroupRules: replaced.map((c) => ({
          SecurityGroupRuleId: c.before.id,
          SecurityGroupRule: toRuleRequest(c.after[0]!),
        })),
      }),
    );
    requestIds.push(...requestIdOf(out));
  }
  if (added.length > 0) {
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: added.map(toPermission) }),
    );
    requestIds.push(...requestIdOf(out));
  }
  return {
    // The exact rules as they were, so an undo can authorize them again.
    before: { groupId: GroupId, rules: fix.changes.map((c) => c.before) },
    after: {
      groupId: GroupId,
      revoked: revoked.map((r) => r.id),
      narrowed: replaced.map((c) => c.after[0]),
      added,
      ...(alreadyGone.length > 0 ? { alreadyGone } : {}),
    },
    requestIds,
  };
}

export function describeRevokeIngress(fix: Fix, posture: FirewallPosture): CallDescription[] {
  if (fix.type !== 'revoke-ingress') return [];
  const g = posture.ref.name;
  const { revoked, replaced, added } = split(fix.changes);
  const calls: CallDescription[] = [];
  if (revoked.length > 0)
    calls.push({
      api: 'ec2:RevokeSecurityGroupIngress',
      cli: `aws ec2 revoke-security-group-ingress --group-id ${g} --security-group-rule-ids ${revoked.map((r) => r.id).join(' ')}`,
      permission: 'ec2:RevokeSecurityGroupIngress',
    });
  if (replaced.length > 0)
    calls.push({
      api: 'ec2:ModifySecurityGroupRules',
      cli: `aws ec2 modify-security-group-rules --group-id ${g} --security-group-rules '${JSON.stringify(
        replaced.map((c) => ({ SecurityGroupRuleId: c.before.id, SecurityGroupRule: toRuleRequest(c.after[0]!) })),
      )}'`,
      permission: 'ec2:ModifySecurityGroupRules',
    });
  if (added.length > 0)
    calls.push({
      api: 'ec2:AuthorizeSecurityGroupIngress',
      cli: `aws ec2 authorize-security-group-ingress --group-id ${g} --ip-permissions '${JSON.stringify(added.map(toPermission))}'`,
      permission: 'ec2:AuthorizeSecurityGroupIngress',
    });
  return calls;
}
