import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type IpPermission,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
  type SecurityGroupRule,
  type SecurityGroupRuleRequest,
} from '@aws-sdk/client-ec2';
import {
  type AuditRecord,
  type CallDescription,
  type FirewallPosture,
  type Fix,
  type IngressChange,
  type IngressRule,
  quiet,
  type ResourceRef,
  type RestoreResult,
  type Source,
  type StepResult,
} from '@reflex/core';
import { errorCode, requestIdOf } from '../errors.js';

/** Someone (or an earlier delivery of this event) already removed the rule: the goal is met. */
const ALREADY_GONE = ['InvalidPermission.NotFound', 'InvalidSecurityGroupRuleId.NotFound'];

const GROUP_GONE = ['InvalidGroup.NotFound', 'InvalidGroupId.Malformed'];

/**
 * The group as DescribeSecurityGroups shows it, in one call: its rules (one per source, as AWS counts rules, read
 * from the permissions: without `sgr-` ids, which only DescribeSecurityGroupRules names), its tags and VPC. With
 * `ruleIds`, the rules come from DescribeSecurityGroupRules in parallel, ids included (undo compares by id). Null
 * when the group is gone.
 */
export async function readSecurityGroup(
  ec2: EC2Client,
  ref: ResourceRef,
  opts: { ruleIds?: boolean } = {},
): Promise<FirewallPosture | null> {
  const GroupId = ref.name;
  try {
    const [groups, rules] = await Promise.all([
      ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId] })),
      opts.ruleIds ? describeRules(ec2, GroupId) : undefined,
    ]);
    const group = groups.SecurityGroups?.[0];
    if (!group) return null;
    const posture = groupPosture(ref, group);
    return rules ? { ...posture, rules: rules.map(toIngressRule) } : posture;
  } catch (err) {
    if (GROUP_GONE.includes(errorCode(err))) return null;
    throw err;
  }
}

