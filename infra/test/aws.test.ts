import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEvent } from '@reflex/aws';
import { CONFIG_RULES, S3_ACCOUNT_CALLS, S3_BUCKET_CALLS } from '@reflex/aws/deployment';
import type { PolicyInput } from '@reflex/core';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALARM_LOG_PATTERN,
  CLOUDTRAIL_CALLS,
  CONFIG_RULE_KINDS,
  DEFAULT_BUNDLE_DIR,
  ReflexMemberAccount,
  ReflexRemediation,
  type ReflexRemediationProps,
  SECURITY_HUB_CONTROLS,
  STATE_STORE_ALARM_PATTERN,
} from '../aws/lib/index.js';

const ROOT = join(import.meta.dirname, '../..');
const ENV = { account: '123456789012', region: 'eu-west-1' };

beforeAll(() => {
  // `npm test` builds first; a lone `vitest run infra` builds the bundles here (esbuild, no Docker).
  if (!existsSync(join(DEFAULT_BUNDLE_DIR, 'events.mjs')) || !existsSync(join(DEFAULT_BUNDLE_DIR, 'manual.mjs')))
    execFileSync('npm', ['run', 'build', '-w', 'aws-lambda'], { cwd: ROOT, stdio: 'inherit' });
}, 120_000);

function synth(props: Partial<ReflexRemediationProps> & { policy: ReflexRemediationProps['policy'] }) {
  const app = new App();
  const stack = new Stack(app, 'Reflex', { env: ENV });
  const reflex = new ReflexRemediation(stack, 'Reflex', props);
  return { app, stack, reflex, template: Template.fromStack(stack) };
}

/** Every action of the role's policies (all statements), as a set. */
function roleActions(template: Template, roleLogicalIdPrefix: string): Set<string> {
  const policies = template.findResources('AWS::IAM::Policy');
  const out = new Set<string>();
  for (const p of Object.values(policies) as { Properties: Record<string, unknown> }[]) {
    const roles = p.Properties.Roles as { Ref: string }[];
    if (!roles.some((r) => r.Ref.startsWith(roleLogicalIdPrefix))) continue;
    const doc = p.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
    for (const s of doc.Statement) for (const a of [s.Action].flat()) out.add(a);
  }
  return out;
}

const ONLY_OPEN_INGRESS: PolicyInput = { version: 1, mode: 'off', rules: { openIngress: { mode: 'enforce' } } };
const EVERYTHING: PolicyInput = { version: 1, mode: 'enforce' };
const RESPONDER = 'arn:aws:iam::123456789012:role/security/reflex-responder';

describe('ReflexRemediation synthesizes offline', () => {
  it('functions: nodejs22.x on arm64 from the esbuild bundles, DLQ, retries and max event age', () => {
    const { template } = synth({ policy: EVERYTHING, reservedConcurrency: 5, tracing: true });
    template.resourceCountIs('AWS::Lambda::Function', 2);
    for (const handler of ['events.handler', 'manual.handler'])
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: handler,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        DeadLetterConfig: { TargetArn: Match.anyValue() },
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: Match.objectLike({
            REFLEX_POLICY: Match.anyValue(),
            REFLEX_AUDIT_TABLE: Match.anyValue(),
            REFLEX_STATE_TABLE: Match.anyValue(),
            REFLEX_KILL_SWITCH: 'off',
            // The bundles ship without maps (size, init time): the flag would only slow every stack trace.
            NODE_OPTIONS: Match.absent(),
          }),
        },
      });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'events.handler',
      ReservedConcurrentExecutions: 5,
    });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 2);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('state: audit and state tables with PITR and encryption; TTL on the state table', () => {
    const { template } = synth({ policy: EVERYTHING });
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'remediationId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('the policy reaches the function inline, with the bot’s own roles in identities.aws (loop guard)', () => {
    const { template, reflex } = synth({ policy: ONLY_OPEN_INGRESS, mode: 'dry-run' });
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }[];
    const text = JSON.stringify(fns[0]!.Properties.Environment.Variables.REFLEX_POLICY);
    expect(text).toContain('EventsRole');
    expect(text).toContain('ManualRole');
    expect(reflex.policy.mode).toBe('dry-run');
  });

  it('a bad policy fails synth with the problem list', () => {
    expect(() => synth({ policy: { version: 1, mode: 'sometimes' } as unknown as PolicyInput })).toThrow(
      /Reflex policy is invalid:\nmode: expected one of enforce\|dry-run\|off/,
    );
    expect(() => synth({ policy: '/nonexistent/reflex.yaml' })).toThrow(/cannot read/);
  });

  it('ticket secrets: secretsmanager:<arn> values and GetSecretValue on exactly those secrets', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jira-token-AbCdEf';
    const { template } = synth({ policy: EVERYTHING, ticketSecrets: { REFLEX_JIRA_TOKEN: `${arn}#token` } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REFLEX_JIRA_TOKEN: `secretsmanager:${arn}#token` }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: arn }]),
      },
    });
  });
});

