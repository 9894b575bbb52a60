import { awsStatementsFor } from '@reflex/aws/deployment';
import { Aws, aws_events as events, aws_iam as iam, Stack, aws_events_targets as targets } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  enforcesSomething,
  grant,
  kindsRead,
  type ReflexRemediationProps,
  resolvePolicy,
  ruleModes,
} from './reflex-remediation.js';
import { patternsFor } from './triggers.js';

export interface ReflexMemberAccountProps {
  /** The same policy the central deployment runs (it decides which events are forwarded and what the role may do). */
  policy: ReflexRemediationProps['policy'];
  mode?: ReflexRemediationProps['mode'];
  /** The central account's bus (ReflexRemediation's `eventBus`). */
  centralEventBusArn: string;
  centralAccountId: string;
  /** The role the central bot assumes here; same as ReflexRemediation's memberAccountRoleName. Default 'reflex-member'. */
  roleName?: string;
  /** The central deployment's namePrefix: only its two function roles may assume this one. Default 'reflex'. */
  centralNamePrefix?: string;
  /** The central deployment's region (its role names end with it). Default: this stack's region. */
  centralRegion?: string;
  /**
   * Exactly the central roles trusted, when they are not ReflexRemediation's default names
   * (`<prefix>-events-<region>`, `<prefix>-manual-<region>`).
   */
  centralRoleArns?: readonly string[];
  /** Grant contain and undo here. Default: when the policy enforces some rule (dry-run: no writes). */
  containAndUndo?: boolean;
  /** Require this sts:ExternalId (ReflexRemediation's `memberAccountExternalId`). Default: none. */
  externalId?: string;
}

/**
 * What each member account of an organisation gets (deploy it with a StackSet, service-managed, auto-deployment):
 * EventBridge rules forwarding the events Reflex handles to the central bus, and the role the central bot assumes
 * to read and fix here, generated from the same permission declarations.
 */
export class ReflexMemberAccount extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ReflexMemberAccountProps) {
    super(scope, id);
    const policy = resolvePolicy(props);
    const prefix = props.centralNamePrefix ?? 'reflex';
    const central = events.EventBus.fromEventBusArn(this, 'CentralBus', props.centralEventBusArn);
    const forward = new targets.EventBus(central);
    const patterns = patternsFor(kindsRead(policy));
    const all = [...patterns.cloudTrail, patterns.config, patterns.securityHub].filter((p) => p !== undefined);
    all.forEach((pattern, i) => {
      new events.Rule(this, `Forward${i}`, {
        eventPattern: pattern,
        description: 'Reflex: forward to the central bus',
      }).addTarget(forward);
    });

    // Exactly the central bot's two roles: a pattern (`reflex-*`) would let anyone there who can create such a role
    // act in every member account.
    const region = props.centralRegion ?? Stack.of(this).region;
    const trusted = props.centralRoleArns?.length
      ? [...props.centralRoleArns]
      : ['events', 'manual'].map(
          (fn) => `arn:${Aws.PARTITION}:iam::${props.centralAccountId}:role/${prefix}-${fn}-${region}`,
        );
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName ?? 'reflex-member',
      assumedBy: new iam.AccountPrincipal(props.centralAccountId).withConditions({
        ArnEquals: { 'aws:PrincipalArn': trusted },
        ...(props.externalId ? { StringEquals: { 'sts:ExternalId': props.externalId } } : {}),
      }),
      description: 'Assumed by the central Reflex bot; generated from aws-lambda/src/permissions.ts',
    });
    const containAndUndo = props.containAndUndo ?? enforcesSomething(policy);
    const manual = containAndUndo ? (['contain', 'undo'] as const) : [];
    for (const s of awsStatementsFor({ rules: ruleModes(policy), sweep: true, manual })) {
      if (s.on === 'state-table' || s.on === 'ticket-secret' || s.on === 'member-account-role') continue;
      const ec2 = (type: string) => [`arn:${Aws.PARTITION}:ec2:*:${Aws.ACCOUNT_ID}:${type}/*`];
      const resources: Record<string, string[]> = {
        any: ['*'],
        's3-bucket': [`arn:${Aws.PARTITION}:s3:::*`],
        'ec2-security-group': ec2('security-group'),
        'ec2-security-group-rule': ec2('security-group-rule'),
        'ec2-vpc': ec2('vpc'),
        'ec2-vpc-flow-log': ec2('vpc-flow-log'),
        'ec2-instance': ec2('instance'),
        'ec2-network-interface': ec2('network-interface'),
        'ec2-volume': ec2('volume'),
        'ec2-snapshot': [`arn:${Aws.PARTITION}:ec2:*::snapshot/*`],
        'cloudtrail-trail': [`arn:${Aws.PARTITION}:cloudtrail:*:${Aws.ACCOUNT_ID}:trail/*`],
      };
      const on = resources[s.on];
      if (on) grant(this.role, s.actions, on, s.on);
    }
  }
}