function groupPosture(ref: ResourceRef, g: SecurityGroup): FirewallPosture {
  return {
    kind: 'firewall',
    ref,
    rules: [
      ...(g.IpPermissions ?? []).flatMap((p) => rulesOf(p, 'inbound')),
      ...(g.IpPermissionsEgress ?? []).flatMap((p) => rulesOf(p, 'outbound')),
    ],
    tags: Object.fromEntries((g.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    ...(g.VpcId ? { vpcId: g.VpcId } : {}),
  };
}

/** One permission of DescribeSecurityGroups as its rules, one per source (as DescribeSecurityGroupRules lists them). */
function rulesOf(p: IpPermission, direction: IngressRule['direction']): IngressRule[] {
  const shape = shapeOf(p.IpProtocol, p.FromPort, p.ToPort);
  const rule = (source: Source, description: string | undefined): IngressRule => ({
    id: '',
    direction,
    access: 'allow',
    ...shape,
    sources: [source],
    ...(description ? { description } : {}),
  });
  return [
    ...(p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [rule({ kind: 'cidr', value: r.CidrIp }, r.Description)] : [])),
    ...(p.Ipv6Ranges ?? []).flatMap((r) =>
      r.CidrIpv6 ? [rule({ kind: 'cidr', value: r.CidrIpv6 }, r.Description)] : [],
    ),
    ...(p.PrefixListIds ?? []).flatMap((r) =>
      r.PrefixListId ? [rule({ kind: 'prefix-list', value: r.PrefixListId }, r.Description)] : [],
    ),
    ...(p.UserIdGroupPairs ?? []).flatMap((r) =>
      r.GroupId ? [rule({ kind: 'security-group', value: r.GroupId }, r.Description)] : [],
    ),
  ];
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
 * Every group of the region as its listing shows it, for a sweep to screen: DescribeSecurityGroups paged through
 * once (1,000 a page), not a call per group. A finding on these is acted on only after a fresh read of that group
 * (see Target.screen).
 */
export async function listGroupPostures(
  ec2: EC2Client,
  refOf: (groupId: string) => ResourceRef,
): Promise<FirewallPosture[]> {
  const groups: SecurityGroup[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 1000, NextToken }));
    groups.push(...(page.SecurityGroups ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return groups.flatMap((g) => (g.GroupId ? [groupPosture(refOf(g.GroupId), g)] : []));
}

const PROTOCOL_NAMES: Record<string, string> = { '-1': 'all', '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };

function shapeOf(
  ipProtocol: string | undefined,
  from: number | undefined,
  to: number | undefined,
): Pick<IngressRule, 'protocol' | 'ports' | 'icmp'> {
  const raw = ipProtocol ?? '-1';
  const protocol = PROTOCOL_NAMES[raw] ?? raw.toLowerCase();
  // -1 (all traffic) and ICMP's type/code are not port ranges: "all ports" for the rules. ICMP keeps its type and
  // code aside: a revoke must name them, and an undo must not widen echo to all of ICMP.
  const ports =
    (protocol === 'tcp' || protocol === 'udp') && from !== undefined && from >= 0 ? [{ from, to: to ?? from }] : [];
  const icmp =
    (protocol === 'icmp' || protocol === 'icmpv6') && from !== undefined && from >= 0
      ? { type: from, code: to ?? -1 }
      : undefined;
  return { protocol, ports, ...(icmp ? { icmp } : {}) };
}

export function toIngressRule(r: SecurityGroupRule): IngressRule {
  const shape = shapeOf(r.IpProtocol, r.FromPort, r.ToPort);
  const sources: Source[] = [];
  if (r.CidrIpv4) sources.push({ kind: 'cidr', value: r.CidrIpv4 });
  if (r.CidrIpv6) sources.push({ kind: 'cidr', value: r.CidrIpv6 });
  if (r.PrefixListId) sources.push({ kind: 'prefix-list', value: r.PrefixListId });
  if (r.ReferencedGroupInfo?.GroupId) sources.push({ kind: 'security-group', value: r.ReferencedGroupInfo.GroupId });
  return {
    id: r.SecurityGroupRuleId ?? '',
    direction: r.IsEgress ? 'outbound' : 'inbound',
    access: 'allow',
    ...shape,
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
    FromPort: port?.from ?? rule.icmp?.type ?? -1,
    ToPort: port?.to ?? rule.icmp?.code ?? -1,
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

/** What a revoke names of a rule: protocol, ports and source (AWS matches these; a description is no part of it). */
function matchOf(rule: IngressRule): IpPermission {
  const { description: _, ...bare } = rule;
  return toPermission(bare);
}

/** How an applied step names a rule it revoked: its id where the read gave one, else what it is. */
const tokenOf = (r: IngressRule) => r.id || ruleKey(r);

/**
 * The changes of a `revoke-ingress` fix by what they take: rules revoked whole, rules narrowed in place (the first
 * rule of `after` keeps the rule's place, see planIngressChange), and rules added beside them.
 */
function split(changes: IngressChange[]) {
  const revoked = changes.filter((c) => c.after.length === 0).map((c) => c.before);
  const replaced = changes.filter((c) => c.after.length > 0);
  return { revoked, replaced };
}

/**
 * One RevokeSecurityGroupIngress naming the exact permissions of every removed rule (the rules of one group differ
 * in protocol, ports or source, so this removes exactly them); narrowed rules keep their id
 * (ModifySecurityGroupRules, after looking the ids up) and any extra allowed protocol becomes a new rule
 * (AuthorizeSecurityGroupIngress).
 */
export async function applyRevokeIngress(ec2: EC2Client, fix: Fix, posture: FirewallPosture): Promise<StepResult> {
  if (fix.type !== 'revoke-ingress') throw new Error(`fix ${fix.type} does not apply to a security group`);
  const GroupId = posture.ref.name;
  const { revoked, replaced } = split(fix.changes);
  const requestIds: string[] = [];
  const alreadyGone: string[] = [];
  // Only ModifySecurityGroupRules needs ids: looked up (in parallel with the revoke) when a rule is narrowed.
  const ids = replaced.some((c) => !c.before.id) ? quiet(inboundIds(ec2, GroupId)) : undefined;

  if (revoked.length > 0) {
    try {
      const out = await ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: revoked.map(matchOf) }),
      );
      requestIds.push(...requestIdOf(out));
      // AWS answers a permission the group does not hold in UnknownIpPermissions: someone removed it first.
      const unknown = new Set((out.UnknownIpPermissions ?? []).flatMap((p) => rulesOf(p, 'inbound')).map(ruleKey));
      alreadyGone.push(...revoked.filter((r) => unknown.has(ruleKey(r))).map(tokenOf));
    } catch (err) {
      if (!ALREADY_GONE.includes(errorCode(err))) throw err;
      // An API that fails the whole call for one vanished rule (moto): revoke whatever is still there.
      const now = await readSecurityGroup(ec2, posture.ref);
      const present = new Set((now?.rules ?? []).filter((r) => r.direction === 'inbound').map(ruleKey));
      const still = revoked.filter((r) => present.has(ruleKey(r)));
      alreadyGone.push(...revoked.filter((r) => !present.has(ruleKey(r))).map(tokenOf));
      if (still.length > 0)
        requestIds.push(
          ...requestIdOf(
            await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: still.map(matchOf) })),
          ),
        );
    }
  }
  const byKey = ids ? await ids : new Map<string, string>();
  const narrowing = replaced.flatMap((change) => {
    const id = change.before.id || byKey.get(ruleKey(change.before));
    return id ? [{ id, change }] : [];
  });
  // A rule gone since the read has nothing left to narrow, and its sibling nothing to stand beside.
  for (const c of replaced) if (!narrowing.some((n) => n.change === c)) alreadyGone.push(tokenOf(c.before));
  if (narrowing.length > 0) {
    const out = await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId,
        SecurityGroupRules: narrowing.map((n) => ({
          SecurityGroupRuleId: n.id,
          SecurityGroupRule: toRuleRequest(n.change.after[0]!),
        })),
      }),
    );
    requestIds.push(...requestIdOf(out));
  }
  const added = narrowing.flatMap((n) => n.change.after.slice(1));
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
    // The exact rules as they were, so an undo can authorize them again (a narrowed one with the id it was modified by).
    before: {
      groupId: GroupId,
      rules: fix.changes.map((c) => ({ ...c.before, id: narrowing.find((n) => n.change === c)?.id ?? c.before.id })),
    },
    after: {
      groupId: GroupId,
      // Ids where the read named them, else the rule itself (ruleKey): what restoreIngress matches `before` by.
      revoked: revoked.map(tokenOf),
      narrowed: narrowing.map((n) => ({ ...n.change.after[0]!, id: n.id })),
      added: addedRules,
      ...(alreadyGone.length > 0 ? { alreadyGone } : {}),
    },
    requestIds,
  };
}