describe('least privilege, generated from aws-lambda/src/permissions.ts', () => {
  it('only openIngress in enforce: exactly the security-group actions, no S3 at all', () => {
    const { template } = synth({ policy: ONLY_OPEN_INGRESS, triggers: { schedule: false } });
    expect(roleActions(template, 'ReflexEventsRole')).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSecurityGroupRules',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:ModifySecurityGroupRules',
        'ec2:AuthorizeSecurityGroupIngress',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        // The dead-letter queue (added by CDK for the function's DeadLetterConfig).
        'sqs:SendMessage',
      ]),
    );
  });

  it('dry-run everything: reads only — no Put, Delete, Create, Revoke, Modify, Enable, Start', () => {
    const { template } = synth({ policy: { version: 1, mode: 'dry-run' } });
    const actions = [...roleActions(template, 'ReflexEventsRole')].filter((a) => !/^(logs|dynamodb|sqs):/.test(a));
    expect(actions.length).toBeGreaterThan(10);
    for (const a of actions) expect(a).toMatch(/:(Get|List|Describe)/);
  });

  it('no wildcard actions anywhere; S3 writes only on buckets; account scoped ARNs', () => {
    const { template } = synth({ policy: EVERYTHING, memberAccountRoleName: 'reflex-member' });
    const all = [...roleActions(template, 'ReflexEventsRole'), ...roleActions(template, 'ReflexManualRole')];
    for (const a of all) expect(a).not.toContain('*');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:PutBucketPublicAccessBlock', 's3:PutEncryptionConfiguration']),
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::*']] },
          }),
        ]),
      },
    });
  });
});

/** Every statement of the role's policies. */
function roleStatements(template: Template, roleLogicalIdPrefix: string) {
  const out: { Action: string | string[]; Resource: unknown }[] = [];
  for (const p of Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: typeof out } };
  }[])
    if (p.Properties.Roles.some((r) => r.Ref.startsWith(roleLogicalIdPrefix)))
      out.push(...p.Properties.PolicyDocument.Statement);
  return out;
}

