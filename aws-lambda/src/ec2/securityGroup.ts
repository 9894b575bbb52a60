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
  AuditRecord,
  CallDescription,
  FirewallPosture,
  Fix,
  IngressChange,
  IngressRule,
  ResourceRef,
  RestoreResult,
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

/**
 * The verifying read after a revoke: the rules again, the group's tags and VPC as `before` had them (the fix did not
 * write those). One call instead of two.
 */
export async function rereadSecurityGroupRules(
  ec2: EC2Client,
  ref: ResourceRef,
  before: FirewallPosture,
): Promise<FirewallPosture | null> {
  try {
    const rules = await describeRules(ec2, ref.name);
    return { ...before, ref, rules: rules.map(toIngressRule) };
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

/**
 * Every group of the region as its listing shows it, for a sweep to screen: DescribeSecurityGroups and
 * DescribeSecurityGroupRules paged through once each (1,000 a page), not two calls per group. A finding on these is
 * acted on only after a fresh read of that group (see Target.screen).
 */
export async function listGroupPostures(
  ec2: EC2Client,
  refOf: (groupId: string) => ResourceRef,
): Promise<FirewallPosture[]> {
  const [groups, rules] = await Promise.all([
    pages(async (NextToken) => {
      const page = await ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 1000, NextToken }));
      return [page.SecurityGroups ?? [], page.NextToken];
    }),
    pages(async (NextToken) => {
      const page = await ec2.send(new DescribeSecurityGroupRulesCommand({ MaxResults: 1000, NextToken }));
      return [page.SecurityGroupRules ?? [], page.NextToken];
    }),
  ]);
  const byGroup = new Map<string, SecurityGroupRule[]>();
  for (const r of rules) if (r.GroupId) byGroup.set(r.GroupId, [...(byGroup.get(r.GroupId) ?? []), r]);
  return groups.flatMap((g): FirewallPosture[] =>
    g.GroupId
      ? [
          {
            kind: 'firewall',
            ref: refOf(g.GroupId),
            rules: (byGroup.get(g.GroupId) ?? []).map(toIngressRule),
            tags: Object.fromEntries((g.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
            ...(g.VpcId ? { vpcId: g.VpcId } : {}),
          },
        ]
      : [],
  );
}

async function pages<T>(page: (token: string | undefined) => Promise<[T[], string | undefined]>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const [items, next] = await page(token);
    out.push(...items);
    token = next;
  } while (token);
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
    ...(r.PrefixListId ? { PrefixListIds: [{ PrefixListId: r.PrefixListId, Description: r.Description }] } : {}),
    ...(r.ReferencedGroupId
      ? { UserIdGroupPairs: [{ GroupId: r.ReferencedGroupId, Description: r.Description }] }
      : {}),
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
  let addedRules = added;
  if (added.length > 0) {
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: added.map(toPermission) }),
    );
    requestIds.push(...requestIdOf(out));
    // The new rules' ids, so that an undo can revoke exactly them.
    const created = (out.SecurityGroupRules ?? []).filter((r) => !r.IsEgress).map(toIngressRule);
    addedRules = added.map((a) => ({ ...a, id: created.find((c) => ruleKey(c) === ruleKey(a))?.id ?? a.id }));
  }
  return {
    // The exact rules as they were, so an undo can authorize them again.
    before: { groupId: GroupId, rules: fix.changes.map((c) => c.before) },
    after: {
      groupId: GroupId,
      revoked: revoked.map((r) => r.id),
      narrowed: replaced.map((c) => c.after[0]),
      added: addedRules,
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

/** What a rule does, without its id or description: protocol, ports and source. */
export function ruleKey(r: IngressRule): string {
  const ports = r.ports.map((p) => `${p.from}-${p.to}`).join(',') || 'all';
  const sources = r.sources.map((s) => `${s.kind}:${s.value}`).join(',');
  return `${r.protocol} ${ports} from ${sources}`;
}

const show = (r: IngressRule) => `${r.id ? `${r.id} ` : ''}(${ruleKey(r)})`;

/**
 * Containment of a group: every inbound rule revoked, in one call by rule id, verified by a re-read. The
 * before/after have the shape of a `revoke-ingress` step, so one restore serves both.
 */
export async function applyIsolateGroup(ec2: EC2Client, posture: FirewallPosture): Promise<StepResult> {
  const GroupId = posture.ref.name;
  const inbound = (await describeRules(ec2, GroupId)).filter((r) => !r.IsEgress).map(toIngressRule);
  const requestIds: string[] = [];
  if (inbound.length > 0)
    requestIds.push(
      ...requestIdOf(
        await ec2.send(
          new RevokeSecurityGroupIngressCommand({ GroupId, SecurityGroupRuleIds: inbound.map((r) => r.id) }),
        ),
      ),
    );
  const left = (await describeRules(ec2, GroupId)).filter((r) => !r.IsEgress);
  if (left.length > 0)
    throw new Error(`inbound rules still present on re-read: ${left.map((r) => r.SecurityGroupRuleId).join(', ')}`);
  return {
    before: { groupId: GroupId, rules: inbound },
    after: { groupId: GroupId, revoked: inbound.map((r) => r.id), narrowed: [], added: [], noIngress: true },
    requestIds,
  };
}

export function describeIsolateGroup(posture: FirewallPosture): CallDescription[] {
  const inbound = posture.rules.filter((r) => r.direction === 'inbound');
  if (inbound.length === 0) return [];
  return [
    {
      api: 'ec2:RevokeSecurityGroupIngress',
      cli: `aws ec2 revoke-security-group-ingress --group-id ${posture.ref.name} --security-group-rule-ids ${inbound.map((r) => r.id).join(' ')}`,
      permission: 'ec2:RevokeSecurityGroupIngress',
    },
  ];
}

interface IngressBefore {
  groupId: string;
  rules: IngressRule[];
}
interface IngressAfter {
  groupId: string;
  revoked: string[];
  narrowed: IngressRule[];
  added: IngressRule[];
  alreadyGone?: string[];
  noIngress?: boolean;
}

/**
 * Undo of `revoke-ingress` and of a group's containment. Refuses when the group moved on since: a revoked rule is
 * back, a narrowed or added rule changed or went, or (containment) any inbound rule appeared. Otherwise the revoked
 * rules are authorized again with their descriptions, narrowed rules modified back in place, added rules revoked.
 */
export async function restoreIngress(
  ec2: EC2Client,
  record: AuditRecord,
  current: FirewallPosture | null,
  check: boolean,
): Promise<RestoreResult> {
  const before = record.before as IngressBefore;
  const after = record.after as IngressAfter;
  const GroupId = after.groupId;
  if (!current) return { status: 'refused', differences: [`security group ${GroupId} no longer exists`] };
  const inbound = current.rules.filter((r) => r.direction === 'inbound');
  const byId = new Map(inbound.map((r) => [r.id, r]));
  const present = new Set(inbound.map(ruleKey));
  const gone = new Set(after.alreadyGone ?? []);
  const revoked = before.rules.filter((r) => after.revoked.includes(r.id) && !gone.has(r.id));
  const differences: string[] = [];
  for (const r of revoked)
    if (byId.has(r.id) || present.has(ruleKey(r)))
      differences.push(`${GroupId}: revoked rule ${show(r)} is present again`);
  for (const n of after.narrowed) {
    const now = byId.get(n.id);
    if (!now) differences.push(`${GroupId}: rule ${show(n)} that Reflex narrowed is gone`);
    else if (ruleKey(now) !== ruleKey(n))
      differences.push(`${GroupId}: rule ${n.id} is now (${ruleKey(now)}), Reflex left (${ruleKey(n)})`);
  }
  for (const a of after.added)
    if (!(a.id ? byId.has(a.id) : present.has(ruleKey(a))))
      differences.push(`${GroupId}: rule ${show(a)} that Reflex added is gone`);
  if (after.noIngress)
    for (const r of inbound)
      if (!revoked.some((v) => ruleKey(v) === ruleKey(r)))
        differences.push(`${GroupId}: inbound rule ${show(r)} was added after the containment`);
  if (differences.length > 0) return { status: 'refused', differences };
  if (check) return { status: 'restorable', requestIds: [] };

  const requestIds: string[] = [];
  if (after.added.length > 0) {
    const ids = after.added.map((a) => a.id || inbound.find((r) => ruleKey(r) === ruleKey(a))?.id);
    const SecurityGroupRuleIds = ids.filter((id): id is string => !!id);
    if (SecurityGroupRuleIds.length > 0)
      requestIds.push(
        ...requestIdOf(await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, SecurityGroupRuleIds }))),
      );
  }
  const narrowedIds = new Set(after.narrowed.map((n) => n.id));
  const back = before.rules.filter((r) => narrowedIds.has(r.id));
  if (back.length > 0)
    requestIds.push(
      ...requestIdOf(
        await ec2.send(
          new ModifySecurityGroupRulesCommand({
            GroupId,
            SecurityGroupRules: back.map((r) => ({ SecurityGroupRuleId: r.id, SecurityGroupRule: toRuleRequest(r) })),
          }),
        ),
      ),
    );
  if (revoked.length > 0)
    requestIds.push(
      ...requestIdOf(
        await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: revoked.map(toPermission) })),
      ),
    );
  return { status: 'restored', requestIds };
}
