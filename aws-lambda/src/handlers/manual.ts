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
import { isResponder, manualInvocation, respondersOf } from './manualCaller.js';

/** What the manual handler answers: the report, and for `undo` the engine's own result (steps, differences). */
export type ManualReport = Report & { undo?: UndoResult };

/** A name a caller gives itself is recorded, bounded: it is not evidence of anything. */
const MAX_CLAIMED_BY = 256;

/** A Function URL request (payload format 2.0), as far as its shape tells it from a direct Invoke's payload. */
export interface FunctionUrlEvent {
  version: '2.0';
  requestContext: { http: { method: string }; authorizer?: { iam?: { userArn?: string } } };
  body?: string;
  isBase64Encoded?: boolean;
}

/** A Function URL request gets an HTTP answer; a direct Invoke's payload gets the report. */
export interface ManualHandler {
  (input: FunctionUrlEvent, context?: InvocationContext): Promise<HttpAnswer>;
  (input: unknown, context?: InvocationContext): Promise<ManualReport>;
}

/** What a Function URL answers (payload format 2.0). */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Who asked, as recorded: the verified caller as the actor, the payload's name only as a claim. */
interface Who {
  actor?: string;
  claimedBy?: string;
  via: 'function-url' | 'direct-invoke';
}

/**
 * The manual function: `{ action, resource | remediationId, reason, dryRun?, requestedBy?, rules? }` with action
 * `remediate` | `sweep` | `contain` | `undo`, invoked directly or through its Function URL (AWS_IAM auth). Who: the
 * URL's SigV4-verified caller (requestContext.authorizer.iam.userArn); a direct Invoke has none. `requestedBy` is
 * recorded as `claimedBy`, never as the actor. Where the deployment names its responders (REFLEX_RESPONDERS, set by
 * the CDK construct), contain and undo need a verified responder. Contain and undo refuse while the kill switch is
 * on (dry-runs still answer). Every manual action is logged (`reflex.manual`); contain and undo are audited.
 * Through the URL, a refused request answers 401/403, a bad one 400, a failed one 502 (503 when a retry may help).
 */
export function createManualHandler(deps: BotDeps = {}): ManualHandler {
  const bot = createBot(deps);
  const run = runManual(bot);
  return async function handleManual(input: unknown, context?: InvocationContext): Promise<never> {
    return (await answer(input, context)) as never;
  } as ManualHandler;

  async function answer(input: unknown, context?: InvocationContext): Promise<ManualReport | HttpAnswer> {
    const invocation = manualInvocation(input);
    if (invocation.via === 'direct-invoke') return run(invocation.payload, context, { via: 'direct-invoke' });
    if ('error' in invocation) return http(400, { errors: [{ code: 'MalformedEvent', message: invocation.error }] });
    try {
      const report = await run(invocation.payload, context, {
        via: 'function-url',
        ...(invocation.callerArn ? { actor: invocation.callerArn } : {}),
      });
      return http(statusOf(report), report);
    } catch (err) {
      if (err instanceof TransientFailure) return http(503, err.report);
      throw err;
    }
  }
}

function http(statusCode: number, body: unknown): HttpAnswer {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Error codes a request is refused with (403), and those that mean the bot is broken (500); the rest are 400. */
const FORBIDDEN = new Set(['Unverified', 'NotAResponder', 'KillSwitchOn']);
const BROKEN = new Set(['InvalidPolicy']);

/**
 * HTTP status of a manual report, as the Azure function answers: refused 401/403, bad 400, unknown resource or
 * remediation 404, undo refused because the resource changed 409, failed 502, else 200.
 */
export function statusOf(report: ManualReport): number {
  const code = report.errors?.[0]?.code;
  if (code === 'Unverified') return 401;
  if (code && FORBIDDEN.has(code)) return 403;
  if (code && BROKEN.has(code)) return 500;
  if (code) return 400;
  if (report.undo?.status === 'not-found') return 404;
  if (report.undo?.status === 'refused') return 409;
  if (report.outcomes.some((o) => o.status === 'failed')) return 502;
  const gone = (o: Outcome) => o.status === 'ignored' && /does not exist/.test(o.reason);
  if (report.outcomes.length > 0 && report.outcomes.every(gone)) return 404;
  return 200;
}

function runManual(bot: Bot) {
  return async function run(
    input: unknown,
    context: InvocationContext | undefined,
    caller: Who,
  ): Promise<ManualReport> {
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
    const who: Who = {
      ...caller,
      ...(request.requestedBy ? { claimedBy: request.requestedBy.slice(0, MAX_CLAIMED_BY) } : {}),
    };
    const refused = refuse(request, who, policy.killSwitch, respondersOf(bot.env));
    if (refused) {
      bot.logger.warn('reflex.manual', { ...manualLog(request, 'refused', 'refused', who), refused });
      return finish(bot, { outcomes: [], errors: [refused] }, 'manual refused');
    }
    const eventId = `manual-${context?.awsRequestId ?? randomUUID()}`;
    bot.begin(context, eventId);
    const account = accountOf(context, bot.account);
    const region = defaultRegion();
    const trigger: Trigger = {
      source: 'manual',
      eventId,
      eventName: request.action,
      ...(request.reason ? { reason: request.reason } : {}),
      ...(who.actor ? { actor: who.actor } : {}),
      ...(who.claimedBy ? { claimedBy: who.claimedBy } : {}),
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
      bot.logger.info('reflex.manual', manualLog(request, eventId, 'ignored', who));
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
        const target = { ref: ref!, trigger: { ...trigger, reason: request.reason! } };
        // The tag on the resource names the verified caller; a claimed name only as a claim.
        const tagActor = who.actor ?? (who.claimedBy ? `${who.claimedBy}, unverified` : undefined);
        // The bot's own role keeps access to a locked-down bucket (so that undo works), listed or not.
        const own = await bot.withOwnIdentity(scoped);
        const adapter = bot.adapter.withContainment({
          lockdownExceptions: lockdownExceptions(own.identities.aws, bot.env),
          containment: { reason: request.reason!, ...(tagActor ? { actor: tagActor } : {}) },
        });
        const outcome = await contain(target, { ...ports, adapter });
        bot.logger.info('reflex.manual', manualLog(request, eventId, outcome.status, who, outcome.remediationId));
        return finish(bot, { outcomes: [outcome] }, 'manual contain');
      }
      case 'undo':
        return undoAction(bot, request, trigger, ports, account, region, eventId, who);
    }
  };
}

