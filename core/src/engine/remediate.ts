import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.js';
import { acquireBlastRadius } from '../guardrails/blastRadius.js';
import { type TagExemption, tagExemption } from '../guardrails/exemption.js';
import { isLeaseBusy, withLease } from '../guardrails/lease.js';
import {
  type AuditRecord,
  type CallDescription,
  type Finding,
  type Outcome,
  type Posture,
  postureKindOf,
  type Report,
  type RuleName,
  type Step,
  type StepOutcome,
  type Target,
} from '../model/index.js';
import { allowListEntry, isOwnIdentity, ruleMode } from '../policy/resolve.js';
import type { Policy } from '../policy/schema.js';
import { RULES, rulesFor } from '../rules/index.js';
import type { Rule } from '../rules/types.js';
import { buildTicket, dedupeKey } from '../tickets/ticket.js';
import { mapLimit } from './concurrency.js';
import { type EnginePorts, type StepSettlement, systemClock } from './ports.js';
import { summarizeFix } from './summary.js';

interface Decided {
  rule: Rule;
  finding: Finding;
  remediationId: string;
  steps: Step[];
  notes: string[];
}

/**
 * Read → rules → guardrails → plan → enforce (apply, re-read, verify) or dry-run (ticket).
 * Never throws for a cloud failure: it returns `failed` outcomes, marked `transient` where a retry may help.
 */
export async function remediate(target: Target, policy: Policy, ports: EnginePorts): Promise<Outcome[]> {
  const clock = ports.clock ?? systemClock;
  const started = performance.now();
  const { ref, trigger } = target;
  const base = { resource: ref, trigger };
  const done = (outcomes: Outcome[]) => {
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    return outcomes.map((o) => ({ ...o, durationMs }));
  };

  // Loop guard: our own changes raise the same events as anyone's.
  const actorIds = [...(trigger.actorIds ?? []), ...(trigger.actor ? [trigger.actor] : [])];
  if (actorIds.length > 0 && isOwnIdentity(policy, actorIds)) {
    return done([
      { ...base, status: 'ignored', reason: `change made by Reflex's own identity (${trigger.actor ?? actorIds[0]})` },
    ]);
  }

  // No enabled rule for this kind of resource: nothing to decide, so nothing to read (and no read permission needed).
  const kind = postureKindOf(ref.type);
  const enabled = RULES.filter(
    (r) =>
      r.appliesTo === kind && ruleMode(policy, r.name) !== 'off' && (!target.rules || target.rules.includes(r.name)),
  );
  if (kind && enabled.length === 0) {
    return done([{ ...base, status: 'ignored', reason: `every rule for ${ref.type} is off in the policy` }]);
  }

  // A sweep's bulk read: nothing there to act on means nothing to read again. A finding is acted on only after a
  // fresh read, below: the bulk read may be minutes old, and a rule fixed since must not be touched.
  if (
    target.screen &&
    !enabled.some((r) => !allowListEntry(policy, ref, r.name) && r.evaluate(target.screen!, policy))
  ) {
    const outcomes = enabled.map((rule): Outcome => {
      const allowed = allowListEntry(policy, ref, rule.name);
      return allowed
        ? { ...base, rule: rule.name, status: 'exempt', reason: allowListReason(allowed) }
        : { ...base, rule: rule.name, status: 'compliant', reason: 'no finding (bulk read)' };
    });
    await resolveTickets(outcomes, ports);
    return done(outcomes);
  }

  // Whatever may write holds the resource's lease across containers from its read to its verify: N concurrent
  // events on one resource converge to one fix (the others read the fixed state after it), no write is lost.
  const enforcing = !trigger.dryRun && enabled.some((r) => ruleMode(policy, r.name) === 'enforce');
  const scope = kind ? { rules: enabled.map((r) => r.name) } : undefined;
  if (!enforcing || !ports.leases) return done(await judge(target, policy, ports, scope));
  const run = await withLease(ports.leases, resourceLeaseKey(ref), () => judge(target, policy, ports, scope), {
    now: () => clock.now(),
    ...ports.leaseOptions,
  });
  if (run.status === 'busy') {
    return done([
      {
        ...base,
        status: 'failed',
        reason: `another instance kept working on ${ref.id} for ${Math.round(run.waitedMs / 1000)} s; retry the event`,
        transient: true,
      },
    ]);
  }
  if (run.status === 'unleased') {
    stateStoreDown(ports, 'lease', run.error);
    return done(
      run.value.map((o) => ({
        ...o,
        notes: [...(o.notes ?? []), `worked without a lease (the lease store failed: ${run.error})`],
      })),
    );
  }
  return done(run.value);
}

