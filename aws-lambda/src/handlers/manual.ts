import { randomUUID } from 'node:crypto';
import {
  type AuditRecord,
  awsRefs,
  contain,
  errorMessage,
  handleTargets,
  type ManualRequest,
  type Outcome,
  PolicyError,
  parseManualRequest,
  ReflexError,
  type Report,
  type ResourceRef,
  refFromArn,
  type Trigger,
  type UndoResult,
  undo,
} from '@reflex/core';
import { defaultRegion } from '../clients.js';
import { isTransient } from '../errors.js';
import { sweepTargets } from '../sweep.js';
import {
  accountOf,
  type Bot,
  type BotDeps,
  createBot,
  finish,
  type InvocationContext,
  invalidPolicyReport,
  sweepOptions,
  TransientFailure,
} from './bot.js';

/** What the manual handler answers: the report, and for `undo` the engine's own result (steps, differences). */
export type ManualReport = Report & { undo?: UndoResult };

/**
 * Direct invocation: `{ action, resource | remediationId, reason, dryRun?, requestedBy?, rules? }` with action
 * `remediate` | `sweep` | `contain` | `undo`. `contain` and `undo` need a reason; every manual action is logged with
 * who asked and why (`reflex.manual`), and contain/undo also land in the audit trail.
 */
export function createManualHandler(deps: BotDeps = {}) {
  const bot = createBot(deps);
  return async function handleManual(input: unknown, context?: InvocationContext): Promise<ManualReport> {
    const policy = bot.policy();
    if (policy instanceof PolicyError) return finish(bot, invalidPolicyReport(policy), 'invalid policy');
    await bot.prepare(policy);
    let request: ManualRequest;
    try {
      request = parseManualRequest(input);
    } catch (err) {
      const code = err instanceof ReflexError ? err.code : 'MalformedEvent';
      return finish(bot, { outcomes: [], errors: [{ code, message: errorMessage(err) }] }, 'invalid request');
    }
    const eventId = `manual-${context?.awsRequestId ?? randomUUID()}`;
    bot.begin(context, eventId);
    const account = accountOf(context, bot.account);
    const region = defaultRegion();
    const trigger: Trigger = {
      source: 'manual',
      eventId,
      eventName: request.action,
      ...(request.reason || request.requestedBy
        ? {
            reason: [request.reason, request.requestedBy && `requested by ${request.requestedBy}`]
              .filter(Boolean)
              .join('; '),
          }
        : {}),
      ...(request.dryRun ? { dryRun: true } : {}),
    };
    // Without the ledger: a person asked, so the request runs even if an identical one ran before.
    const ports = { ...bot.ports, ledger: undefined };

    let ref: ResourceRef | undefined;
    if (request.resource) {
      try {
        ref = refFromArn(request.resource, { account: request.account ?? account, region });
        if (request.account && ref.account !== request.account)
          throw new Error(`${request.resource} is in account ${ref.account}, not ${request.account}`);
      } catch (err) {
        return finish(
          bot,
          { outcomes: [], errors: [{ code: 'MalformedResourceId', message: errorMessage(err) }] },
          'invalid resource',
        );
      }
    }

    // A resource in another account: through its member role (REFLEX_MEMBER_ROLE_NAME), else refused unread.
    const refusal = ref ? bot.refusal(ref.account) : undefined;
    if (ref && refusal) {
      bot.logger.info('reflex.manual', manualLog(request, eventId, 'ignored'));
      return finish(bot, { outcomes: [{ status: 'ignored', resource: ref, trigger, reason: refusal }] }, 'manual');
    }
    const scoped = ref ? bot.policyFor(policy, [ref]) : policy;

    switch (request.action) {
      case 'remediate': {
        const target = { ref: ref!, trigger, ...(request.rules ? { rules: request.rules } : {}) };
        return finish(bot, await handleTargets(eventId, [target], scoped, ports, bot.concurrency), 'manual remediate');
      }
      case 'sweep': {
        const sweepAccount = ref?.account || request.account || account;
        const sweepRegion = ref?.region || region;
        if (!sweepAccount)
          return finish(
            bot,
            {
              outcomes: [],
              errors: [
                {
                  code: 'MissingAccount',
                  message: 'sweep needs the account: invoke through Lambda or name an account resource',
                },
              ],
            },
            'manual sweep',
          );
        try {
          const targets = await sweepTargets(bot.clients(sweepRegion, sweepAccount), sweepAccount, sweepRegion, {
            ...trigger,
            source: 'manual',
          });
          return finish(bot, await handleTargets(eventId, targets, scoped, ports, sweepOptions(bot)), 'manual sweep');
        } catch (err) {
          if (isTransient(err) && !(err instanceof TransientFailure))
            throw new TransientFailure(`sweep listing failed transiently: ${errorMessage(err)}`, { outcomes: [] });
          throw err;
        }
      }
      case 'contain': {
        const who = request.requestedBy;
        const target = {
          ref: ref!,
          trigger: { ...trigger, reason: request.reason!, ...(who ? { actor: who } : {}) },
        };
        const adapter = bot.adapter.withContainment({
          lockdownExceptions: lockdownExceptions(scoped.identities.aws, bot.env),
          containment: { reason: request.reason!, ...(who ? { actor: who } : {}) },
        });
        const outcome = await contain(target, { ...ports, adapter });
        bot.logger.info('reflex.manual', manualLog(request, eventId, outcome.status, outcome.remediationId));
        return finish(bot, { outcomes: [outcome] }, 'manual contain');
      }
      case 'undo':
        return undoAction(bot, request, trigger, ports, account, region, eventId);
    }
  };
}

