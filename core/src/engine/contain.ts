import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.js';
import { withLease } from '../guardrails/lease.js';
import type { AuditRecord, Outcome, Target } from '../model/index.js';
import { type EnginePorts, systemClock } from './ports.js';
import { resourceLeaseKey } from './remediate.js';
import { summarizeFix } from './summary.js';

/**
 * A responder's containment of one resource (isolate an instance, lock down a bucket or storage account,
 * shut a group or NSG). Always manual, always with a reason, always audited with its "before" so undo works.
 * What "isolate" means per resource type is the adapter's; the adapter verifies with a re-read in `apply`.
 */
export async function contain(
  target: Target,
  ports: EnginePorts,
  opts: { quarantineGroup?: string } = {},
): Promise<Outcome> {
  if (!ports.leases || target.trigger.dryRun || !target.trigger.reason) return containNow(target, ports, opts);
  const run = await withLease(ports.leases, resourceLeaseKey(target.ref), () => containNow(target, ports, opts), {
    ...(ports.clock ? { now: () => ports.clock!.now() } : {}),
    ...ports.leaseOptions,
  });
  if (run.status === 'busy')
    return {
      resource: target.ref,
      trigger: target.trigger,
      status: 'failed',
      reason: `another instance is working on ${target.ref.id}; retry the containment`,
      transient: true,
    };
  return run.value;
}

/** Read, write ahead, isolate, record. */
async function containNow(target: Target, ports: EnginePorts, opts: { quarantineGroup?: string }): Promise<Outcome> {
  const clock = ports.clock ?? systemClock;
  const { ref, trigger } = target;
  const base = { resource: ref, trigger, rule: undefined };
  if (!trigger.reason) return { ...base, status: 'failed', reason: 'containment needs a reason' };
  let posture: Awaited<ReturnType<typeof ports.adapter.read>>;
  try {
    posture = await ports.adapter.read(ref);
  } catch (err) {
    return {
      ...base,
      status: 'failed',
      reason: `could not read ${ref.id}: ${errorMessage(err)}`,
      transient: ports.adapter.isTransient(err),
    };
  }
  if (!posture) return { ...base, status: 'ignored', reason: `${ref.id} does not exist` };

  const remediationId = `con-${clock.now().getTime().toString(36)}-${randomUUID().slice(0, 8)}`;
  const fix = { type: 'isolate' as const, ...(opts.quarantineGroup ? { quarantineGroup: opts.quarantineGroup } : {}) };
  let calls: ReturnType<typeof ports.adapter.describe>;
  try {
    calls = ports.adapter.describe(fix, posture);
  } catch (err) {
    return { ...base, status: 'failed', reason: errorMessage(err) };
  }
  const step = { id: `${remediationId}.1`, rule: 'contain' as const, fix, summary: summarizeFix(fix), calls };
  if (trigger.dryRun) {
    return {
      ...base,
      status: 'ticketed',
      reason: 'dry-run requested: containment planned, nothing changed',
      remediationId,
      steps: [{ step, status: 'planned' }],
    };
  }
  const record = (status: AuditRecord['status'], extra: Partial<AuditRecord>): AuditRecord => ({
    remediationId,
    stepId: step.id,
    at: clock.now().toISOString(),
    resource: ref,
    rule: 'contain',
    fix,
    mode: 'manual',
    status,
    before: undefined,
    after: undefined,
    correlation: {
      eventId: trigger.eventId,
      source: 'manual',
      requestIds: [],
      reason: trigger.reason,
      ...(trigger.actor ? { actor: trigger.actor } : {}),
      ...(trigger.claimedBy ? { claimedBy: trigger.claimedBy } : {}),
    },
    ...extra,
  });
  // Write-ahead: no record of the before, no write.
  let preview: { before: unknown; after: unknown } | undefined;
  try {
    preview = ports.adapter.preview?.(step, posture);
  } catch {
    preview = undefined;
  }
  try {
    await ports.audit.record(record('intended', preview ?? {}));
  } catch (err) {
    const error = `audit write-ahead failed: ${errorMessage(err)}`;
    return {
      ...base,
      status: 'failed',
      reason: `containment not attempted: ${error}`,
      remediationId,
      steps: [{ step, status: 'failed', error, transient: true }],
      transient: true,
    };
  }
  let settled: Awaited<ReturnType<typeof ports.adapter.apply>>[number] | undefined;
  try {
    [settled] = await ports.adapter.apply([step], posture);
  } catch (err) {
    settled = { ok: false, error: err };
  }
  const ok = settled?.ok === true;
  const notes: string[] = [];
  try {
    await ports.audit.record(
      record(ok ? 'applied' : 'failed', {
        before: settled?.ok ? settled.result.before : undefined,
        after: settled?.ok ? settled.result.after : undefined,
        ...(settled && !settled.ok ? { error: errorMessage(settled.error) } : {}),
        correlation: {
          ...record('applied', {}).correlation,
          requestIds: settled?.ok ? settled.result.requestIds : [],
        },
      }),
    );
  } catch (err) {
    notes.push(`the audit record of ${step.id} stays "intended": marking it failed (${errorMessage(err)})`);
  }
  if (!settled?.ok) {
    const error = settled ? settled.error : new Error('no result from adapter');
    return {
      ...base,
      status: 'failed',
      reason: `containment failed: ${errorMessage(error)}`,
      remediationId,
      steps: [{ step, status: 'failed', error: errorMessage(error), transient: ports.adapter.isTransient(error) }],
    };
  }
  return {
    ...base,
    status: 'fixed',
    reason: `contained: ${step.summary}`,
    remediationId,
    ...(notes.length ? { notes } : {}),
    steps: [{ step, status: 'applied', result: settled.result }],
  };
}