/** The lease key of a resource: the same on every container. */
export function resourceLeaseKey(ref: { cloud: string; id: string }): string {
  return `resource#${ref.cloud}#${ref.id}`;
}

/** A state store (ledger, leases) that failed: work goes on without it, and the alarm says so. */
function stateStoreDown(ports: EnginePorts, store: string, error: string): void {
  ports.onAlarm?.({
    kind: 'state-store',
    scope: store,
    count: 0,
    limit: 0,
    message: `the ${store} store failed (${error}); working without it`,
  });
}

/** Read → rules → guardrails → enforce or ticket; under the resource's lease when the engine holds one. */
async function judge(
  target: Target,
  policy: Policy,
  ports: EnginePorts,
  scope: { rules: RuleName[] } | undefined,
): Promise<Outcome[]> {
  const clock = ports.clock ?? systemClock;
  const { ref, trigger } = target;
  const base = { resource: ref, trigger };
  // Read what the enabled rules look at, no more: an event names the rules its call can affect (target.rules).
  let posture: Posture | null;
  try {
    posture = await ports.adapter.read(ref, scope);
  } catch (err) {
    return [
      {
        ...base,
        status: 'failed',
        reason: `could not read ${ref.id}: ${errorMessage(err)}`,
        transient: ports.adapter.isTransient(err),
      },
    ];
  }
  if (!posture) return [{ ...base, status: 'ignored', reason: `${ref.id} does not exist (any more)` }];

  const now = clock.now();
  const outcomes: Outcome[] = [];
  const toTicket: (Decided & { reason: string })[] = [];
  const toEnforce: Decided[] = [];
  const toExempt: (Decided & { reason: string; exemption: TagExemption })[] = [];

  for (const rule of rulesFor(posture)) {
    if (target.rules && !target.rules.includes(rule.name)) continue;
    const mode = ruleMode(policy, rule.name);
    if (mode === 'off') continue;
    const allowed = allowListEntry(policy, ref, rule.name);
    if (allowed) {
      outcomes.push({
        ...base,
        rule: rule.name,
        status: 'exempt',
        reason: allowListReason(allowed),
      });
      continue;
    }
    const finding = rule.evaluate(posture, policy);
    if (!finding) {
      outcomes.push({ ...base, rule: rule.name, status: 'compliant', reason: 'no finding' });
      continue;
    }
    const notes: string[] = [];
    const ex = tagExemption(posture.tags, policy.exemptions, rule.name, now, trigger);
    if (ex.state === 'expired')
      notes.push(`exemption expired ${ex.exemption.until.toISOString()} (${ex.exemption.reason}); ignored`);
    if (ex.state === 'malformed') notes.push(`exemption ignored: ${ex.problem}`);
    if (ex.state === 'refused') notes.push(ex.problem);

    const remediationId = `rem-${now.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;
    const steps = finding.fixes.map((fix, i) => ({
      id: `${remediationId}.${i + 1}`,
      rule: rule.name,
      fix,
      summary: summarizeFix(fix),
      calls: [] as CallDescription[],
    }));
    const decided = { rule, finding, remediationId, steps, notes };
    if (ex.state === 'active') {
      // A tag anyone with tag-write access can set: reported and ticketed like the finding it hides, never silent.
      const r = ex.record;
      const reason = `exempted by tag ${r.tag} until ${r.until}: ${r.reason}${r.setBy ? ` (set by ${r.setBy})` : ''}`;
      toExempt.push({ ...decided, reason, exemption: r });
      continue;
    }

    let why: string | undefined;
    if (steps.length === 0) why = 'no safe automatic fix: a human must act';
    else if (trigger.dryRun) why = 'dry-run requested';
    else if (mode === 'dry-run')
      why = policy.killSwitch
        ? 'kill switch is on: every rule runs in dry-run'
        : `rule ${rule.name} is in dry-run mode`;
    else {
      const scope = `${ref.cloud}:${ref.account}`;
      const windowMs = policy.blastRadius.windowMinutes * 60_000;
      const gate = await acquireBlastRadius(ports.blastRadius, scope, now, windowMs, policy.blastRadius.limit);
      if (gate.storeDown !== undefined) {
        notes.push(`blast radius counted in this instance only: its store failed (${errorMessage(gate.storeDown)})`);
        ports.onAlarm?.({
          kind: 'blast-radius',
          scope,
          count: gate.count,
          limit: policy.blastRadius.limit,
          message: `the blast-radius store failed (${errorMessage(gate.storeDown)}); counting per instance meanwhile`,
        });
      }
      if (!gate.allowed) {
        why = `blast radius: ${policy.blastRadius.limit} enforced fixes in ${policy.blastRadius.windowMinutes} min reached for ${scope}; ticketed instead`;
        ports.onAlarm?.({
          kind: 'blast-radius',
          scope,
          count: gate.count,
          limit: policy.blastRadius.limit,
          message: why,
        });
      }
    }
    if (why) toTicket.push({ ...decided, reason: why });
    else toEnforce.push(decided);
  }

  // Described once the whole plan is known: a command may write a document other rules' fixes write too.
  // An exempt finding's ticket shows its fix as it would be made beside the others.
  const plan = [...toTicket, ...toEnforce, ...toExempt].flatMap((d) => d.steps);
  for (const step of plan)
    step.calls = ports.adapter.describe(
      step.fix,
      posture,
      plan.map((s) => s.fix),
    );

  const [ticketed, { outcomes: enforced, after }, exempted] = await Promise.all([
    Promise.all(toTicket.map((d) => fileTicket(d, target, policy, ports, now))),
    enforce(
      toEnforce,
      posture,
      target,
      policy,
      ports,
      outcomes.flatMap((o) => (o.status === 'compliant' && o.rule ? [o.rule] : [])),
    ),
    Promise.all(
      toExempt.map(async (d): Promise<Outcome> => {
        const o = await fileTicket(d, target, policy, ports, now);
        const failed = o.status === 'failed' ? [o.reason.slice(d.reason.length + 2)] : [];
        return {
          ...o,
          status: 'exempt',
          reason: d.reason,
          exemption: d.exemption,
          notes: [...(o.notes ?? []), ...failed],
        };
      }),
    ),
  ]);
  // Verify every rule that reads what was written, not only the ones fixed: a rule compliant before the write and
  // not after it means the write lost someone's change (or this one's); a retry re-reads and puts it right.
  const verified = after
    ? outcomes.map((o): Outcome => {
        const rule = o.status === 'compliant' && o.rule ? RULES.find((r) => r.name === o.rule) : undefined;
        const now = rule?.evaluate(after, policy);
        return now
          ? {
              ...o,
              status: 'failed',
              finding: now,
              reason: `compliant before the write, not after it: ${now.evidence.join('; ')}`,
              transient: true,
            }
          : o;
      })
    : outcomes;
  const all = [...verified, ...ticketed, ...enforced, ...exempted];
  await resolveTickets(all, ports);
  return all;
}

function allowListReason(allowed: { match: string; reason?: string }): string {
  return `allow-listed in policy (${allowed.match})${allowed.reason ? `: ${allowed.reason}` : ''}`;
}

/**
 * A finding that is gone (fixed by Reflex, or compliant because someone else fixed it) closes its open
 * ticket. A ticket system that fails here only adds a note: it never changes what was done.
 */
async function resolveTickets(outcomes: Outcome[], ports: EnginePorts): Promise<void> {
  const sink = ports.tickets;
  if (!sink.resolve) return;
  await Promise.all(
    outcomes.map(async (o) => {
      if (!o.rule || (o.status !== 'fixed' && o.status !== 'compliant')) return;
      const note =
        o.status === 'fixed'
          ? `Fixed by Reflex: ${o.reason.replace(/^fixed: /, '')}`
          : 'No longer found: fixed outside Reflex.';
      try {
        const closed = await sink.resolve!(dedupeKey(o.resource, o.rule), note);
        if (closed) o.notes = [...(o.notes ?? []), closed.ref ? `ticket ${closed.ref} resolved` : 'ticket resolved'];
      } catch (err) {
        o.notes = [...(o.notes ?? []), `could not resolve the ticket: ${errorMessage(err)}`];
      }
    }),
  );
}

async function fileTicket(
  d: Decided & { reason: string },
  target: Target,
  policy: Policy,
  ports: EnginePorts,
  now: Date,
): Promise<Outcome> {
  const ticket = buildTicket({
    finding: d.finding,
    steps: d.steps,
    trigger: target.trigger,
    reason: d.reason,
    exemptionTag: policy.exemptions.tag,
    now,
  });
  const base = {
    resource: target.ref,
    trigger: target.trigger,
    rule: d.rule.name,
    finding: d.finding,
    remediationId: d.remediationId,
    steps: d.steps.map((step): StepOutcome => ({ step, status: 'planned' })),
    ...(d.notes.length ? { notes: d.notes } : {}),
  };
  try {
    const { ref, errors = {} } = await ports.tickets.file(ticket);
    // Some ticket systems failed while others took it: the finding is still tracked; say which did not.
    const failed = Object.entries(errors).map(([sink, error]) => `ticket not filed in ${sink}: ${error}`);
    return {
      ...base,
      ...(failed.length ? { notes: [...(base.notes ?? []), ...failed] } : {}),
      status: 'ticketed',
      reason: d.reason,
      ticket: { dedupeKey: ticket.dedupeKey, ...(ref ? { ref } : {}) },
    };
  } catch (err) {
    return {
      ...base,
      status: 'failed',
      reason: `${d.reason}; filing the ticket failed: ${errorMessage(err)}`,
      ticket: { dedupeKey: ticket.dedupeKey },
    };
  }
}

/** The step was not applied: its write-ahead audit record could not be written. Worth a retry. */
class AuditWriteAheadError extends Error {
  override readonly name = 'AuditWriteAheadError';
}

/**
 * Applies every enforced step in one batch, then re-reads once and verifies each finding. Write-ahead audit: each
 * step's record (its before and intended after, status `intended`) is written before the step is applied, and
 * marked `applied` or `failed` after; a step whose record cannot be written is not applied.
 */
async function enforce(
  decided: Decided[],
  posture: Posture,
  target: Target,
  policy: Policy,
  ports: EnginePorts,
  alsoVerify: RuleName[],
): Promise<{ outcomes: Outcome[]; after: Posture | null }> {
  if (decided.length === 0) return { outcomes: [], after: null };
  const clock = ports.clock ?? systemClock;
  const ruleOf = new Map(decided.flatMap((d) => d.steps.map((s) => [s.id, d] as const)));
  const auditNotes = new Map<string, string>();
  const recordOf = (step: Step, status: AuditRecord['status'], extra: Partial<AuditRecord>): AuditRecord => {
    const d = ruleOf.get(step.id)!;
    return {
      remediationId: d.remediationId,
      stepId: step.id,
      at: clock.now().toISOString(),
      resource: target.ref,
      rule: d.rule.name,
      fix: step.fix,
      mode: target.trigger.source === 'manual' ? 'manual' : 'enforce',
      status,
      before: undefined,
      after: undefined,
      correlation: {
        eventId: target.trigger.eventId,
        source: target.trigger.source,
        requestIds: [],
        ...(target.trigger.actor ? { actor: target.trigger.actor } : {}),
        ...(target.trigger.reason ? { reason: target.trigger.reason } : {}),
      },
      ...extra,
    };
  };

  const steps = decided.flatMap((d) => d.steps);
  const intents = await Promise.all(
    steps.map(async (step) => {
      let preview: { before: unknown; after: unknown } | undefined;
      try {
        preview = ports.adapter.preview?.(step, posture);
      } catch {
        preview = undefined;
      }
      const intended = recordOf(step, 'intended', preview ?? {});
      try {
        await ports.audit.record(intended);
        return { ok: true as const, intended };
      } catch (err) {
        return {
          ok: false as const,
          error: new AuditWriteAheadError(`audit write-ahead failed: ${errorMessage(err)}`),
        };
      }
    }),
  );
  const writable = steps.filter((_, i) => intents[i]!.ok);
  let settled: Awaited<ReturnType<typeof ports.adapter.apply>> = [];
  if (writable.length > 0) {
    try {
      settled = await ports.adapter.apply(writable, posture);
    } catch (err) {
      settled = writable.map(() => ({ ok: false as const, error: err }));
    }
  }
  const byStep = new Map<string, StepSettlement>(
    writable.map((s, i) => [s.id, settled[i] ?? { ok: false as const, error: new Error('no result from adapter') }]),
  );
  steps.forEach((s, i) => {
    const intent = intents[i]!;
    if (!intent.ok) byStep.set(s.id, { ok: false, error: intent.error });
  });

  // Mark each written step applied or failed. A mark that cannot be written leaves the step `intended`, with its
  // before and intended after: the outcome says so, and undo still finds it.
  await Promise.all(
    writable.map(async (step) => {
      const s = byStep.get(step.id)!;
      const mark = recordOf(
        step,
        s.ok ? 'applied' : 'failed',
        s.ok
          ? {
              before: s.result.before,
              after: s.result.after,
              correlation: { ...recordOf(step, 'applied', {}).correlation, requestIds: s.result.requestIds },
            }
          : { error: errorMessage(s.error) },
      );
      try {
        await ports.audit.record(mark);
      } catch (err) {
        auditNotes.set(
          step.id,
          `the audit record of ${step.id} stays "intended": marking it ${mark.status} failed (${errorMessage(err)})`,
        );
      }
    }),
  );

  // Verify on a fresh read: `fixed` only if the rule no longer fires.
  let after: Posture | null = null;
  let verifyError: unknown;
  const applied = steps.filter((s) => byStep.get(s.id)?.ok);
  if (applied.length > 0) {
    try {
      after = ports.adapter.reread
        ? await ports.adapter.reread(target.ref, posture, applied)
        : await ports.adapter.read(target.ref, { rules: [...decided.map((d) => d.rule.name), ...alsoVerify] });
    } catch (err) {
      verifyError = err;
    }
  }
  const transientOf = (err: unknown) =>
    err instanceof AuditWriteAheadError || isLeaseBusy(err) || ports.adapter.isTransient(err);

  const outcomes = decided.map((d): Outcome => {
    const stepOutcomes = d.steps.map((step): StepOutcome => {
      const s = byStep.get(step.id)!;
      return s.ok
        ? { step, status: 'applied', result: s.result }
        : { step, status: 'failed', error: errorMessage(s.error), transient: transientOf(s.error) };
    });
    const notes = [...d.notes, ...d.steps.flatMap((s) => auditNotes.get(s.id) ?? [])];
    const base = {
      resource: target.ref,
      trigger: target.trigger,
      rule: d.rule.name,
      finding: d.finding,
      remediationId: d.remediationId,
      steps: stepOutcomes,
      ...(notes.length ? { notes } : {}),
    };
    const failed = stepOutcomes.filter((s) => s.status === 'failed');
    if (failed.length > 0) {
      return {
        ...base,
        status: 'failed',
        reason: failed.map((f) => `${f.step.summary}: ${f.error}`).join('; '),
        transient: failed.some((f) => f.transient),
      };
    }
    if (!after) {
      return {
        ...base,
        status: 'failed',
        reason: `applied, but the verifying read failed: ${verifyError ? errorMessage(verifyError) : 'resource gone'}`,
        transient: verifyError !== undefined && ports.adapter.isTransient(verifyError),
      };
    }
    const still = d.rule.evaluate(after, policy);
    return still
      ? {
          ...base,
          status: 'failed',
          reason: `applied, but the verifying read still shows: ${still.evidence.join('; ')}`,
        }
      : { ...base, status: 'fixed', reason: `fixed: ${d.steps.map((s) => s.summary).join('; ')}` };
  });
  return { outcomes, after };
}

export interface HandleOptions {
  /** Targets handled at once. Default 8. */
  concurrency?: number;
  /**
   * Extra rounds for targets that failed transiently. The SDKs retry each call, but under sustained throttling
   * their retry quota runs dry by design; a later round at half the concurrency lets the cloud recover.
   * Default 2.
   */
  retryRounds?: number;
  /** Pause before round n is n × this. Default 1000 ms. */
  retryPauseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Handles the targets of one event (or sweep). Claim-first: the event id is claimed in the ledger before anything
 * is read, so a duplicate delivery (here or in another container) does nothing; the claim is completed when
 * nothing failed transiently, and released otherwise, so the platform's retry gets another chance. A ledger that
 * fails is skipped (logged through the alarm port): it saves work, correctness does not depend on it.
 */
export async function handleTargets(
  eventId: string,
  targets: Target[],
  policy: Policy,
  ports: EnginePorts,
  options: number | HandleOptions = {},
): Promise<Report> {
  const opts = typeof options === 'number' ? { concurrency: options } : options;
  const clock = ports.clock ?? systemClock;
  const ledger = ports.ledger;
  let claimed = false;
  if (ledger) {
    try {
      const claim = await ledger.claim(eventId, clock.now());
      if (claim !== 'claimed') {
        return {
          outcomes: targets.map((t) => ({
            resource: t.ref,
            trigger: t.trigger,
            status: 'ignored',
            reason:
              claim === 'handled'
                ? `event ${eventId} was already handled`
                : `event ${eventId} is being handled by another delivery`,
          })),
        };
      }
      claimed = true;
    } catch (err) {
      stateStoreDown(ports, 'event ledger', errorMessage(err));
    }
  }
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let concurrency = opts.concurrency ?? 8;
  let outcomes: Outcome[];
  try {
    const results = await mapLimit(targets, concurrency, (t) => remediate(t, policy, ports));
    for (let round = 1; round <= (opts.retryRounds ?? 2); round++) {
      const again = results.flatMap((outcomes, i) => (outcomes.some((o) => o.transient) ? [i] : []));
      if (again.length === 0) break;
      concurrency = Math.max(1, Math.floor(concurrency / 2));
      await sleep(round * (opts.retryPauseMs ?? 1000));
      const retried = await mapLimit(again, concurrency, (i) => remediate(targets[i]!, policy, ports));
      again.forEach((i, k) => {
        results[i] = retried[k]!.map((o) => ({
          ...o,
          notes: [...(o.notes ?? []), `retried in round ${round + 1} after a transient failure`],
        }));
      });
    }
    outcomes = results.flat();
  } catch (err) {
    if (claimed) await ledger!.release(eventId).catch(() => undefined);
    throw err;
  }
  if (claimed) {
    const transient = outcomes.some((o) => o.transient);
    try {
      if (transient) await ledger!.release(eventId);
      else await ledger!.remember(eventId, clock.now());
    } catch (err) {
      stateStoreDown(ports, 'event ledger', errorMessage(err));
    }
  }
  return { outcomes };
}
