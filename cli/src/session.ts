import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { hostname, userInfo } from 'node:os';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { AwsAdapter, type ClientsForRegion, cachedClients } from '@reflex/aws';
import { ArmClientCache, type ArmConnection, AzureAdapter, PUBLIC_CLOUD_ARM } from '@reflex/azure';
import {
  type AuditStore,
  type Cloud,
  type CloudAdapter,
  createTicketSinks,
  type EnginePorts,
  FileAuditStore,
  InMemoryBlastRadiusStore,
  loadPolicyFile,
  type Policy,
  policyFromEnv,
  type Ticket,
} from '@reflex/core';

/** The flags every cloud command takes, in the aws-cli / az-cli habit. */
export interface CommonOptions {
  profile?: string;
  region?: string;
  subscription?: string;
  policy?: string;
  output: 'table' | 'json';
  audit?: string;
  endpoint?: string;
  caBundle?: string;
}

/** What tests and the demo swap in; the command line leaves all of it to the environment. */
export interface CliDeps {
  env?: NodeJS.ProcessEnv;
  /** Azure: used instead of DefaultAzureCredential (the emulator's static token). */
  azureCredential?: TokenCredential;
  /** Azure: extra pipeline policies (the emulator's certificate trust). */
  armPolicies?: ArmConnection['additionalPolicies'];
  /** Azure: delay between polls of long-running operations (default: the SDK's, or ARM's Retry-After). */
  armPollIntervalMs?: number;
  /** AWS: static credentials instead of the SDK's default chain (moto). */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Whether stdout is a terminal (progress bar, colour). Default: process.stdout.isTTY. */
  tty?: boolean;
}

export const DEFAULT_AUDIT_FILE = '.reflex/audit.jsonl';

/** The policy: `--policy FILE`, else REFLEX_POLICY / REFLEX_POLICY_FILE, else the default (every rule in dry-run). */
export function loadPolicy(opts: Pick<CommonOptions, 'policy'>, env: NodeJS.ProcessEnv): Policy {
  const policy = opts.policy ? loadPolicyFile(opts.policy) : policyFromEnv(env);
  return opts.policy && /^(1|true|on|yes)$/i.test(env['REFLEX_KILL_SWITCH'] ?? '')
    ? { ...policy, killSwitch: true }
    : policy;
}

/** Who runs the CLI, for the audit trail (`reason` says why). */
export function operator(env: NodeJS.ProcessEnv): string {
  let user = env['USER'] ?? env['USERNAME'] ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep the environment's name
  }
  return `${user}@${hostname()} (reflex cli)`;
}

/**
 * One CLI invocation's engine: the policy, the local audit trail (JSON lines, read back by undo), the ticket
 * sinks of the policy (tickets without a configured sink are collected and printed), and one adapter per cloud,
 * built on first use with local credentials: AWS through the SDK's default chain (`--profile` selects the
 * shared-config profile), Azure through DefaultAzureCredential.
 */
export class Session {
  readonly env: NodeJS.ProcessEnv;
  readonly audit: AuditStore;
  readonly auditPath: string;
  /** Tickets that went to the default JSON-lines sink; printed with the report. */
  readonly tickets: Ticket[] = [];
  private readonly sinks: EnginePorts['tickets'];
  private readonly blastRadius = new InMemoryBlastRadiusStore();
  private readonly adapters = new Map<Cloud, CloudAdapter>();
  private awsClients?: ClientsForRegion;
  private armClients?: ArmClientCache;

  constructor(
    readonly policy: Policy,
    readonly opts: CommonOptions,
    readonly deps: CliDeps = {},
  ) {
    this.env = deps.env ?? process.env;
    this.auditPath = opts.audit ?? this.env['REFLEX_AUDIT_FILE'] ?? DEFAULT_AUDIT_FILE;
    this.audit = new FileAuditStore(this.auditPath);
    this.sinks = createTicketSinks(policy, this.env, {
      stdout: (line) => this.tickets.push(JSON.parse(line) as Ticket),
    });
  }

  /** The AWS region: `--region`, AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. */
  get region(): string {
    return this.opts.region ?? this.env['AWS_REGION'] ?? this.env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  }

  aws(): ClientsForRegion {
    if (!this.awsClients) {
      // The SDK's default chain reads the shared config and credentials files for AWS_PROFILE (fromIni).
      if (this.opts.profile) process.env['AWS_PROFILE'] = this.opts.profile;
      const endpoint = this.opts.endpoint ?? this.env['AWS_ENDPOINT_URL'];
      const clients = cachedClients({
        ...(endpoint ? { endpoint } : {}),
        ...(this.deps.awsCredentials ? { credentials: this.deps.awsCredentials } : {}),
      });
      this.awsClients = (region) => clients(region || this.region);
    }
    return this.awsClients;
  }

  azure(): ArmClientCache {
    if (!this.armClients) {
      const endpoint = (this.opts.endpoint ?? this.env['REFLEX_ARM_ENDPOINT'] ?? PUBLIC_CLOUD_ARM).replace(/\/+$/, '');
      const policies = [...(this.deps.armPolicies ?? []), ...(this.opts.caBundle ? [trustCa(this.opts.caBundle)] : [])];
      this.armClients = new ArmClientCache({
        endpoint,
        credential:
          this.deps.azureCredential ??
          new DefaultAzureCredential(
            this.env['AZURE_CLIENT_ID'] ? { managedIdentityClientId: this.env['AZURE_CLIENT_ID'] } : undefined,
          ),
        ...(policies.length ? { additionalPolicies: policies } : {}),
        ...(this.deps.armPollIntervalMs !== undefined ? { pollIntervalMs: this.deps.armPollIntervalMs } : {}),
      });
    }
    return this.armClients;
  }

  adapter(cloud: Cloud): CloudAdapter {
    let adapter = this.adapters.get(cloud);
    if (!adapter) {
      adapter = cloud === 'aws' ? new AwsAdapter(this.aws()) : new AzureAdapter(this.azure());
      this.adapters.set(cloud, adapter);
    }
    return adapter;
  }

  ports(cloud: Cloud): EnginePorts {
    return { adapter: this.adapter(cloud), tickets: this.sinks, audit: this.audit, blastRadius: this.blastRadius };
  }

  /**
   * The AWS account: REFLEX_ACCOUNT_ID, else the owner of the region's security groups (every VPC has a default
   * group), so that a sweep can name what it lists without an STS client.
   */
  async awsAccount(): Promise<string> {
    const fromEnv = this.env['REFLEX_ACCOUNT_ID'] ?? this.env['AWS_ACCOUNT_ID'];
    if (fromEnv) return fromEnv;
    const out = await this.aws()(this.region).ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 5 }));
    return out.SecurityGroups?.find((g) => g.OwnerId)?.OwnerId ?? '';
  }
}

/** `--ca-bundle`: trust exactly these certificates for ARM (az's REQUESTS_CA_BUNDLE; the emulator's own CA). */
function trustCa(file: string): NonNullable<ArmConnection['additionalPolicies']>[number] {
  const agent = new Agent({ ca: readFileSync(file, 'utf8'), keepAlive: true });
  return {
    position: 'perCall',
    policy: {
      name: 'reflexTrustCaBundle',
      sendRequest(request, next) {
        request.agent = agent;
        return next(request);
      },
    },
  };
}