describe('member accounts (central bus): sts:AssumeRole on the member role only', () => {
  const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
  const assumeStatements = (template: Template, role: string) =>
    roleStatements(template, role).filter((st) => [st.Action].flat().includes('sts:AssumeRole'));
  const variables = (template: Template) =>
    (
      Object.values(template.findResources('AWS::Lambda::Function')) as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }[]
    ).map((f) => f.Properties.Environment.Variables);

  it('without memberAccountRoleName: no sts action, no member variables', () => {
    const { template } = synth({ policy: EVERYTHING });
    for (const role of ['ReflexEventsRole', 'ReflexManualRole']) {
      expect([...roleActions(template, role)].filter((a) => a.startsWith('sts:'))).toEqual([]);
    }
    for (const v of variables(template)) {
      expect(v.REFLEX_MEMBER_ROLE_NAME).toBeUndefined();
      expect(v.REFLEX_MEMBER_EXTERNAL_ID).toBeUndefined();
    }
  });

  it('with it: both functions may assume exactly arn:<partition>:iam::*:role/<name>, and get the variable', () => {
    const { template } = synth({ policy: EVERYTHING, memberAccountRoleName: 'reflex-member' });
    for (const role of ['ReflexEventsRole', 'ReflexManualRole']) {
      expect(assumeStatements(template, role)).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Resource: partitionArn(':iam::*:role/reflex-member') },
      ]);
      expect([...roleActions(template, role)].filter((a) => a.startsWith('sts:'))).toEqual(['sts:AssumeRole']);
    }
    for (const v of variables(template)) {
      expect(v.REFLEX_MEMBER_ROLE_NAME).toBe('reflex-member');
      expect(v.REFLEX_MEMBER_EXTERNAL_ID).toBeUndefined();
    }
  });

  it('with the member accounts known: per-account ARNs, no wildcard; the external id reaches the function', () => {
    const { template } = synth({
      policy: EVERYTHING,
      memberAccountRoleName: 'reflex-member',
      memberAccountIds: ['333344445555', '210987654321', '333344445555'],
      memberAccountExternalId: 'o-example',
    });
    for (const role of ['ReflexEventsRole', 'ReflexManualRole'])
      expect(assumeStatements(template, role)).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Resource: [
            partitionArn(':iam::210987654321:role/reflex-member'),
            partitionArn(':iam::333344445555:role/reflex-member'),
          ],
        },
      ]);
    for (const v of variables(template)) expect(v.REFLEX_MEMBER_EXTERNAL_ID).toBe('o-example');
    expect(() =>
      synth({ policy: EVERYTHING, memberAccountRoleName: 'reflex-member', memberAccountIds: ['12345'] }),
    ).toThrow(/not an account id/);
    expect(() => synth({ policy: EVERYTHING, memberAccountIds: ['210987654321'] })).toThrow(/memberAccountRoleName/);
  });

  it('the member role trusts exactly the central events and manual roles, and requires the external id when given', () => {
    const app = new App();
    const member = new Stack(app, 'Member', { env: { ...ENV, account: '210987654321' } });
    new ReflexMemberAccount(member, 'Reflex', {
      policy: EVERYTHING,
      centralAccountId: ENV.account,
      centralEventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/reflex-central',
      externalId: 'o-example',
    });
    Template.fromStack(member).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'reflex-member',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRole',
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': [
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/reflex-events-eu-west-1'],
                    ],
                  },
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/reflex-manual-eu-west-1'],
                    ],
                  },
                ],
              },
              StringEquals: { 'sts:ExternalId': 'o-example' },
            },
          }),
        ],
      },
    });
  });
});

