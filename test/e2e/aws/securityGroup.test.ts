import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import type { Report } from '@reflex/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { asBot, fixture, handlers, MOTO_ACCOUNT_ID, policy, resetWorld, startWorld, type World } from './world.js';

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
    const step = open(report)!.steps![0]!;
    expect((step.result!.before as { rules: unknown[] }).rules).toHaveLength(2);
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
    const { events } = handlers(world, policy({ allow: { publicIngress: [{ match: groupId, ports: [443] }] } }));
    const report = await events(event('cloudtrail-ec2-AuthorizeSecurityGroupIngress-cli-flat-cidrIp.json'));
    expect(open(report)?.status).toBe('fixed');
    expect(await ingress()).toEqual([`tcp:443:0.0.0.0/0`, 'tcp:443:::/0', `tcp:5432:10.0.0.0/8`, `tcp:8080:${peerId}`]);
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

  it('a sweep screens groups from two listings: a compliant group is not read again, an open one is fixed', async () => {
    const { events } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await events(fixture('schedule.json', { '123456789012': MOTO_ACCOUNT_ID }));

    const byGroup = (id: string) => report.outcomes.find((o) => o.rule === 'openIngress' && o.resource.name === id);
    expect(byGroup(groupId)?.status).toBe('fixed');
    expect(byGroup(peerId)).toMatchObject({ status: 'compliant', reason: 'no finding (bulk read)' });
    expect(await ingress()).toEqual([`tcp:5432:10.0.0.0/8`, `tcp:8080:${peerId}`].sort());
    // One listing of groups and one of rules; only the open group is read again (and re-read after the revoke).
    const ec2 = world.proxy
      .calls()
      .filter((c) => c.service === 'ec2')
      .map((c) => c.operation);
    expect(ec2.filter((o) => o === 'DescribeSecurityGroups')).toHaveLength(2);
    expect(ec2.filter((o) => o === 'DescribeSecurityGroupRules')).toHaveLength(3);
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
    expect(tickets.tickets[0]?.steps[0]?.cli).toMatch(
      /^aws ec2 revoke-security-group-ingress --group-id sg-\w+ --security-group-rule-ids sgr-\w+ sgr-\w+$/,
    );
  });
});
