import type { AclGrant, ContainerAccess, IngressRule, PolicyStatement, PublicAccessBlock } from './posture.js';
import type { ResourceRef } from './refs.js';

export const RULE_NAMES = [
  'publicStorage',
  'openIngress',
  'unencryptedStorage',
  'storageWithoutLogging',
  'insecureTransport',
  'trailLoggingStopped',
  'networkWithoutFlowLogs',
  'ebsEncryptionByDefaultOff',
  'accountPublicAccessUnblocked',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/**
 * A change to one firewall rule. `after` empty: delete it. Otherwise `after[0]` replaces it in place (same id),
 * and any further entries are new rules (id '') that keep an allow-listed public port open.
 */
export interface IngressChange {
  before: IngressRule;
  after: IngressRule[];
}

/** Cloud-neutral intent. The adapter turns each into the fewest API calls that do it. */
export type Fix =
  | { type: 'block-public-access'; block: PublicAccessBlock; scope: 'bucket' | 'account' }
  | { type: 'remove-public-grants'; grants: AclGrant[] }
  | { type: 'remove-public-statements'; statements: PolicyStatement[]; remaining: PolicyStatement[] }
  | { type: 'disallow-public-containers' }
  | { type: 'set-container-access'; containers: { name: string; id: string; from: ContainerAccess }[] }
  | { type: 'revoke-ingress'; changes: IngressChange[] }
  | { type: 'enable-encryption'; algorithm: string; keyId?: string; infrastructure?: boolean }
  | { type: 'enable-logging'; target: string; prefix?: string }
  | { type: 'require-secure-transport'; minimumTls?: string }
  | { type: 'start-trail-logging' }
  | { type: 'enable-flow-logs'; destination: string; trafficType: 'ALL' | 'ACCEPT' | 'REJECT' }
  | { type: 'enable-ebs-default-encryption' }
  | { type: 'isolate'; quarantineGroup?: string };
export type FixType = Fix['type'];

export interface Finding {
  rule: RuleName;
  resource: ResourceRef;
  severity: Severity;
  /** One line a human understands: what is wrong. */
  title: string;
  /** The facts that made the rule fire (grants, statements, rules), for tickets and audit. */
  evidence: string[];
  fixes: Fix[];
}
