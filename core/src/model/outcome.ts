import type { Finding, Fix, RuleName } from './finding.js';
import type { Posture } from './posture.js';
import type { ResourceRef } from './refs.js';

export type Mode = 'enforce' | 'dry-run' | 'off';

/** What led Reflex to look at a resource. */
export interface Trigger {
  source: 'cloudtrail' | 'config' | 'securityhub' | 'eventgrid' | 'policy' | 'manual' | 'sweep';
  eventId: string;
  /**
   * Who made the change: an IAM ARN, or an Azure principal id / app id. Only ever an identity the platform verified
   * (the event's caller, a Function URL's signed caller, Easy Auth's principal), or "function key" on Azure.
   */
  actor?: string;
  /** Manual requests: the name the caller gave itself (`requestedBy`), unverified; recorded, never the actor. */
  claimedBy?: string;
  /** Every identity the event names for the actor (ARN, session issuer, Azure oid and appid). */
  actorIds?: string[];
  eventName?: string;
  eventTime?: string;
  /** Manual invocations: why. */
  reason?: string;
  /** Ask for a dry-run regardless of policy (manual `dryRun: true`). */
  dryRun?: boolean;
  /**
   * The event's call wrote tags on the resource: the keys it wrote, or `all` when it replaced the tag set without
   * the event naming them. The actor of such an event is who set an exemption tag it carries.
   */
  tagsWritten?: string[] | 'all';
}

/** A resource to look at, and why. */
export interface Target {
  ref: ResourceRef;
  trigger: Trigger;
  /**
   * Only these rules: `reflex remediate --rule`, or the rules an event's call can affect (PutBucketEncryption:
   * unencryptedStorage). Unset: every enabled rule runs (sweeps, and events that may change anything).
   */
  rules?: RuleName[];
  /**
   * The resource as a bulk listing already showed it (a sweep): when no rule finds anything there, the engine
   * answers compliant without reading it again; a finding is decided and acted on from a fresh read.
   */
  screen?: Posture;
}

/** The exact cloud call a step makes, and the CLI command that does the same, for tickets and audit. */
export interface CallDescription {
  api: string;
  /**
   * The CLI command as its arguments (`['aws', 's3api', ...]`), never as shell text: tickets render it once, each
   * argument quoted (`shellCommand`), since any of them may hold attacker text.
   */
  argv: string[];
  /** IAM action or Azure RBAC operation the call needs. */
  permission: string;
}

/** What a step serves: a rule's fix, or a responder's containment. */
export type ActionName = RuleName | 'contain';

/** One unit of change in a plan: one fix for one finding. */
export interface Step {
  id: string;
  rule: ActionName;
  fix: Fix;
  summary: string;
  calls: CallDescription[];
}

export interface Plan {
  resource: ResourceRef;
  mode: 'enforce' | 'dry-run';
  steps: Step[];
}

/** What the adapter returns for an applied step: the state it replaced and the state it wrote. */
export interface StepResult {
  before: unknown;
  after: unknown;
  requestIds: string[];
}

export interface AuditRecord {
  remediationId: string;
  stepId: string;
  at: string;
  resource: ResourceRef;
  rule: ActionName;
  fix: Fix;
  mode: 'enforce' | 'dry-run' | 'manual';
  /**
   * One record per step, written ahead of the write (`intended`: the before and the intended after), then marked
   * `applied` or `failed`; `undone` is a second record of the step, written when undo put its before back.
   */
  status: 'intended' | 'applied' | 'failed' | 'undone';
  before: unknown;
  after: unknown;
  error?: string;
  correlation: {
    eventId: string;
    actor?: string;
    /** Unverified name from a manual request's payload (see Trigger.claimedBy). */
    claimedBy?: string;
    source: Trigger['source'];
    requestIds: string[];
    reason?: string;
  };
}

export type OutcomeStatus = 'fixed' | 'ticketed' | 'compliant' | 'exempt' | 'ignored' | 'failed';

export interface StepOutcome {
  step: Step;
  status: 'applied' | 'failed' | 'planned';
  error?: string;
  /** True when the failure is worth a retry (throttling, 5xx, timeouts). */
  transient?: boolean;
  result?: StepResult;
}

/** The result for one rule on one resource (or for the whole target when nothing was evaluated). */
export interface Outcome {
  status: OutcomeStatus;
  resource: ResourceRef;
  rule?: RuleName;
  reason: string;
  finding?: Finding;
  remediationId?: string;
  steps?: StepOutcome[];
  ticket?: { dedupeKey: string; ref?: string };
  /** An exemption tag honoured (status `exempt`): the tag, its value, and who set it when the event shows it. */
  exemption?: { tag: string; value: string; until: string; reason: string; setBy?: string };
  /** Notes that do not change the status: an expired exemption, a blast-radius trip. */
  notes?: string[];
  trigger: Trigger;
  /** Set when the failure is worth a retry of the whole event (throttling, 5xx, timeouts). */
  transient?: boolean;
  durationMs?: number;
}

export interface Report {
  outcomes: Outcome[];
  /** Problems with the input itself (events that could not be parsed), reported without action. */
  errors?: { code: string; message: string }[];
}
