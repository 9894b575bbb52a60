import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { AwsAdapter } from '@reflex/aws';
import { awsRefs, type FirewallPosture, openIngress, type Report } from '@reflex/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  asBot,
  FUNCTION_CONTEXT,
  fixture,
  handlers,
  MOTO_ACCOUNT_ID,
  policy,
  resetWorld,
  startWorld,
  type World,
} from './world.js';

const FIXTURE_GROUP = 'sg-0123456789abcdef0';
let world: World;
let groupId: string;
let peerId: string;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  await resetWorld(world);
  const ec2 = world.direct.ec2;
  groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web-sg', Description: 'web' }))).GroupId!;
  peerId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'peer-sg', Description: 'peer' }))).GroupId!;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: peerId }] },
      ],
    }),
  );
});

async function ingress(id = groupId): Promise<string[]> {
  const out = await world.direct.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [id] }] }),
  );
  return (out.SecurityGroupRules ?? [])
    .filter((r) => !r.IsEgress)
    .map((r) => `${r.IpProtocol}:${r.FromPort}:${r.CidrIpv4 ?? r.CidrIpv6 ?? r.ReferencedGroupInfo?.GroupId}`)
    .sort();
}
const open = (report: Report) => report.outcomes.find((o) => o.rule === 'openIngress');
const event = (name: string) => fixture(name, { [FIXTURE_GROUP]: groupId });

