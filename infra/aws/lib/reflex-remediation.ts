import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AWS_RULE_RESOURCE,
  type AwsPermissionNeeds,
  type AwsResourceKind,
  type AwsResourceScope,
  awsStatementsFor,
} from '@reflex/aws/deployment';
import {
  loadPolicyFile,
  type Mode,
  type Policy,
  PolicyError,
  type PolicyInput,
  parsePolicy,
  RULE_NAMES,
  type RuleName,
} from '@reflex/core';
import {
  Annotations,
  Aws,
  aws_cloudwatch as cloudwatch,
  aws_config as config,
  aws_cloudwatch_actions as cwActions,
  Duration,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  type aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  type aws_s3 as s3,
  type aws_sns as sns,
  aws_sqs as sqs,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CONFIG_RULE_IDENTIFIERS, CONFIG_RULE_KINDS, patternsFor } from './triggers.js';

const here = dirname(fileURLToPath(import.meta.url));

const L1_REASON =
  'Pinned to nodejs22.x, the runtime the bundles are built and tested for; moving to a newer runtime is a tested change.';

/**
 * Why a resource wildcard is needed, per resource scope of the permission declarations. Actions are never
 * wildcards (the declarations forbid it); these are resource-type patterns in this account, or `*` where IAM has
 * no resource-level permission for the action.
 */
const WILDCARD_REASONS: Record<AwsResourceScope | 'own-log-group', string> = {
  any: 'Actions without resource-level permissions (Describe*, ListAllMyBuckets, ListTrails, account-level S3 Block Public Access, EBS encryption by default, log deliveries) only accept "*".',
  's3-bucket':
    'Reflex fixes whichever bucket an event names; bucket names are not known at deploy time. Only the exact S3 actions of the enabled fixes are granted.',
  'ec2-security-group':
    'Any security group of this account may be opened and must be fixable; scoped to security groups of this account.',
  'ec2-security-group-rule':
    'Revoking by SecurityGroupRuleIds is authorised on each rule; scoped to security group rules of this account.',
  'ec2-vpc': 'Flow logs are created for whichever VPC lacks them; scoped to VPCs of this account.',
  'ec2-vpc-flow-log':
    'The flow log being created (or undone) has no id before it exists; scoped to flow logs of this account.',
  'ec2-instance':
    'Containment of whichever instance is named in a manual request; scoped to instances of this account.',
  'ec2-network-interface':
    'Containment swaps the groups of the instance’s interfaces; scoped to interfaces of this account.',
  'ec2-volume': 'Forensic snapshots of the contained instance’s volumes; scoped to volumes of this account.',
  'ec2-snapshot': 'Snapshot ARNs carry no account id; the snapshot does not exist before it is created.',
  'cloudtrail-trail': 'Whichever trail is stopped must be restarted; scoped to trails of this account.',
  'flow-logs-delivery-role': 'The delivery role ARN is exact; no wildcard expected.',
  'state-table': 'The table ARNs are exact; no wildcard expected.',
  'ticket-secret': 'A secret given by name gets the six-character suffix Secrets Manager appends ("-??????").',
  'member-account-role':
    'The bot assumes the same-named role in whichever member account an event comes from (memberAccountIds narrows it to listed accounts).',
  'own-log-group': 'Log streams of the function’s own log group are created at run time.',
};

/** cdk-nag's label for a resource string (tokens as `<AWS::Partition>`, `<LogicalId.Arn>`). */
function nagLabel(stack: Stack, value: string): string {
  const part = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(part).join(sep);
    }
    return JSON.stringify(v);
  };
  return part(stack.resolve(value));
}

