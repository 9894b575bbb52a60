import { type AuditStore, latestAuditRecords } from '../audit/sinks.js';
import { errorMessage } from '../errors.js';
import { withLease } from '../guardrails/lease.js';
import type { AuditRecord, FixType } from '../model/index.js';
import { GATE_FIXES } from '../rules/registry.js';
import { type EnginePorts, systemClock } from './ports.js';
import { resourceLeaseKey } from './remediate.js';

export interface UndoResult {
  remediationId: string;
  status: 'undone' | 'refused' | 'not-found' | 'already-undone' | 'failed';
  reason: string;
  /** Where the resource no longer matches what Reflex wrote: why undo refused. */
  differences?: string[];
  steps: { stepId: string; status: 'restored' | 'refused' | 'failed'; error?: string }[];
  /** Set when the failure is worth a retry (throttling, 5xx, a busy lease). */
  transient?: boolean;
}

/**
 * Fixes that close a gate the others' befores cannot pass while it is closed, as their rules declare: S3 rejects a public bucket policy
 * while BlockPublicPolicy is on and a public ACL while BlockPublicAcls is on; Azure rejects public container access
 * while the account disallows it. Their befores are put back first, then the rest, newest first.
 * (S3 API reference, PublicAccessBlockConfiguration: "PUT Bucket ACL ... calls fail if the specified ACL is public";
 * BlockPublicPolicy "causes Amazon S3 to reject calls to PUT Bucket policy if the specified bucket policy allows
 * public access". moto enforces neither.)
 */
const GATES: ReadonlySet<FixType> = GATE_FIXES;

const stepIndex = (stepId: string) => Number(/\.(\d+)$/.exec(stepId)?.[1] ?? 0);

/** The order undo restores in: gates first, then newest step first. */
export function undoOrder(records: AuditRecord[]): AuditRecord[] {
  const newestFirst = [...records].sort((a, b) => stepIndex(b.stepId) - stepIndex(a.stepId));
  return [...newestFirst.filter((r) => GATES.has(r.fix.type)), ...newestFirst.filter((r) => !GATES.has(r.fix.type))];
}

/**
 * The steps undo has to put back: applied (or only intended, when the write's final record was lost but the
 * intended after is known: restore checks the resource against it), not yet undone. Each restored step is recorded
 * `undone` at once, so a retry of a partly failed undo continues where it stopped.
 */
function pending(records: AuditRecord[]): { todo: AuditRecord[]; undone: number; written: number } {
  const latest = latestAuditRecords(records);
  const undone = new Set(latest.filter((r) => r.status === 'undone').map((r) => r.stepId));
  const written = latest.filter((r) => r.status === 'applied' || (r.status === 'intended' && r.after !== undefined));
  return {
    todo: undoOrder(written.filter((r) => !undone.has(r.stepId))),
    undone: undone.size,
    written: written.length,
  };
}

/**
 * Puts back the recorded "before" of every applied step of a remediation, gates first, then newest first, but
 * only when every step's resource still matches the recorded "after": if anyone changed it since, undo refuses
 * whole and shows the difference, rather than overwrite their change. Stops at the first step that fails (the
 * steps after it may depend on it); a retry continues from there. With `check`, reads only.
 */
/** The UndoResult builder for one remediation: its id, no steps unless given. */
function outcomeOf(remediationId: string) {
  return (status: UndoResult['status'], reason: string, extra: Partial<UndoResult> = {}): UndoResult => ({
    remediationId,
    status,
    reason,
    steps: [],
    ...extra,
  });
}

export async function undo(
  remediationId: string,
  store: AuditStore,
  ports: EnginePorts,
  who: { reason: string; actor?: string; claimedBy?: string },
  opts: { check?: boolean } = {},
): Promise<UndoResult> {
  const records = await store.byRemediation(remediationId);
  const result = outcomeOf(remediationId);
  const { todo, undone, written } = pending(records);
  if (written === 0) return result('not-found', `no applied steps recorded for ${remediationId}`);
  if (todo.length === 0) return result('already-undone', `${remediationId} was already undone`);
  if (!ports.adapter.restore) return result('failed', `the ${ports.adapter.cloud} adapter cannot undo`);
  const work = () => restoreAll(remediationId, todo, undone, store, ports, who, opts.check === true);
  if (!ports.leases) return work();
  const run = await withLease(ports.leases, resourceLeaseKey(todo[0]!.resource), work, {
    ...(ports.clock ? { now: () => ports.clock!.now() } : {}),
    ...ports.leaseOptions,
  });
  if (run.status === 'busy')
    return result('failed', `another instance is working on ${todo[0]!.resource.id}; retry the undo`, {
      transient: true,
    });
  return run.value;
}