describe('security groups on moto, through the events handler', () => {
  it('0.0.0.0/0:22, ::/0:3389, 10.0.0.0/8:5432 and a group reference → only the first two go, in one revoke', async () => {
    const { events } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await events(event('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json'));
    expect(open(report)?.status).toBe('fixed');
    expect(await ingress()).toEqual([`tcp:5432:10.0.0.0/8`, `tcp:8080:${peerId}`]);
    const writes = world.proxy.calls().filter((c) => c.write);
    expect(writes.map((c) => c.operation)).toEqual(['RevokeSecurityGroupIngress']);
    // Read, revoke, verify: one call each (the group's permissions carry its rules and its tags).
    expect(world.proxy.calls().map((c) => c.operation)).toEqual([
      'DescribeSecurityGroups',
      'RevokeSecurityGroupIngress',
      'DescribeSecurityGroups',
    ]);
    const step = open(report)!.steps![0]!;
    expect((step.result!.before as { rules: unknown[] }).rules).toHaveLength(2);
  });

  it('ICMP echo and all traffic from anywhere go, named exactly; ICMP from a private range stays; undo restores echo only', async () => {
    const id = (await world.direct.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'icmp', Description: 'x' })))
      .GroupId!;
    await world.direct.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: id,
        IpPermissions: [
          { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: 'icmp', FromPort: 0, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
          { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
        ],
      }),
    );
    const rules = async () =>
      (
        await world.direct.ec2.send(
          new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [id] }] }),
        )
      )
        .SecurityGroupRules!.filter((r) => !r.IsEgress)
        .map((r) => `${r.IpProtocol}:${r.FromPort}:${r.ToPort}:${r.CidrIpv4 ?? r.CidrIpv6}`)
        .sort();
    const { events, manual } = handlers(world, policy());
    const report = await events(
      fixture('cloudtrail-ec2-AuthorizeSecurityGroupIngress-ipv6.json', { [FIXTURE_GROUP]: id }),
    );
    expect(open(report)?.status).toBe('fixed');
    expect(await rules()).toEqual(['icmp:0:-1:10.0.0.0/8']);
    const undone = await manual(
      { action: 'undo', remediationId: open(report)!.remediationId!, reason: 'CHG-8' },
      FUNCTION_CONTEXT,
    );
    expect(undone.undo?.status).toBe('undone');
    expect(await rules()).toEqual(['-1:-1:-1:::/0', 'icmp:0:-1:10.0.0.0/8', 'icmp:8:-1:0.0.0.0/0']);
  });

  it('a rule someone revoked between the read and the fix is reported gone; the others still go', async () => {
    const adapter = new AwsAdapter(() => world.clients);
    const ref = awsRefs.securityGroup(groupId, MOTO_ACCOUNT_ID, 'us-east-1');
    const posture = (await adapter.read(ref)) as FirewallPosture;
    const finding = openIngress.evaluate(posture, policy())!;
    await world.direct.ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const [settled] = await adapter.apply(
      [{ id: 's1', rule: 'openIngress', fix: finding.fixes[0]!, summary: '', calls: [] }],
      posture,
    );
    expect(settled?.ok).toBe(true);
    const after = (settled as { result: { after: { revoked: string[]; alreadyGone?: string[] } } }).result.after;
    expect(after.alreadyGone).toEqual(['tcp 22-22 from cidr:0.0.0.0/0']);
    expect(after.revoked).toEqual(['tcp 22-22 from cidr:0.0.0.0/0', 'tcp 3389-3389 from cidr:::/0']);
    expect(await ingress()).toEqual([`tcp:5432:10.0.0.0/8`, `tcp:8080:${peerId}`]);
  });

  it('an allow-listed 443 on a public-facing group stays; a 80-443 range is narrowed to 443 in place', async () => {
    await world.direct.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
        ],
      }),
    );
    const rangeId = async () =>
      (
        await world.direct.ec2.send(
          new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
        )
      ).SecurityGroupRules!.find((r) => r.CidrIpv6 === '::/0' && r.ToPort === 443)?.SecurityGroupRuleId;
    const id = await rangeId();
    const { events, manual } = handlers(
      world,
      policy({ allow: { publicIngress: [{ match: groupId, ports: [443] }] } }),
    );
    world.proxy.resetStats();
    const report = await events(event('cloudtrail-ec2-AuthorizeSecurityGroupIngress-cli-flat-cidrIp.json'));
    expect(open(report)?.status).toBe('fixed');
    expect(await ingress()).toEqual([`tcp:443:0.0.0.0/0`, 'tcp:443:::/0', `tcp:5432:10.0.0.0/8`, `tcp:8080:${peerId}`]);
    // In place: the rule keeps its id (ModifySecurityGroupRules, its id looked up while the revoke ran).
    expect(await rangeId()).toBe(id);
    const ops = world.proxy.calls().map((c) => c.operation);
    expect(ops.filter((o) => o === 'DescribeSecurityGroupRules')).toHaveLength(1);
    expect(ops.filter((o) => o === 'ModifySecurityGroupRules')).toHaveLength(1);

    // Undo puts the range back, in the same rule, and the revoked ones beside it.
    const undone = await manual(
      { action: 'undo', remediationId: open(report)!.remediationId!, reason: 'CHG-7' },
      FUNCTION_CONTEXT,
    );
    expect(undone.undo?.status).toBe('undone');
    expect(await rangeId()).toBe(id);
    expect(await ingress()).toEqual(
      [
        'tcp:22:0.0.0.0/0',
        'tcp:3389:::/0',
        'tcp:443:0.0.0.0/0',
        'tcp:80:::/0',
        `tcp:5432:10.0.0.0/8`,
        `tcp:8080:${peerId}`,
      ].sort(),
    );
  });

  it('an exempt tag is honoured; an expired one is not', async () => {
    const tag = (until: string) =>
      world.direct.ec2.send(
        new CreateTagsCommand({
          Resources: [groupId],
          Tags: [{ Key: 'reflex:exempt', Value: `openIngress; reason=INC-42 load test; until=${until}` }],
        }),
      );
    const soon = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await tag(soon);
    const first = await handlers(world, policy()).events(
      event('cloudtrail-ec2-AuthorizeSecurityGroupIngress-ipv6.json'),
    );
    expect(open(first)?.status).toBe('exempt');
    expect(await ingress()).toHaveLength(4);

    await tag('2020-01-01');
    const second = await handlers(world, policy()).events(
      event('cloudtrail-ec2-AuthorizeSecurityGroupIngress-ipv6.json'),
    );
    expect(open(second)?.status).toBe('fixed');
    expect(open(second)?.notes?.[0]).toMatch(/exemption expired/);
    expect(await ingress()).toHaveLength(2);
  });

  it('groupName only (default VPC) → resolved with DescribeSecurityGroups and fixed', async () => {
    const ec2 = world.direct.ec2;
    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
    );
    const defaultId = groups.SecurityGroups![0]!.GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: defaultId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const report = await handlers(world, policy()).events(
      event('cloudtrail-ec2-AuthorizeSecurityGroupIngress-groupName-only.json'),
    );
    const fixed = report.outcomes.find((o) => o.resource.name === defaultId && o.rule === 'openIngress');
    expect(fixed?.status).toBe('fixed');
    expect(await ingress(defaultId)).toEqual([]);
  });

  it("the bot's own revoke event → no action", async () => {
    const { events, audit } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await events(asBot(event('cloudtrail-ec2-RevokeSecurityGroupIngress.json')));
    expect(report.outcomes).toHaveLength(1);
    expect(report.outcomes[0]).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/own identity/) });
    expect(world.proxy.calls()).toEqual([]);
    expect(audit.records).toEqual([]);
    expect(await ingress()).toHaveLength(4);
  });

  it('Config compliance, Config item and Security Hub events reach the same fix', async () => {
    for (const name of [
      'config-compliance-change-restricted-ssh.json',
      'config-ci-change-security-group.json',
      'securityhub-imported-consolidated-ec2.json',
    ]) {
      await resetWorld(world);
      const id = (await world.direct.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x' })))
        .GroupId!;
      await world.direct.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: id,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );
      const report = await handlers(world, policy()).events(fixture(name, { [FIXTURE_GROUP]: id }));
      expect(open(report)?.status, name).toBe('fixed');
      expect(await ingress(id), name).toEqual([]);
    }
  });

  it('a sweep screens groups from one listing: a compliant group is not read again, an open one is fixed', async () => {
    const { events } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await events(fixture('schedule.json', { '123456789012': MOTO_ACCOUNT_ID }));

    const byGroup = (id: string) => report.outcomes.find((o) => o.rule === 'openIngress' && o.resource.name === id);
    expect(byGroup(groupId)?.status).toBe('fixed');
    expect(byGroup(peerId)).toMatchObject({ status: 'compliant', reason: 'no finding (bulk read)' });
    expect(await ingress()).toEqual([`tcp:5432:10.0.0.0/8`, `tcp:8080:${peerId}`].sort());
    // One listing of the groups (their permissions are their rules); only the open group is read again, and
    // re-read after the revoke.
    const ec2 = world.proxy
      .calls()
      .filter((c) => c.service === 'ec2')
      .map((c) => c.operation);
    expect(ec2.filter((o) => o === 'DescribeSecurityGroups')).toHaveLength(3);
    expect(ec2.filter((o) => o === 'DescribeSecurityGroupRules')).toHaveLength(0);
  });

  it('manual remediate in dry-run → a ticket naming RevokeSecurityGroupIngress, no write', async () => {
    const { manual, tickets } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await manual(
      {
        action: 'remediate',
        resource: `arn:aws:ec2:us-east-1:${MOTO_ACCOUNT_ID}:security-group/${groupId}`,
        dryRun: true,
        reason: 'check',
      },
      { invokedFunctionArn: `arn:aws:lambda:us-east-1:${MOTO_ACCOUNT_ID}:function:reflex-manual` },
    );
    expect(open(report)?.status).toBe('ticketed');
    expect(world.proxy.calls().filter((c) => c.write)).toEqual([]);
    const cli = tickets.tickets[0]?.steps[0]?.cli ?? '';
    const [, group, permissions] =
      /^aws ec2 revoke-security-group-ingress --group-id (sg-\w+) --ip-permissions '(.+)'$/.exec(cli) ?? [];
    expect(group).toBe(groupId);
    expect(JSON.parse(permissions ?? 'null')).toEqual([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    ]);
  });

  it('the world split in halves (0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1) on port 22 → revoked; 10.0.0.0/8 kept', async () => {
    const ec2 = world.direct.ec2;
    const split = (
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'split-sg', Description: 'split world' }))
    ).GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: split,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 22,
            ToPort: 22,
            IpRanges: [{ CidrIp: '0.0.0.0/1' }, { CidrIp: '128.0.0.0/1' }, { CidrIp: '10.0.0.0/8' }],
            Ipv6Ranges: [{ CidrIpv6: '::/1' }, { CidrIpv6: '8000::/1' }, { CidrIpv6: 'fc00::/7' }],
          },
        ],
      }),
    );
    const { events } = handlers(world, policy());
    const report = await events(
      fixture('cloudtrail-ec2-AuthorizeSecurityGroupIngress-console-items.json', { [FIXTURE_GROUP]: split }),
    );
    expect(open(report)?.status).toBe('fixed');
    expect(await ingress(split)).toEqual(['tcp:22:10.0.0.0/8', 'tcp:22:fc00::/7']);
  });
});
