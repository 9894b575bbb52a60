import type { ResourceRef } from './refs.js';

export type Tags = Record<string, string>;

/** The four S3 Block Public Access flags (also used for the account-level block). */
export interface PublicAccessBlock {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

/** An S3 ACL grant, normalised: `grantee` is a canonical user id, an e-mail, or a group URI. */
export interface AclGrant {
  granteeType: 'CanonicalUser' | 'Group' | 'AmazonCustomerByEmail';
  grantee: string;
  permission: 'FULL_CONTROL' | 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP';
}

export interface Acl {
  owner: { id: string; displayName?: string };
  grants: AclGrant[];
}

/** An IAM policy statement as written (Principal and Condition keep their JSON shape). */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[];
}

export type ContainerAccess = 'None' | 'Blob' | 'Container';

/** Storage (an S3 bucket or an Azure storage account), normalised across clouds. */
export interface StoragePosture {
  kind: 'storage';
  ref: ResourceRef;
  publicAccess: {
    /** AWS: bucket-level Block Public Access; null when none is configured. */
    bucketBlock?: PublicAccessBlock | null;
    /** AWS: account-level Block Public Access, when the reader could see it. */
    accountBlock?: PublicAccessBlock | null;
    acl?: Acl | null;
    /** AWS: `BucketOwnerEnforced` disables ACLs altogether. */
    objectOwnership?: string | null;
    policy?: PolicyDocument | null;
    /** Azure: account-level switch that permits containers to be public. */
    allowBlobPublicAccess?: boolean;
    /** Azure: per-container anonymous access level. */
    containers?: { name: string; id: string; publicAccess: ContainerAccess }[];
  };
  encryption: {
    enabled: boolean;
    /** `AES256`, `aws:kms`, `aws:kms:dsse`; Azure `Microsoft.Storage` / `Microsoft.Keyvault`. */
    algorithm?: string;
    keyId?: string;
    bucketKey?: boolean;
    /** Azure: double encryption at the infrastructure layer. */
    infrastructure?: boolean;
  };
  logging: {
    enabled: boolean;
    /** AWS: target bucket; Azure: Log Analytics workspace id. */
    target?: string;
    prefix?: string;
    /** Azure: name of the diagnostic setting that sends the logs. */
    setting?: string;
  };
  transport: {
    httpsOnly: boolean;
    /** Azure: `TLS1_0` | `TLS1_1` | `TLS1_2` | `TLS1_3`. */
    minimumTls?: string;
  };
  tags: Tags;
  /**
   * What a scoped read left out (the adapter's names: `encryption`, `logging`...): only rules that do not look at
   * those parts were to be evaluated, and their fields hold placeholders.
   */
  unread?: readonly string[];
}

/** Where inbound traffic may come from. `cidr` values keep their written form (e.g. `x.x.x.x/0` in scrubbed samples). */
export type Source =
  | { kind: 'cidr'; value: string }
  | { kind: 'prefix-list'; value: string }
  | { kind: 'security-group'; value: string }
  | { kind: 'service-tag'; value: string }
  | { kind: 'application-security-group'; value: string }
  | { kind: 'any'; value: string };

export interface PortRange {
  from: number;
  to: number;
}

/** One firewall rule. An AWS security-group rule has one source and one range; an NSG rule may have many. */
export interface IngressRule {
  /**
   * The rule name for NSGs. AWS: `sgr-...` where the read names it (DescribeSecurityGroupRules); '' for a rule read
   * from its group's permissions, where protocol, ports and source identify it (AWS allows no two rules alike).
   */
  id: string;
  direction: 'inbound' | 'outbound';
  access: 'allow' | 'deny';
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or an IP protocol number as a string. */
  protocol: string;
  /** Empty for all ports (all-traffic, or NSG `*`). */
  ports: PortRange[];
  /** AWS ICMP rules: the type and code they allow (-1: any), which tell two ICMP rules apart. */
  icmp?: { type: number; code: number };
  sources: Source[];
  priority?: number;
  description?: string;
}

export interface FirewallPosture {
  kind: 'firewall';
  ref: ResourceRef;
  rules: IngressRule[];
  tags: Tags;
  /** AWS: the VPC; Azure: unused. */
  vpcId?: string;
}

/** An audit trail (CloudTrail). */
export interface TrailPosture {
  kind: 'trail';
  ref: ResourceRef;
  logging: boolean;
  tags: Tags;
}

/** A network (VPC / VNet) and its flow logs. */
export interface NetworkPosture {
  kind: 'network';
  ref: ResourceRef;
  flowLogs: { id: string; destination?: string; active: boolean }[];
  tags: Tags;
}

/** Account-wide settings (AWS: EBS encryption by default, S3 account-level Block Public Access). */
export interface AccountPosture {
  kind: 'account';
  ref: ResourceRef;
  ebsEncryptionByDefault?: boolean;
  s3PublicAccessBlock?: PublicAccessBlock | null;
  tags: Tags;
}

/** A compute instance, for containment. */
export interface InstancePosture {
  kind: 'instance';
  ref: ResourceRef;
  networkInterfaces: { id: string; groups: string[]; primary?: boolean }[];
  vpcId?: string;
  tags: Tags;
}

export type Posture =
  | StoragePosture
  | FirewallPosture
  | TrailPosture
  | NetworkPosture
  | AccountPosture
  | InstancePosture;
export type PostureKind = Posture['kind'];