describe('manual function: responders only, by resource-based policy and Function URL (AWS_IAM)', () => {
  const permissions = (template: Template) =>
    Object.values(template.findResources('AWS::Lambda::Permission')) as { Properties: Record<string, unknown> }[];
  const manualVariables = (template: Template) =>
    (
      Object.values(template.findResources('AWS::Lambda::Function')) as {
        Properties: { Handler: string; Environment: { Variables: Record<string, unknown> } };
      }[]
    ).find((f) => f.Properties.Handler === 'manual.handler')!.Properties.Environment.Variables;

  it('each responder: InvokeFunctionUrl (AWS_IAM) and InvokeFunction only through the URL; nobody else', () => {
    const other = 'arn:aws:iam::123456789012:user/oncall';
    const { template } = synth({ policy: EVERYTHING, responders: [RESPONDER, other, RESPONDER] });
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    const granted = permissions(template).map((p) => ({
      principal: p.Properties.Principal,
      action: p.Properties.Action,
      auth: p.Properties.FunctionUrlAuthType,
      viaUrl: p.Properties.InvokedViaFunctionUrl,
    }));
    const manualPermissions = granted.filter((g) => g.principal !== 'events.amazonaws.com');
    expect(manualPermissions).toEqual(
      expect.arrayContaining([
        { principal: RESPONDER, action: 'lambda:InvokeFunctionUrl', auth: 'AWS_IAM', viaUrl: undefined },
        { principal: RESPONDER, action: 'lambda:InvokeFunction', auth: undefined, viaUrl: true },
        { principal: other, action: 'lambda:InvokeFunctionUrl', auth: 'AWS_IAM', viaUrl: undefined },
        { principal: other, action: 'lambda:InvokeFunction', auth: undefined, viaUrl: true },
      ]),
    );
    expect(manualPermissions).toHaveLength(4);
    // A direct InvokeFunction grant is only ever EventBridge's, on the events function.
    for (const g of granted.filter((x) => x.action === 'lambda:InvokeFunction' && x.viaUrl !== true))
      expect(g.principal).toBe('events.amazonaws.com');
    expect(manualVariables(template).REFLEX_RESPONDERS).toBe(`${RESPONDER},${other}`);
  });

  it('no responders: no URL, no grant, and the function refuses contain and undo to everyone (REFLEX_RESPONDERS="")', () => {
    const { template } = synth({ policy: EVERYTHING });
    template.resourceCountIs('AWS::Lambda::Url', 0);
    expect(permissions(template).filter((p) => p.Properties.Principal !== 'events.amazonaws.com')).toEqual([]);
    expect(manualVariables(template).REFLEX_RESPONDERS).toBe('');
    expect(() => synth({ policy: EVERYTHING, responders: ['arn:aws:iam::123456789012:role/*'] })).toThrow(
      /not an IAM role or user ARN/,
    );
    expect(() => synth({ policy: EVERYTHING, responders: ['*'] })).toThrow(/not an IAM role or user ARN/);
  });

  it('contain and undo writes follow the policy: a dry-run deployment’s manual role reads only', () => {
    const dry = synth({ policy: { version: 1, mode: 'dry-run' } }).template;
    const actions = [...roleActions(dry, 'ReflexManualRole')].filter((a) => !/^(logs|dynamodb|sqs):/.test(a));
    expect(actions.length).toBeGreaterThan(10);
    for (const a of actions) expect(a).toMatch(/:(Get|List|Describe)/);
    const enforced = [...roleActions(synth({ policy: EVERYTHING }).template, 'ReflexManualRole')];
    expect(enforced).toContain('ec2:ModifyNetworkInterfaceAttribute');
  });

  it('member role: a dry-run policy grants no contain or undo writes there either', () => {
    const app = new App();
    const member = new Stack(app, 'Member', { env: { ...ENV, account: '210987654321' } });
    new ReflexMemberAccount(member, 'Reflex', {
      policy: { version: 1, mode: 'dry-run' },
      centralAccountId: ENV.account,
      centralEventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/reflex-central',
    });
    const actions = [...roleActions(Template.fromStack(member), 'ReflexRole')];
    expect(actions.length).toBeGreaterThan(10);
    for (const a of actions) expect(a).toMatch(/:(Get|List|Describe)/);
  });
});

