import type { AuditStore } from '../audit/sinks.js';
import { errorMessage } from '../errors.js';
import type { AuditRecord } from '../model/index.js';
import { type EnginePorts, systemClock } from './ports.js';

export interface UndoResult {
  remediationId: string;
  status: 'undone' | 'refused' | 'not-found' | 'already-undone' | 'failed';
  reason: string;
  /** Where the resource no longer matches what Reflex wrote: why undo refused. */
  differences?: string[];
  steps: { stepId: string; status: 'restored' | 'refused' | 'failed'; error?: string }[];
}

/**
 * Puts back the recorded "before" of every applied step of a remediation, newest first, but only when
 * every step's resource still matches the recorded "after": if anyone changed it since, undo refuses
 * whole and shows the difference, rather than overwrite their change.
 */
export async function undo(
  remediationId: string,
  store: AuditStore,
  ports: EnginePorts,
  who: { reason: string; actor?: string; claimedBy?: string },
): Promise<UndoResult> {
  const clock = ports.clock ?? systemClock;
  const restore = ports.adapter.restore?.bind(ports.adapter);
  const records = await store.byRemediation(remediationId);
  const applied = records.filter((r) => r.status === 'applied').reverse();
  const result = (status: UndoResult['status'], reason: string, extra: Partial<UndoResult> = {}): UndoResult => ({
    remediationId,
    status,
    reason,
    steps: [],
    ...extra,
  });
  if (applied.length === 0) return result('not-found', `no applied steps recorded for ${remediationId}`);
  if (records.some((r) => r.status === 'undone'))
    return result('already-undone', `${remediationId} was already undone`);
  if (!restore) return result('failed', `the ${ports.adapter.cloud} adapter cannot undo`);

  const checks = await Promise.all(
    applied.map((r) => restore(r, { check: true }).catch((err: unknown) => ({ status: 'failed' as const, err }))),
  );
  const differences = checks.flatMap((c) => (c.status === 'refused' ? c.differences : []));
  const broken = checks.find((c) => c.status === 'failed');
  if (broken && 'err' in broken)
    return result('failed', `could not read the current state: ${errorMessage(broken.err)}`);
  if (differences.length > 0) {
    return result('refused', 'the resource changed since Reflex fixed it; nothing was undone', {
      differences,
      steps: applied.map((r, i) => ({
        stepId: r.stepId,
        status: checks[i]?.status === 'refused' ? 'refused' : 'restored',
      })),
    });
  }

  const steps: UndoResult['steps'] = [];
  for (const r of applied) {
    try {
      const done = await restore(r, { check: false });
      if (done.status === 'refused')
        steps.push({ stepId: r.stepId, status: 'refused', error: done.differences.join('; ') });
      else {
        steps.push({ stepId: r.stepId, status: 'restored' });
        await store.record(undoneRecord(r, clock.now(), who, done.requestIds));
      }
    } catch (err) {
      steps.push({ stepId: r.stepId, status: 'failed', error: errorMessage(err) });
    }
  }
  const failed = steps.filter((s) => s.status !== 'restored');
  return failed.length === 0
    ? result('undone', `restored the recorded before of ${steps.length} step(s)`, { steps })
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