function acknowledgeNag(scope: Construct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Adds a statement, and acknowledges each resource wildcard in it with the reason for its scope. */
export function grant(
  role: iam.Role,
  actions: string[],
  resources: string[],
  scope: AwsResourceScope | 'own-log-group',
): void {
  role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
  const stack = Stack.of(role);
  for (const r of resources) {
    const label = nagLabel(stack, r);
    if (/[*?]/.test(label)) acknowledgeNag(role, `AwsSolutions-IAM5[Resource::${label}]`, WILDCARD_REASONS[scope]);
  }
}
/** Where `npm run build -w aws-lambda` puts the bundles. */
export const DEFAULT_BUNDLE_DIR = resolve(here, '../../../aws-lambda/dist');
/** Lambda's limit is 4 KB for all variables together; the policy must leave room for the others. */
export const MAX_INLINE_POLICY_BYTES = 3000;
/** The log line the bot writes when the blast radius trips (aws-lambda handlers/bot.ts, Powertools JSON). */
export const ALARM_LOG_PATTERN = '{ $.message = "reflex.alarm" && $.alarm.kind = "blast-radius" }';
/** The same line when a state store (ledger, leases) fails and the bot goes on without it (fail open). */
export const STATE_STORE_ALARM_PATTERN = '{ $.message = "reflex.alarm" && $.alarm.kind = "state-store" }';

export interface ReflexTriggers {
  /** CloudTrail management events via EventBridge (needs a trail in the account). Default true. */
  cloudTrail?: boolean;
  /** AWS Config compliance changes (needs Config recording). Default true. */
  config?: boolean;
  /** Security Hub findings (needs Security Hub with a standard). Default true. */
  securityHub?: boolean;
  /** Sweeps on a schedule; false for none. Default every 6 hours. */
  schedule?: events.Schedule | false;
}

export interface ReflexRemediationProps {
  /** The policy: a YAML/JSON file path, or the object. Validated at synth; a bad policy fails synth with its problems. */
  policy: string | PolicyInput;
  /** Overrides the policy's default mode (each rule's own mode still wins). */
  mode?: Mode;
  /** Every enforce becomes dry-run (REFLEX_KILL_SWITCH). Default false. */
  killSwitch?: boolean;
  /** The bucket server access logs go to; fills `rules.storageWithoutLogging.aws.targetBucket` when the policy has none. */
  logBucket?: s3.IBucket;
  /** A customer-managed key for the bot's own tables and log groups. Default: AWS-owned / AWS-managed keys. */
  kmsKey?: kms.IKey;
  /**
   * Ticket secrets: environment variable → Secrets Manager secret ARN (optionally `#jsonKey`). The variable is set
   * to `secretsmanager:<arn>[#key]`; the bot resolves it at cold start. Names match the policy's `*Env` settings
   * (e.g. REFLEX_JIRA_TOKEN).
   */
  ticketSecrets?: Record<string, string>;
  triggers?: ReflexTriggers;
  /** Deploy the AWS Config managed rules the parser maps (for the kinds the policy reads). Default false. */
  managedConfigRules?: boolean;
  /** Rules listen on this bus (a central bus member accounts forward to). Default: the account's default bus. */
  eventBus?: events.IEventBus;
  /**
   * The role the bot assumes in member accounts (see ReflexMemberAccount): with it, an event from another account
   * is handled there through that role (REFLEX_MEMBER_ROLE_NAME); without it, such events are ignored. Grants both
   * functions sts:AssumeRole on `arn:<partition>:iam::*:role/<name>`, or on the accounts of `memberAccountIds`.
   */
  memberAccountRoleName?: string;
  /** The member accounts, when known: sts:AssumeRole is then granted on exactly their member roles. */
  memberAccountIds?: readonly string[];
  /** An external id the member roles require (ReflexMemberAccount's `externalId`); REFLEX_MEMBER_EXTERNAL_ID. */
  memberAccountExternalId?: string;
  /** The role VPC Flow Logs deliver to CloudWatch Logs with (when the policy's flow-log destination is a log group). */
  flowLogsDeliveryRole?: iam.IRole;
  /** Reserved concurrency of the events function (a ceiling on parallel fixes). Default: unreserved. */
  reservedConcurrency?: number;
  memorySize?: number;
  timeout?: Duration;
  /** Retries of failed asynchronous invocations (0–2). Default 2. */
  retryAttempts?: number;
  /** Events older than this are sent to the dead-letter queue instead. Default 1 hour. */
  maxEventAge?: Duration;
  /** X-Ray active tracing. Default false. */
  tracing?: boolean;
  /** Log retention. Default one year. */
  logRetention?: logs.RetentionDays;
  /** Alarm notifications. */
  alarmTopic?: sns.ITopic;
  /** The folder with events.mjs and manual.mjs. Default: aws-lambda/dist of this repository. */
  bundleDir?: string;
  /** Role and resource names start with this. Default 'reflex'. */
  namePrefix?: string;
  /**
   * The IAM roles (or users) allowed to call the manual function by hand: each gets `lambda:InvokeFunctionUrl` on its
   * Function URL (AWS_IAM auth, so the bot sees the SigV4-verified caller) and `lambda:InvokeFunction` only through
   * that URL. The function refuses contain and undo from anyone else (REFLEX_RESPONDERS); with none named, nobody
   * may contain or undo. Sessions of a role match by account and role name.
   */
  responders?: readonly string[];
  /**
   * Grant the manual function contain and undo. Default: when the policy enforces some rule (a dry-run deployment
   * writes nothing, by hand or not).
   */
  containAndUndo?: boolean;
}

/** A role or user ARN a resource-based policy can name. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;

/** Does the deployment write (some rule in enforce)? Contain and undo follow: a dry-run deployment gets no writes. */
export function enforcesSomething(policy: Policy): boolean {
  return Object.values(ruleModes(policy)).includes('enforce');
}

/** The policy as given, with the construct's overrides applied and validated (without the bot's own identities). */
export function resolvePolicy(props: Pick<ReflexRemediationProps, 'policy' | 'mode' | 'logBucket'>): Policy {
  let policy: Policy;
  try {
    policy =
      typeof props.policy === 'string' ? loadPolicyFile(props.policy) : parsePolicy(JSON.stringify(props.policy));
  } catch (err) {
    if (err instanceof PolicyError) throw new Error(`Reflex policy is invalid:\n${err.problems.join('\n')}`);
    throw err;
  }
  const rules = { ...policy.rules };
  if (props.logBucket && !rules.storageWithoutLogging?.aws) {
    rules.storageWithoutLogging = {
      ...rules.storageWithoutLogging,
      aws: { targetBucket: props.logBucket.bucketName },
    };
  }
  return { ...policy, ...(props.mode ? { mode: props.mode } : {}), rules };
}

/** Each rule's mode as deployed; the kill switch is not applied (it is flipped without IAM changes). */
export function ruleModes(policy: Policy): Record<RuleName, Mode> {
  return Object.fromEntries(
    RULE_NAMES.map((r) => [r, (policy.rules[r] as { mode?: Mode } | undefined)?.mode ?? policy.mode]),
  ) as Record<RuleName, Mode>;
}

export function kindsRead(policy: Policy): Set<AwsResourceKind> {
  const modes = ruleModes(policy);
  return new Set(RULE_NAMES.filter((r) => modes[r] !== 'off').map((r) => AWS_RULE_RESOURCE[r]));
}

function flowLogsDestination(policy: Policy): 's3' | 'cloudwatch' | undefined {
  const destination = policy.rules.networkWithoutFlowLogs?.aws?.destination;
  if (!destination) return undefined;
  return /^arn:[^:]+:logs:/.test(destination) ? 'cloudwatch' : 's3';
}

/**
 * Reflex for one AWS account (or a central account a bus feeds): the events and manual functions with roles
 * generated from `aws-lambda/src/permissions.ts` for the rules the policy enables, EventBridge rules with the
 * exact patterns the parsers handle, a sweep schedule, DynamoDB state and audit tables, a dead-letter queue,
 * and alarms on errors, dead letters and blast-radius trips.
 */
export class ReflexRemediation extends Construct {
  readonly eventsFunction: lambda.Function;
  readonly manualFunction: lambda.Function;
  /** The manual function's URL (AWS_IAM auth), when responders are named. */
  readonly manualFunctionUrl?: lambda.FunctionUrl;
  readonly deadLetterQueue: sqs.Queue;
  readonly auditTable: dynamodb.Table;
  readonly stateTable: dynamodb.Table;
  readonly rules: events.Rule[] = [];
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The policy as deployed (validated; the bot's own role ARNs are added to identities.aws at deploy time). */
  readonly policy: Policy;

  constructor(scope: Construct, id: string, props: ReflexRemediationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = props.namePrefix ?? 'reflex';
    const bundleDir = props.bundleDir ?? DEFAULT_BUNDLE_DIR;
    for (const file of ['events.mjs', 'manual.mjs'])
      if (!existsSync(join(bundleDir, file)))
        throw new Error(`${join(bundleDir, file)} is missing: run \`npm run build -w aws-lambda\` first`);

    this.policy = resolvePolicy(props);
    const policy = this.policy;
    const triggers = props.triggers ?? {};
    const schedule =
      triggers.schedule === false ? undefined : (triggers.schedule ?? events.Schedule.rate(Duration.hours(6)));
    const kinds = kindsRead(policy);

    // State: the audit trail (kept) and the ledger / blast-radius counters (expire by TTL).
    const encryption = props.kmsKey
      ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.kmsKey }
      : { encryption: dynamodb.TableEncryption.AWS_MANAGED };
    this.auditTable = new dynamodb.Table(this, 'AuditTable', {
      partitionKey: { name: 'remediationId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
      ...encryption,
    });
    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
      ...encryption,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      // SQS-managed SSE: EventBridge can deliver to it without a key policy for events.amazonaws.com.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const ticketSecrets = props.ticketSecrets ?? {};
    const secretEnv = Object.fromEntries(
      Object.entries(ticketSecrets).map(([name, arn]) => [name, `secretsmanager:${arn}`]),
    );
    const memberRole = props.memberAccountRoleName;
    const memberAccountIds = [...new Set(props.memberAccountIds ?? [])].sort();
    for (const account of memberAccountIds)
      if (!/^\d{12}$/.test(account))
        throw new Error(`memberAccountIds: ${JSON.stringify(account)} is not an account id`);
    if ((memberAccountIds.length > 0 || props.memberAccountExternalId) && !memberRole)
      throw new Error('memberAccountIds and memberAccountExternalId need memberAccountRoleName');
    const common: AwsPermissionNeeds = {
      rules: ruleModes(policy),
      stateStore: true,
      ticketSecrets: Object.keys(ticketSecrets).length > 0,
      memberAccounts: memberRole !== undefined,
      ...(flowLogsDestination(policy) ? { flowLogsDestination: flowLogsDestination(policy) } : {}),
    };
    const resources = (on: AwsResourceScope): string[] => {
      const ec2 = (type: string) => [`arn:${Aws.PARTITION}:ec2:*:${Aws.ACCOUNT_ID}:${type}/*`];
      switch (on) {
        case 'any':
          return ['*'];
        case 's3-bucket':
          return [`arn:${Aws.PARTITION}:s3:::*`];
        case 'ec2-security-group':
          return ec2('security-group');
        case 'ec2-security-group-rule':
          return ec2('security-group-rule');
        case 'ec2-vpc':
          return ec2('vpc');
        case 'ec2-vpc-flow-log':
          return ec2('vpc-flow-log');
        case 'ec2-instance':
          return ec2('instance');
        case 'ec2-network-interface':
          return ec2('network-interface');
        case 'ec2-volume':
          return ec2('volume');
        case 'ec2-snapshot':
          return [`arn:${Aws.PARTITION}:ec2:*::snapshot/*`];
        case 'cloudtrail-trail':
          return [`arn:${Aws.PARTITION}:cloudtrail:*:${Aws.ACCOUNT_ID}:trail/*`];
        case 'flow-logs-delivery-role':
          if (!props.flowLogsDeliveryRole)
            throw new Error('the policy sends flow logs to CloudWatch Logs: pass flowLogsDeliveryRole');
          return [props.flowLogsDeliveryRole.roleArn];
        case 'state-table':
          return [this.auditTable.tableArn, this.stateTable.tableArn];
        case 'ticket-secret':
          // A full secret ARN ends in -XXXXXX; a partial one (name only) gets the wildcard for that suffix.
          return Object.values(ticketSecrets).map((v) => {
            const arn = v.split('#')[0]!;
            return /-[A-Za-z0-9]{6}$/.test(arn) ? arn : `${arn}-??????`;
          });
        case 'member-account-role':
          return memberAccountIds.length > 0
            ? memberAccountIds.map((account) => `arn:${Aws.PARTITION}:iam::${account}:role/${memberRole}`)
            : [`arn:${Aws.PARTITION}:iam::*:role/${memberRole}`];
      }
    };

    const logGroupFor = (name: string) =>
      new logs.LogGroup(this, `${name}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        ...(props.kmsKey ? { encryptionKey: props.kmsKey } : {}),
        removalPolicy: RemovalPolicy.RETAIN,
      });

    const makeFunction = (name: 'Events' | 'Manual', handler: string, needs: AwsPermissionNeeds) => {
      const role = new iam.Role(this, `${name}Role`, {
        roleName: `${prefix}-${name.toLowerCase()}-${Aws.REGION}`,
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Reflex ${name.toLowerCase()} function: generated from aws-lambda/src/permissions.ts`,
      });
      const logGroup = logGroupFor(name);
      // Logging: only its own log group (no managed policy with logs:* on every group).
      grant(role, ['logs:CreateLogStream', 'logs:PutLogEvents'], [logGroup.logGroupArn], 'own-log-group');
      grant(
        role,
        ['logs:CreateLogStream', 'logs:PutLogEvents'],
        [`${logGroup.logGroupArn}:log-stream:*`],
        'own-log-group',
      );
      for (const s of awsStatementsFor(needs)) grant(role, s.actions, resources(s.on), s.on);
      const fn = new lambda.Function(this, `${name}Function`, {
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        code: lambda.Code.fromAsset(bundleDir),
        handler,
        role,
        logGroup,
        memorySize: props.memorySize ?? 512,
        timeout: props.timeout ?? Duration.minutes(5),
        ...(name === 'Events' && props.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: props.reservedConcurrency }
          : {}),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.retryAttempts ?? 2,
        maxEventAge: props.maxEventAge ?? Duration.hours(1),
        tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
        description: `Reflex ${name.toLowerCase()} handler`,
        environment: {
          REFLEX_AUDIT_TABLE: this.auditTable.tableName,
          REFLEX_STATE_TABLE: this.stateTable.tableName,
          REFLEX_KILL_SWITCH: props.killSwitch ? 'on' : 'off',
          ...(memberRole ? { REFLEX_MEMBER_ROLE_NAME: memberRole } : {}),
          ...(memberRole && props.memberAccountExternalId
            ? { REFLEX_MEMBER_EXTERNAL_ID: props.memberAccountExternalId }
            : {}),
          ...(props.flowLogsDeliveryRole ? { REFLEX_FLOW_LOGS_ROLE_ARN: props.flowLogsDeliveryRole.roleArn } : {}),
          ...secretEnv,
        },
      });
      if (props.kmsKey) props.kmsKey.grantEncryptDecrypt(role);
      return { fn, role };
    };

    const eventsFn = makeFunction('Events', 'events.handler', { ...common, sweep: schedule !== undefined });
    const containAndUndo = props.containAndUndo ?? enforcesSomething(policy);
    const manualFn = makeFunction('Manual', 'manual.handler', {
      ...common,
      sweep: true,
      manual: containAndUndo ? ['contain', 'undo'] : [],
    });
    this.eventsFunction = eventsFn.fn;
    this.manualFunction = manualFn.fn;

    // Who may call the manual function: the named responders, through its Function URL (the bot then sees the
    // verified caller), and nobody else by the function's own policy. The handler checks the caller again.
    const responders = [...new Set(props.responders ?? [])];
    for (const arn of responders)
      if (!PRINCIPAL_ARN.test(arn))
        throw new Error(`responders: ${JSON.stringify(arn)} is not an IAM role or user ARN`);
    manualFn.fn.addEnvironment('REFLEX_RESPONDERS', responders.join(','));
    if (responders.length > 0) {
      this.manualFunctionUrl = manualFn.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
      responders.forEach((arn, i) => {
        const principal = new iam.ArnPrincipal(arn);
        manualFn.fn.addPermission(`Responder${i}Url`, {
          principal,
          action: 'lambda:InvokeFunctionUrl',
          functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM,
        });
        manualFn.fn.addPermission(`Responder${i}Invoke`, {
          principal,
          action: 'lambda:InvokeFunction',
          invokedViaFunctionUrl: true,
        });
      });
    } else
      Annotations.of(this).addWarning(
        'No responders named: nobody may contain or undo through the manual function (pass `responders`)',
      );

    // The policy reaches the bot inline (REFLEX_POLICY, read once per container), with the bot's own roles added
    // to identities.aws so that its own changes do not trigger it (the loop guard).
    const inline = JSON.stringify(policy);
    if (Buffer.byteLength(inline) > MAX_INLINE_POLICY_BYTES)
      throw new Error(
        `Reflex policy is ${Buffer.byteLength(inline)} bytes as JSON; Lambda environment variables are limited to 4 KB ` +
          `in total, so keep it under ${MAX_INLINE_POLICY_BYTES} (shorten allow-lists, move ticket settings to variables)`,
      );
    const deployed = {
      ...policy,
      identities: {
        ...policy.identities,
        aws: [...policy.identities.aws, eventsFn.role.roleArn, manualFn.role.roleArn],
      },
    };
    for (const fn of [eventsFn.fn, manualFn.fn]) fn.addEnvironment('REFLEX_POLICY', stack.toJsonString(deployed));

    // EventBridge: the exact patterns the parsers handle, for the kinds the policy reads.
    const bus = props.eventBus;
    const target = new targets.LambdaFunction(eventsFn.fn, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    });
    const patterns = patternsFor(kinds);
    const addRule = (id: string, description: string, pattern: events.EventPattern) => {
      const rule = new events.Rule(this, id, { description, eventPattern: pattern, ...(bus ? { eventBus: bus } : {}) });
      rule.addTarget(target);
      this.rules.push(rule);
    };
    if (triggers.cloudTrail !== false)
      for (const p of patterns.cloudTrail)
        addRule(
          `CloudTrail${p.source[0]!.replace('aws.', '').replace(/^./, (c) => c.toUpperCase())}Rule`,
          `Reflex: ${p.detail.eventSource[0]} calls`,
          p,
        );
    if (triggers.config !== false && patterns.config)
      addRule('ConfigComplianceRule', 'Reflex: Config rules turned NON_COMPLIANT', patterns.config);
    if (triggers.securityHub !== false && patterns.securityHub)
      addRule('SecurityHubFindingsRule', 'Reflex: failed Security Hub controls', patterns.securityHub);
    if (schedule) {
      const sweep = new events.Rule(this, 'SweepSchedule', { description: 'Reflex: sweep', schedule });
      sweep.addTarget(target);
      this.rules.push(sweep);
    }

    if (props.managedConfigRules) {
      for (const [name, identifier] of Object.entries(CONFIG_RULE_IDENTIFIERS)) {
        if (!kinds.has(CONFIG_RULE_KINDS[name]!)) continue;
        new config.ManagedRule(this, `ConfigRule-${name}`, { identifier, configRuleName: `${prefix}-${name}` });
      }
    }

    // Alarms: handler errors, dead letters, blast-radius trips (the bot's `reflex.alarm` log line).
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string) => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmTopic) a.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
      this.alarms.push(a);
    };
    alarm(
      'EventsErrorsAlarm',
      eventsFn.fn.metricErrors({ period: Duration.minutes(5) }),
      'Reflex events handler errors',
    );
    alarm(
      'ManualErrorsAlarm',
      manualFn.fn.metricErrors({ period: Duration.minutes(5) }),
      'Reflex manual handler errors',
    );
    alarm(
      'DeadLetterAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      'Reflex events that failed every retry are waiting in the dead-letter queue',
    );
    const botAlarms = [
      [
        'BlastRadius',
        ALARM_LOG_PATTERN,
        'BlastRadiusTrips',
        'Reflex hit its blast-radius limit and fell back to dry-run',
      ],
      // The ledger and lease stores fail open: fixes go on, but duplicates and concurrent writers are no longer held.
      [
        'StateStore',
        STATE_STORE_ALARM_PATTERN,
        'StateStoreFailures',
        'Reflex could not reach its state table and works without it',
      ],
    ] as const;
    for (const [name, fn] of [
      ['Events', eventsFn.fn],
      ['Manual', manualFn.fn],
    ] as const) {
      for (const [kind, pattern, metricName, description] of botAlarms) {
        const filter = new logs.MetricFilter(this, `${name}${kind}Filter`, {
          logGroup: fn.logGroup,
          filterPattern: logs.FilterPattern.literal(pattern),
          metricNamespace: 'Reflex',
          metricName,
          metricValue: '1',
        });
        if (name === 'Events')
          alarm(`${kind}Alarm`, filter.metric({ period: Duration.minutes(5), statistic: 'Sum' }), description);
      }
    }

    if (kinds.size === 0) Annotations.of(this).addWarning('Every rule is off: Reflex will read and fix nothing');
    acknowledgeNag(this.eventsFunction, 'AwsSolutions-L1', L1_REASON);
    acknowledgeNag(this.manualFunction, 'AwsSolutions-L1', L1_REASON);
  }
}
