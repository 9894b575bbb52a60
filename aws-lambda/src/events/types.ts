import type { ResourceRef, Target, Trigger } from '@reflex/core';

/** Something the event names only indirectly; the handler resolves it with a read-only call. */
export type Lookup =
  /** `groupName` without `groupId` (default VPC / EC2-Classic calls): DescribeSecurityGroups by name. */
  | {
      kind: 'security-group-by-name';
      groupName: string;
      vpcId?: string;
      account: string;
      region: string;
      trigger: Trigger;
    }
  /** Deleted flow logs no longer say which VPC they covered: every VPC of the region is re-read. */
  | { kind: 'vpcs'; account: string; region: string; trigger: Trigger }
  /** CloudTrail.1 names the account: every trail of the region is re-read. */
  | { kind: 'trails'; account: string; region: string; trigger: Trigger };

export interface Skipped {
  ref: ResourceRef;
  trigger: Trigger;
  reason: string;
}

/** What an EventBridge event asks for. */
export type ParsedEvent =
  | { kind: 'targets'; eventId: string; targets: Target[]; lookups: Lookup[]; skipped: Skipped[] }
  | { kind: 'sweep'; eventId: string; account: string; region: string; trigger: Trigger }
  /** Nothing to do; `ref` is the resource when the event names one, else the account. */
  | { kind: 'ignored'; eventId: string; ref: ResourceRef; trigger: Trigger; reason: string }
  /** Unusable input: reported, never acted on. `ref` when at least the account is known. */
  | { kind: 'malformed'; eventId: string; ref?: ResourceRef; trigger?: Trigger; problem: string };

/** The EventBridge envelope fields every parser needs. */
export interface Envelope {
  id: string;
  source: string;
  detailType: string;
  account: string;
  region: string;
  time?: string;
  partition: string;
  detail: Record<string, unknown>;
}