describe('EventBridge patterns are exactly what the parsers handle', () => {
  it('CloudTrail: source, eventSource, the eventNames, errorCode absent', () => {
    const { template } = synth({ policy: EVERYTHING });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['s3.amazonaws.com'],
          eventName: Object.keys(CLOUDTRAIL_CALLS[0]!.calls).sort(),
          errorCode: [{ exists: false }],
        },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudtrail'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['cloudtrail.amazonaws.com'],
          eventName: ['StopLogging'],
          errorCode: [{ exists: false }],
        },
      },
    });
  });

  it('only the kinds the policy reads: openIngress alone subscribes to EC2 group calls only', () => {
    const { template } = synth({ policy: ONLY_OPEN_INGRESS });
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as {
      Properties: { EventPattern?: { source: string[]; detail: Record<string, unknown> } };
    }[];
    const patterns = rules.map((r) => r.Properties.EventPattern).filter((p) => p !== undefined);
    expect(patterns.map((p) => p.source[0]).sort()).toEqual(['aws.config', 'aws.ec2', 'aws.securityhub']);
    const ec2 = patterns.find((p) => p.source[0] === 'aws.ec2')!;
    expect(ec2.detail.eventName).toEqual([
      'AuthorizeSecurityGroupIngress',
      'CreateSecurityGroup',
      'CreateTags',
      'DeleteTags',
      'ModifySecurityGroupRules',
      'UpdateSecurityGroupRuleDescriptionsIngress',
    ]);
    const config = patterns.find((p) => p.source[0] === 'aws.config')!;
    expect(config.detail).toEqual({
      configRuleName: [
        { wildcard: '*restricted-common-ports*' },
        { wildcard: '*restricted-ssh*' },
        { wildcard: '*vpc-sg-open-only-to-authorized-ports*' },
      ],
      newEvaluationResult: { complianceType: ['NON_COMPLIANT'] },
    });
    const hub = patterns.find((p) => p.source[0] === 'aws.securityhub')!;
    expect(hub.detail).toMatchObject({
      findings: {
        RecordState: ['ACTIVE'],
        $or: expect.arrayContaining([
          {
            Compliance: {
              Status: ['FAILED'],
              SecurityControlId: ['EC2.13', 'EC2.14', 'EC2.18', 'EC2.19', 'EC2.2', 'EC2.53', 'EC2.54'],
            },
          },
        ]),
      },
    });
  });

  it('a schedule for sweeps, off on request', () => {
    synth({ policy: EVERYTHING }).template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(6 hours)',
    });
    const { template } = synth({ policy: EVERYTHING, triggers: { schedule: false } });
    expect(
      Object.values(template.findResources('AWS::Events::Rule')).some(
        (r) => (r as { Properties: Record<string, unknown> }).Properties.ScheduleExpression,
      ),
    ).toBe(false);
  });

  const envelope = (source: string, detailType: string, detail: Record<string, unknown>) => ({
    version: '0',
    id: 'e-1',
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: '2025-01-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  });

  it('every CloudTrail name in the patterns is handled by the real parser', () => {
    for (const service of CLOUDTRAIL_CALLS)
      for (const name of Object.keys(service.calls)) {
        const parsed = parseEvent(
          envelope(service.source, 'AWS API Call via CloudTrail', {
            eventSource: service.eventSource,
            eventName: name,
            userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/someone' },
            requestParameters: {
              bucketName: name.includes('Bucket') ? 'reflex-test-bucket' : undefined,
              groupId: 'sg-0123456789abcdef0',
              name: 'main-trail',
            },
          }),
        );
        expect(parsed.kind, `${service.source} ${name}`).toBe('targets');
      }
  });

  it('the parser’s S3 and CloudTrail call lists are all in the patterns', () => {
    const source = readFileSync(join(ROOT, 'aws-lambda/src/events/cloudtrail.ts'), 'utf8');
    const names = [...S3_BUCKET_CALLS.keys(), ...S3_ACCOUNT_CALLS];
    expect(names.length).toBeGreaterThan(10);
    const compared = [...source.matchAll(/eventName [!=]== '([A-Za-z]+)'/g)].map((m) => m[1]!);
    expect(compared.length).toBeGreaterThan(0);
    const patterned = new Set(CLOUDTRAIL_CALLS.flatMap((s) => Object.keys(s.calls)));
    for (const n of names) expect(patterned.has(n), `${n} is handled but not subscribed`).toBe(true);
    // Names the parser compares against: subscribed when some service's parse of it yields work.
    for (const n of compared) {
      const handled = CLOUDTRAIL_CALLS.some(
        (s) =>
          parseEvent({
            version: '0',
            id: 'e-1',
            'detail-type': 'AWS API Call via CloudTrail',
            source: s.source,
            account: '123456789012',
            region: 'eu-west-1',
            detail: { eventSource: s.eventSource, eventName: n, requestParameters: { name: 'main-trail' } },
          }).kind === 'targets',
      );
      expect(!handled || patterned.has(n), `${n} is handled but not subscribed`).toBe(true);
    }
  });

  it('Config rules: the same set as the parser’s CONFIG_RULES, each handled', () => {
    expect(Object.keys(CONFIG_RULE_KINDS).sort()).toEqual([...CONFIG_RULES].sort());
    for (const rule of Object.keys(CONFIG_RULE_KINDS)) {
      const parsed = parseEvent(
        envelope('aws.config', 'Config Rules Compliance Change', {
          configRuleName: `securityhub-${rule}-a1b2c3`,
          resourceType: 'AWS::S3::Bucket',
          resourceId: 'reflex-test-bucket',
          newEvaluationResult: { complianceType: 'NON_COMPLIANT' },
        }),
      );
      expect(parsed.kind, rule).toBe('targets');
    }
  });

  it('Security Hub controls (the parser’s own table): each one handled by the parser', () => {
    expect(Object.keys(SECURITY_HUB_CONTROLS)).toContain('S3.1');
    for (const control of Object.keys(SECURITY_HUB_CONTROLS)) {
      const parsed = parseEvent(
        envelope('aws.securityhub', 'Security Hub Findings - Imported', {
          findings: [
            {
              Compliance: { Status: 'FAILED', SecurityControlId: control },
              RecordState: 'ACTIVE',
              AwsAccountId: '123456789012',
              Region: 'eu-west-1',
              Resources: [{ Type: 'AwsAccount', Id: 'AWS::::Account:123456789012' }],
            },
          ],
        }),
      );
      expect(parsed.kind, control).toBe('targets');
    }
  });
});

