#!/usr/bin/env node
/**
 * The ready-made app: `npx cdk deploy -c policy=./reflex.yaml` (from infra/aws). Context keys:
 *   policy         policy file (required)
 *   mode           override the policy's default mode (enforce | dry-run | off)
 *   killSwitch     on: every enforce becomes dry-run
 *   logBucket      bucket name for S3 server access logs
 *   ticketSecrets  JSON object: env var → Secrets Manager ARN, e.g. {"REFLEX_JIRA_TOKEN":"arn:aws:secretsmanager:..."}
 *   centralBus     true: create a central event bus member accounts forward to (with orgId)
 *   orgId          the organisation allowed to put events on the central bus
 *   memberRole     the role name the bot assumes in member accounts
 *   memberAccounts comma-separated account ids: assume the member role in these accounts only (else any account)
 *   externalId     the sts:ExternalId the member roles require (set the same on both stacks)
 *   responders     comma-separated IAM role/user ARNs allowed to call the manual function (its URL, AWS_IAM auth)
 *   member         true: deploy the member-account stack instead (centralAccount, centralBusArn, centralRegion)
 */
import { App, aws_events as events, aws_iam as iam, Stack, aws_s3 as s3, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReflexMemberAccount, ReflexRemediation } from '../lib/index.js';

const app = new App();
const ctx = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key) as unknown;
  return v === undefined || v === null || v === '' ? undefined : String(v);
};
const policy = ctx('policy');
if (!policy) throw new Error('pass the policy file: -c policy=path/to/reflex.yaml');
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

if (ctx('member') === 'true') {
  const stack = new Stack(app, 'ReflexMember', { env, description: 'Reflex member account: forwarding and role' });
  new ReflexMemberAccount(stack, 'Reflex', {
    policy,
    centralAccountId: ctx('centralAccount') ?? '',
    centralEventBusArn: ctx('centralBusArn') ?? '',
    ...(ctx('memberRole') ? { roleName: ctx('memberRole') } : {}),
    ...(ctx('externalId') ? { externalId: ctx('externalId') } : {}),
    ...(ctx('centralRegion') ? { centralRegion: ctx('centralRegion') } : {}),
  });
} else {
  const stack = new Stack(app, 'Reflex', { env, description: 'Reflex auto-remediation' });
  let eventBus: events.EventBus | undefined;
  if (ctx('centralBus') === 'true') {
    eventBus = new events.EventBus(stack, 'CentralBus', { eventBusName: 'reflex-central' });
    const orgId = ctx('orgId');
    if (orgId)
      eventBus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OrganisationPutEvents',
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [eventBus.eventBusArn],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': orgId } },
        }),
      );
  }
  const logBucket = ctx('logBucket');
  const mode = ctx('mode');
  const memberAccounts = ctx('memberAccounts');
  new ReflexRemediation(stack, 'Reflex', {
    policy,
    ...(mode ? { mode: mode as 'enforce' | 'dry-run' | 'off' } : {}),
    killSwitch: ctx('killSwitch') === 'on',
    ...(logBucket ? { logBucket: s3.Bucket.fromBucketName(stack, 'LogBucket', logBucket) } : {}),
    ...(ctx('ticketSecrets') ? { ticketSecrets: JSON.parse(ctx('ticketSecrets')!) as Record<string, string> } : {}),
    ...(eventBus ? { eventBus } : {}),
    ...(ctx('memberRole') ? { memberAccountRoleName: ctx('memberRole') } : {}),
    ...(memberAccounts ? { memberAccountIds: memberAccounts.split(',').map((a) => a.trim()) } : {}),
    ...(ctx('externalId') ? { memberAccountExternalId: ctx('externalId') } : {}),
    ...(ctx('responders')
      ? {
          responders: ctx('responders')!
            .split(',')
            .map((a) => a.trim()),
        }
      : {}),
  });
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
