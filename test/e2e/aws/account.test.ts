import {
  CreateTrailCommand,
  GetTrailStatusCommand,
  StartLoggingCommand,
  StopLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  CreateFlowLogsCommand,
  CreateVpcCommand,
  DeleteFlowLogsCommand,
  DescribeFlowLogsCommand,
  DisableEbsEncryptionByDefaultCommand,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DeletePublicAccessBlockCommand, GetPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import type { Report } from '@reflex/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixture, handlers, LOG_BUCKET, MOTO_ACCOUNT_ID, policy, resetWorld, startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  await resetWorld(world);
  await world.direct.s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
});
const byRule = (report: Report, rule: string) => report.outcomes.filter((o) => o.rule === rule);

describe('trails, flow logs and account settings on moto', () => {
  it('StopLogging → the trail logs again', async () => {
    const ct = world.direct.cloudtrail;
    await ct.send(new CreateTrailCommand({ Name: 'management-events', S3BucketName: LOG_BUCKET }));
    await ct.send(new StartLoggingCommand({ Name: 'management-events' }));
    await ct.send(new StopLoggingCommand({ Name: 'management-events' }));
    const report = await handlers(world, policy()).events(fixture('cloudtrail-cloudtrail-StopLogging.json'));
    expect(byRule(report, 'trailLoggingStopped').map((o) => o.status)).toEqual(['fixed']);
    expect((await ct.send(new GetTrailStatusCommand({ Name: 'management-events' }))).IsLogging).toBe(true);
  });

  it('DeleteFlowLogs → a flow log to the policy destination again (VPCs of the region re-read)', async () => {
    const ec2 = world.direct.ec2;
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
    const created = await ec2.send(
      new CreateFlowLogsCommand({
        ResourceIds: [vpcId],
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 's3',
        LogDestination: `arn:aws:s3:::${LOG_BUCKET}`,
      }),
    );
    await ec2.send(new DeleteFlowLogsCommand({ FlowLogIds: created.FlowLogIds }));
    const report = await handlers(world, policy()).events(fixture('cloudtrail-ec2-DeleteFlowLogs.json'));
    const outcome = byRule(report, 'networkWithoutFlowLogs').find((o) => o.resource.name === vpcId);
    expect(outcome?.status).toBe('fixed');
    const flows = await ec2.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [vpcId] }] }));
    expect(flows.FlowLogs?.map((f) => [f.LogDestination, f.TrafficType, f.FlowLogStatus])).toEqual([
      [`arn:aws:s3:::${LOG_BUCKET}`, 'ALL', 'ACTIVE'],
    ]);
  });

  it('DisableEbsEncryptionByDefault → on again', async () => {
    await world.direct.ec2.send(new DisableEbsEncryptionByDefaultCommand({}));
    const report = await handlers(world, policy()).events(fixture('cloudtrail-ec2-DisableEbsEncryptionByDefault.json'));
    expect(byRule(report, 'ebsEncryptionByDefaultOff').map((o) => o.status)).toEqual(['fixed']);
    expect((await world.direct.ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault).toBe(true);
  });

  it('account-level public access block deleted (CloudTrail, then Security Hub S3.1) → restored', async () => {
    for (const name of [
      'cloudtrail-s3control-DeleteAccountPublicAccessBlock.json',
      'securityhub-imported-consolidated-s3.json',
    ]) {
      await world.direct.s3control
        .send(new DeletePublicAccessBlockCommand({ AccountId: MOTO_ACCOUNT_ID }))
        .catch(() => undefined);
      const report = await handlers(world, policy()).events(fixture(name, { 'amzn-s3-demo-bucket': LOG_BUCKET }));
      expect(
        byRule(report, 'accountPublicAccessUnblocked').map((o) => o.status),
        name,
      ).toEqual(['fixed']);
      const block = await world.direct.s3control.send(new GetPublicAccessBlockCommand({ AccountId: MOTO_ACCOUNT_ID }));
      expect(Object.values(block.PublicAccessBlockConfiguration ?? {}), name).toEqual([true, true, true, true]);
    }
  });

  it('a scheduled sweep reads every bucket, group, trail, VPC and the account, and fixes what is wrong', async () => {
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'sweep-me' }));
    await world.direct.ec2.send(new DisableEbsEncryptionByDefaultCommand({}));
    // moto answers PutBucketLogging with a 500 once the target's policy has a `Principal: "*"` statement (such as
    // the HTTPS-only Deny the sweep adds to the log bucket); real S3 does not. So HTTPS-only is off here.
    const report = await handlers(world, policy({ rules: { insecureTransport: { mode: 'off' } } })).events(
      fixture('schedule.json'),
    );
    const kinds = new Set(report.outcomes.map((o) => o.resource.type));
    expect([...kinds].sort()).toEqual([
      'AWS::::Account',
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::VPC',
      'AWS::S3::Bucket',
    ]);
    expect(report.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    expect(report.outcomes.find((o) => o.resource.name === 'sweep-me' && o.rule === 'publicStorage')?.status).toBe(
      'fixed',
    );
    expect((await world.direct.ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault).toBe(true);
  });
});