describe('alarms', () => {
  it('handler errors, dead letters, blast-radius trips and state-store failures (the bot’s reflex.alarm log line)', () => {
    const { template } = synth({ policy: EVERYTHING });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: ALARM_LOG_PATTERN,
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Reflex', MetricName: 'BlastRadiusTrips' })],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: STATE_STORE_ALARM_PATTERN,
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Reflex', MetricName: 'StateStoreFailures' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'Reflex could not reach its state table and works without it',
    });
    // The bot logs `logger.warn('reflex.alarm', { alarm })`; Powertools writes the message under "message".
    const bot = readFileSync(join(ROOT, 'aws-lambda/src/handlers/bot.ts'), 'utf8');
    expect(bot).toMatch(/logger\.warn\('reflex\.alarm', \{ alarm \}\)/);
    expect(ALARM_LOG_PATTERN).toContain('$.message = "reflex.alarm"');
  });
});

describe('cdk-nag and cfn-lint', () => {
  const stacks = () => {
    const app = new App();
    const central = new Stack(app, 'Central', { env: ENV });
    new ReflexRemediation(central, 'Reflex', {
      policy: EVERYTHING,
      managedConfigRules: true,
      memberAccountRoleName: 'reflex-member',
      ticketSecrets: { REFLEX_SLACK_WEBHOOK_URL: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack' },
      responders: [RESPONDER],
    });
    const member = new Stack(app, 'Member', { env: { ...ENV, account: '210987654321' } });
    new ReflexMemberAccount(member, 'Reflex', {
      policy: EVERYTHING,
      centralAccountId: ENV.account,
      centralEventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/reflex-central',
    });
    return { app, central, member };
  };

  it('AwsSolutions pack: no unacknowledged findings (every acknowledgment carries its reason in code)', () => {
    const { app } = stacks();
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('cfn-lint finds no errors in the synthesized templates', () => {
    const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0)
      throw new Error('cfn-lint is not installed: `pip install cfn-lint` (it checks the synthesized CloudFormation)');
    const { central, member } = stacks();
    const dir = mkdtempSync(join(tmpdir(), 'reflex-cfn-'));
    const files = [central, member].map((stack) => {
      const file = join(dir, `${stack.stackName}.template.json`);
      writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON(), null, 1));
      return file;
    });
    const run = spawnSync('cfn-lint', ['--format', 'json', '--regions', ENV.region, '--', ...files], {
      encoding: 'utf8',
    });
    const findings = JSON.parse(run.stdout || '[]') as { Level: string; Rule: { Id: string }; Message: string }[];
    const errors = findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id}: ${f.Message}`);
    expect(errors, run.stderr).toEqual([]);
  }, 60_000);
});
