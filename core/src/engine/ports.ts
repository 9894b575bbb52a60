import type { AuditSink } from '../audit/sinks.js';
import type { BlastRadiusStore } from '../guardrails/blastRadius.js';
import type { LeaseOptions, LeaseStore } from '../guardrails/lease.js';
import type { EventLedger } from '../guardrails/ledger.js';
import type {
  AuditRecord,
  CallDescription,
  Cloud,
  Fix,
  Posture,
  ResourceRef,
  RuleName,
  Step,
  StepResult,
} from '../model/index.js';
import type { TicketSink } from '../tickets/sinks.js';

/** The rules a read serves. */
export interface ReadScope {
  rules: readonly RuleName[];
}

export type StepSettlement = { ok: true; result: StepResult } | { ok: false; error: unknown };

/** What each cloud adapter provides: read the truth, say what a fix would call, apply fixes. No policy logic. */
export interface CloudAdapter {
  readonly cloud: Cloud;
  /**
   * The current posture, or null when the resource does not exist (any more). With `scope`, only the named rules
   * will look at it: an adapter may leave out reads none of them needs (tags are always read, for exemptions) and
   * lists what it left out in the posture's `unread`.
   */
  read(ref: ResourceRef, scope?: ReadScope): Promise<Posture | null>;
  /**
   * The verifying read after `steps` were applied. An adapter may re-read only what the steps wrote and merge it
   * into `before` (fewer calls on the critical path); without it the engine calls `read`.
   */
  reread?(ref: ResourceRef, before: Posture, steps: Step[]): Promise<Posture | null>;
  /**
   * The calls a fix makes, for tickets and audit, without making them. `plan` is every fix planned for this
   * resource in this run (this one among them, ticketed or enforced): where several fixes write one document (a
   * bucket policy), each fix's command writes what the whole plan leaves, so that the commands of one resource's
   * tickets compose into what enforce writes, in any order.
   */
  describe(fix: Fix, posture: Posture, plan?: readonly Fix[]): CallDescription[];
  /**
   * Applies the steps (the adapter may coalesce steps that write the same document into one call, and
   * must run independent ones in parallel). One settlement per step, in order; a failure never stops the rest.
   */
  apply(steps: Step[], posture: Posture): Promise<StepSettlement[]>;
  /**
   * The before and the intended after of a step, from the posture, in the shapes `apply` returns: written to the
   * audit trail ahead of the write, so a write whose final audit record is lost can still be explained and undone.
   * Undefined (or absent) where the adapter cannot tell before writing.
   */
  preview?(step: Step, posture: Posture): { before: unknown; after: unknown } | undefined;
  /** Throttling, 5xx, timeouts: worth a retry of the whole event. */
  isTransient(err: unknown): boolean;
  /**
   * Undo of one applied step: puts back `record.before` only while the resource still matches
   * `record.after`; otherwise refuses and names the differences. With `check`, reads only.
   */
  restore?(record: AuditRecord, opts: { check: boolean }): Promise<RestoreResult>;
}

export type RestoreResult =
  | { status: 'restorable' | 'restored'; requestIds: string[] }
  | { status: 'refused'; differences: string[] };

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Alarm {
  /** `blast-radius`: the limit tripped, or its store is down (then counted per container); `state-store`: the
   * ledger or the lease store is down (work goes on without them). */
  kind: 'blast-radius' | 'state-store';
  scope: string;
  count: number;
  limit: number;
  message: string;
}

export interface EnginePorts {
  adapter: CloudAdapter;
  tickets: TicketSink;
  audit: AuditSink;
  blastRadius: BlastRadiusStore;
  ledger?: EventLedger;
  /** Per-resource leases across containers (the state table); without it, work is serialised per container only. */
  leases?: LeaseStore;
  leaseOptions?: LeaseOptions;
  clock?: Clock;
  /** Raised when a guardrail trips (e.g. blast radius); the handler turns it into a metric / alarm. */
  onAlarm?: (alarm: Alarm) => void;
}