async function restoreAll(
  remediationId: string,
  todo: AuditRecord[],
  alreadyUndone: number,
  store: AuditStore,
  ports: EnginePorts,
  who: { reason: string; actor?: string; claimedBy?: string },
  check: boolean,
): Promise<UndoResult> {
  const clock = ports.clock ?? systemClock;
  const restore = ports.adapter.restore!.bind(ports.adapter);
  const result = outcomeOf(remediationId);
  const checks = await Promise.all(
    todo.map((r) => restore(r, { check: true }).catch((err: unknown) => ({ status: 'failed' as const, err }))),
  );
  const differences = checks.flatMap((c) => (c.status === 'refused' ? c.differences : []));
  const broken = checks.find((c) => c.status === 'failed');
  if (broken && 'err' in broken)
    return result('failed', `could not read the current state: ${errorMessage(broken.err)}`, {
      transient: ports.adapter.isTransient(broken.err),
    });
  const checked = todo.map((r, i) => ({
    stepId: r.stepId,
    status: checks[i]?.status === 'refused' ? ('refused' as const) : ('restored' as const),
  }));
  if (differences.length > 0) {
    return result('refused', 'the resource changed since Reflex fixed it; nothing was undone', {
      differences,
      steps: checked,
    });
  }
  if (check)
    return result('undone', `would restore the recorded before of ${todo.length} step(s); nothing changed`, {
      steps: checked,
    });

  const steps: UndoResult['steps'] = [];
  for (const r of todo) {
    let error: unknown;
    try {
      const done = await restore(r, { check: false });
      if (done.status === 'refused') {
        steps.push({ stepId: r.stepId, status: 'refused', error: done.differences.join('; ') });
        break;
      }
      steps.push({ stepId: r.stepId, status: 'restored' });
      await store.record(undoneRecord(r, clock.now(), who, done.requestIds));
      continue;
    } catch (err) {
      error = err;
    }
    // A restore, or the record of it, failed: stop here; a retry re-checks and continues (a restore whose record
    // was lost finds the before already there and only records it).
    const last = steps.at(-1);
    if (last?.stepId === r.stepId) last.error = `restored, but recording it failed: ${errorMessage(error)}`;
    else steps.push({ stepId: r.stepId, status: 'failed', error: errorMessage(error) });
    return result('failed', `${r.stepId}: ${errorMessage(error)}; retry the undo to continue from this step`, {
      steps,
      transient: ports.adapter.isTransient(error),
    });
  }
  const failed = steps.filter((s) => s.status !== 'restored');
  const total = alreadyUndone + steps.length;
  return failed.length === 0
    ? result('undone', `restored the recorded before of ${total} step(s)`, { steps })
    : result('failed', failed.map((s) => `${s.stepId}: ${s.error}`).join('; '), { steps });
}

function undoneRecord(
  r: AuditRecord,
  at: Date,
  who: { reason: string; actor?: string; claimedBy?: string },
  requestIds: string[],
): AuditRecord {
  // The undo's own who, never the fix's: an undo without a verified caller must not inherit the fix's actor.
  const { actor: _actor, claimedBy: _claimed, ...kept } = r.correlation;
  return {
    ...r,
    at: at.toISOString(),
    status: 'undone',
    before: r.after,
    after: r.before,
    correlation: {
      ...kept,
      source: 'manual',
      requestIds,
      reason: who.reason,
      ...(who.actor ? { actor: who.actor } : {}),
      ...(who.claimedBy ? { claimedBy: who.claimedBy } : {}),
    },
  };
}