function manualLog(request: ManualRequest, eventId: string, status: string, remediationId?: string) {
  return {
    action: request.action,
    eventId,
    requestedBy: request.requestedBy ?? 'unknown (direct invoke without requestedBy)',
    reason: request.reason,
    dryRun: request.dryRun === true,
    status,
    ...(request.resource ? { resource: request.resource } : {}),
    ...(remediationId ? { remediationId } : {}),
  };
}

/** Who keeps access to a locked-down bucket: the bot's identities (undo) and `REFLEX_BREAK_GLASS_ROLE_ARNS`. */
export function lockdownExceptions(own: readonly string[], env: Record<string, string | undefined>): string[] {
  const breakGlass = (env.REFLEX_BREAK_GLASS_ROLE_ARNS ?? '').split(/[\s,]+/).filter((a) => a.startsWith('arn:'));
  return [...own, ...breakGlass];
}

/**
 * Undo of a remediation or containment from the audit trail. Dry-run only checks (read-only) and says what would be
 * restored or why it would refuse. Without a readable audit store (REFLEX_AUDIT_TABLE) it says so and does nothing.
 */
async function undoAction(
  bot: Bot,
  request: ManualRequest,
  trigger: Trigger,
  ports: Bot['ports'],
  account: string,
  region: string,
  eventId: string,
): Promise<ManualReport> {
  const id = request.remediationId!;
  const fallback = awsRefs.account(account || '000000000000', region);
  const who = { reason: request.reason!, ...(request.requestedBy ? { actor: request.requestedBy } : {}) };
  const answer = (outcome: Outcome, result?: UndoResult): ManualReport => {
    bot.logger.info('reflex.manual', { ...manualLog(request, eventId, outcome.status, id), undo: result?.status });
    return { ...finish(bot, { outcomes: [outcome] }, 'manual undo'), ...(result ? { undo: result } : {}) };
  };
  const store = bot.auditStore;
  if (!store)
    return answer({
      status: 'failed',
      resource: fallback,
      trigger,
      reason: `undo needs the audit trail, and no audit store is configured (set REFLEX_AUDIT_TABLE); nothing was undone`,
    });
  let records: AuditRecord[];
  try {
    records = await store.byRemediation(id);
  } catch (err) {
    if (isTransient(err))
      throw new TransientFailure(`reading the audit trail failed: ${errorMessage(err)}`, { outcomes: [] });
    return answer({
      status: 'failed',
      resource: fallback,
      trigger,
      reason: `could not read the audit trail: ${errorMessage(err)}`,
    });
  }
  const resource = records[0]?.resource ?? fallback;
  const refusal = records.length > 0 ? bot.refusal(resource.account) : undefined;
  if (refusal) return answer({ status: 'ignored', resource, trigger, remediationId: id, reason: refusal });
  let result: UndoResult;
  if (request.dryRun) result = await checkUndo(id, records, ports);
  else result = await undo(id, { record: (r) => store.record(r), byRemediation: async () => records }, ports, who);
  const notes = result.differences ?? [];
  const base = { resource, trigger, remediationId: id, ...(notes.length ? { notes } : {}) };
  switch (result.status) {
    case 'undone':
      return answer(
        { ...base, status: request.dryRun ? 'ticketed' : 'fixed', reason: `undone: ${result.reason}` },
        result,
      );
    case 'already-undone':
      return answer({ ...base, status: 'ignored', reason: result.reason }, result);
    case 'refused':
      return answer({ ...base, status: 'failed', reason: `${result.reason}: ${notes.join('; ')}` }, result);
    default:
      return answer({ ...base, status: 'failed', reason: result.reason }, result);
  }
}

/** Dry-run undo: the same checks as undo, no write. */
async function checkUndo(id: string, records: AuditRecord[], ports: Bot['ports']): Promise<UndoResult> {
  const applied = records.filter((r) => r.status === 'applied').reverse();
  const base = { remediationId: id, steps: [] };
  if (applied.length === 0) return { ...base, status: 'not-found', reason: `no applied steps recorded for ${id}` };
  if (records.some((r) => r.status === 'undone'))
    return { ...base, status: 'already-undone', reason: `${id} was already undone` };
  const restore = ports.adapter.restore?.bind(ports.adapter);
  if (!restore) return { ...base, status: 'failed', reason: 'the AWS adapter cannot undo' };
  try {
    const checks = await Promise.all(applied.map((r) => restore(r, { check: true })));
    const differences = checks.flatMap((c) => (c.status === 'refused' ? c.differences : []));
    const steps = applied.map((r, i) => ({
      stepId: r.stepId,
      status: checks[i]?.status === 'refused' ? ('refused' as const) : ('restored' as const),
    }));
    return differences.length > 0
      ? {
          ...base,
          status: 'refused',
          reason: 'dry-run: the resource changed since Reflex fixed it; undo would refuse',
          differences,
          steps,
        }
      : {
          ...base,
          status: 'undone',
          reason: `dry-run: would restore the recorded before of ${applied.length} step(s); nothing changed`,
          steps,
        };
  } catch (err) {
    return { ...base, status: 'failed', reason: `could not read the current state: ${errorMessage(err)}` };
  }
}

let shared: ReturnType<typeof createManualHandler> | undefined;
export const handler = (event: unknown, context?: InvocationContext): Promise<Report> => {
  shared ??= createManualHandler();
  return shared(event, context);
};