/** The group's inbound rule ids by what each rule is (ruleKey). */
async function inboundIds(ec2: EC2Client, groupId: string): Promise<Map<string, string>> {
  const rules = (await describeRules(ec2, groupId)).filter((r) => !r.IsEgress);
  return new Map(rules.map((r) => [ruleKey(toIngressRule(r)), r.SecurityGroupRuleId ?? '']));
}

export function describeRevokeIngress(fix: Fix, posture: FirewallPosture): CallDescription[] {
  if (fix.type !== 'revoke-ingress') return [];
  const g = posture.ref.name;
  const { revoked, replaced } = split(fix.changes);
  const added = replaced.flatMap((c) => c.after.slice(1));
  const calls: CallDescription[] = [];
  if (revoked.length > 0)
    calls.push({
      api: 'ec2:RevokeSecurityGroupIngress',
      argv: [
        'aws',
        'ec2',
        'revoke-security-group-ingress',
        '--group-id',
        g,
        '--ip-permissions',
        JSON.stringify(revoked.map(matchOf)),
      ],
      permission: 'ec2:RevokeSecurityGroupIngress',
    });
  if (replaced.some((c) => !c.before.id))
    calls.push({
      api: 'ec2:DescribeSecurityGroupRules',
      argv: ['aws', 'ec2', 'describe-security-group-rules', '--filters', `Name=group-id,Values=${g}`],
      permission: 'ec2:DescribeSecurityGroupRules',
    });
  if (replaced.length > 0)
    calls.push({
      api: 'ec2:ModifySecurityGroupRules',
      argv: [
        'aws',
        'ec2',
        'modify-security-group-rules',
        '--group-id',
        g,
        '--security-group-rules',
        JSON.stringify(
          replaced.map((c) => ({
            SecurityGroupRuleId: c.before.id || `<the sgr- id of ${ruleKey(c.before)}>`,
            SecurityGroupRule: toRuleRequest(c.after[0]!),
          })),
        ),
      ],
      permission: 'ec2:ModifySecurityGroupRules',
    });
  if (added.length > 0)
    calls.push({
      api: 'ec2:AuthorizeSecurityGroupIngress',
      argv: [
        'aws',
        'ec2',
        'authorize-security-group-ingress',
        '--group-id',
        g,
        '--ip-permissions',
        JSON.stringify(added.map(toPermission)),
      ],
      permission: 'ec2:AuthorizeSecurityGroupIngress',
    });
  return calls;
}

/** What a rule does, without its id or description: protocol, ports (ICMP: type/code) and source. */
export function ruleKey(r: IngressRule): string {
  const ports = r.icmp
    ? `type ${r.icmp.type} code ${r.icmp.code}`
    : r.ports.map((p) => `${p.from}-${p.to}`).join(',') || 'all';
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
      argv: [
        'aws',
        'ec2',
        'revoke-security-group-ingress',
        '--group-id',
        posture.ref.name,
        '--ip-permissions',
        JSON.stringify(inbound.map(matchOf)),
      ],
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
 * Undo of `revoke-ingress` and of a group's containment; `current` must carry rule ids (readSecurityGroup with
 * `ruleIds`). A revoked rule is matched by its id, or where the read named none, by what it is. Refuses when the
 * group moved on since: a revoked rule is back, a narrowed or added rule changed or went, or (containment) any
 * inbound rule appeared. Otherwise the revoked rules are authorized again with their descriptions, narrowed rules
 * modified back in place, added rules revoked.
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
  const revoked = before.rules.filter((r) => after.revoked.includes(tokenOf(r)) && !gone.has(tokenOf(r)));
  const differences: string[] = [];
  for (const r of revoked)
    if ((r.id && byId.has(r.id)) || present.has(ruleKey(r)))
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
  const back = before.rules.filter((r) => r.id && narrowedIds.has(r.id));
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