/**
 * Why a request is refused before anything is read, or undefined. Contain and undo (not their dry-runs) stop while
 * the kill switch is on, and need a verified responder where the deployment names responders.
 */
function refuse(
  request: ManualRequest,
  who: Who,
  killSwitch: boolean,
  responders: string[] | undefined,
): { code: string; message: string } | undefined {
  if ((request.action !== 'contain' && request.action !== 'undo') || request.dryRun) return undefined;
  const nothing = 'nothing was read or changed';
  if (killSwitch)
    return {
      code: 'KillSwitchOn',
      message: `the kill switch is on (REFLEX_KILL_SWITCH or the policy's killSwitch): ${request.action} is refused until it is off; ${nothing}`,
    };
  if (responders === undefined) return undefined;
  if (!who.actor)
    return {
      code: 'Unverified',
      message:
        `${request.action} needs a verified caller: call the function URL with AWS_IAM auth (SigV4), as one of ` +
        `the responders the deployment names (a direct Invoke carries no caller; requestedBy is only a claim); ${nothing}`,
    };
  if (!isResponder(who.actor, responders))
    return {
      code: 'NotAResponder',
      message: `${who.actor} is not one of the responders this deployment names (REFLEX_RESPONDERS); ${nothing}`,
    };
  return undefined;
}

function manualLog(request: ManualRequest, eventId: string, status: string, who: Who, remediationId?: string) {
  return {
    action: request.action,
    eventId,
    actor: who.actor ?? `unverified (${who.via})`,
    ...(who.claimedBy ? { claimedBy: who.claimedBy } : {}),
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
  caller: Who,
): Promise<ManualReport> {
  const id = request.remediationId!;
  const fallback = awsRefs.account(account || '000000000000', region);
  const who = {
    reason: request.reason!,
    ...(caller.actor ? { actor: caller.actor } : {}),
    ...(caller.claimedBy ? { claimedBy: caller.claimedBy } : {}),
  };
  const answer = (outcome: Outcome, result?: UndoResult): ManualReport => {
    bot.logger.info('reflex.manual', {
      ...manualLog(request, eventId, outcome.status, caller, id),
      undo: result?.status,
    });
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

/**
 * Dry-run undo: the engine's own undo with `check` (the same steps left to undo, in the same order, after a partial
 * undo too), reading only; no lease, since nothing is written.
 */
async function checkUndo(id: string, records: AuditRecord[], ports: Bot['ports']): Promise<UndoResult> {
  const store = { record: async () => {}, byRemediation: async () => records };
  const result = await undo(id, store, { ...ports, leases: undefined }, { reason: 'dry-run' }, { check: true });
  if (result.status === 'undone') return { ...result, reason: `dry-run: ${result.reason}` };
  if (result.status === 'refused')
    return { ...result, reason: 'dry-run: the resource changed since Reflex fixed it; undo would refuse' };
  return result;
}

let shared: ReturnType<typeof createManualHandler> | undefined;
export const handler = (event: unknown, context?: InvocationContext): Promise<Report | HttpAnswer> => {
  shared ??= createManualHandler();
  return shared(event, context);
};
