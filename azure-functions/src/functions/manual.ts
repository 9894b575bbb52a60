import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  type AuditStore,
  contain,
  type EnginePorts,
  EventParseError,
  errorMessage,
  handleTargets,
  type Outcome,
  parseArmId,
  parseManualRequest,
  ResourceTypes,
  type Target,
  undo,
} from '@reflex/core';
import { bot } from '../bot.js';
import { governedResource } from '../events/index.js';
import { isTransientReport, logOutcomes } from '../report.js';
import { manualCaller, RESPONDER_ROLE } from './principal.js';
import { sweep } from './sweep.js';

/** A name a caller gives itself is recorded, bounded: it is not evidence of anything. */
const MAX_CLAIMED_BY = 256;

const bad = (message: string): HttpResponseInit => ({ status: 400, jsonBody: { error: 'MalformedEvent', message } });

/** HTTP status of an undo: done (or done before) 200, unknown id 404, refused because the resource changed 409. */
const UNDO_STATUS = { undone: 200, 'already-undone': 200, 'not-found': 404, refused: 409, failed: 502 } as const;

/** HTTP status of an outcome: done or planned 200, resource gone 404, failed 502 (503 when a retry may help). */
function outcomeStatus(outcomes: Outcome[]): number {
  if (outcomes.some((o) => o.transient)) return 503;
  if (outcomes.some((o) => o.status === 'failed')) return 502;
  if (outcomes.length > 0 && outcomes.every((o) => o.status === 'ignored' && /does not exist/.test(o.reason)))
    return 404;
  return 200;
}

const refused = (status: 401 | 403, error: string, message: string): HttpResponseInit => ({
  status,
  jsonBody: { error, message: `${message}; nothing was changed` },
});

/**
 * Manual invocation (`app.http`, function key), the same contract as the AWS manual handler:
 * `{ action, resource | remediationId, reason, dryRun?, requestedBy?, rules? }`. `reason` is required for
 * contain and undo. Who: the Entra ID principal App Service Authentication vouches for (REFLEX_EASY_AUTH=on, set by
 * the Bicep with authsettingsV2), which must hold the Reflex.Responder app role; without Easy Auth, "function key".
 * `requestedBy` is recorded as `claimedBy`, never as the actor. Contain and undo refuse while the kill switch is on.
 * A refused request answers 401/403, a bad one 400, a failed one 502 (503 when a retry may help).
 */
export async function reflexManual(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const b = bot();
  const caller = manualCaller(request, b.env);
  if ('error' in caller) {
    context.warn(JSON.stringify({ kind: 'reflex.manual', refused: caller.error }));
    return refused(401, 'Unauthenticated', caller.error);
  }
  if (caller.verified && !caller.roles.includes(RESPONDER_ROLE)) {
    context.warn(JSON.stringify({ kind: 'reflex.manual', refused: 'not a responder', actor: caller.actor }));
    return refused(403, 'NotAResponder', `${caller.actor} does not hold the ${RESPONDER_ROLE} app role`);
  }
  if (!caller.verified && caller.ignoredHeaders)
    context.warn(
      JSON.stringify({
        kind: 'reflex.manual',
        ignored: 'x-ms-client-principal* headers sent while App Service Authentication is off (forgeable)',
      }),
    );
  let input: unknown;
  try {
    input = await request.json();
  } catch {
    return bad('body is not JSON; expected { "action": "remediate", "resource": "/subscriptions/..." }');
  }
  let req: ReturnType<typeof parseManualRequest>;
  try {
    req = parseManualRequest(input);
  } catch (err) {
    return bad(err instanceof EventParseError ? err.message : errorMessage(err));
  }
  if (req.account) return bad('account is an AWS field: an ARM id names its subscription');
  if (!b.policy) {
    return { status: 500, jsonBody: { error: 'InvalidPolicy', problems: b.policyProblems } };
  }
  const who = {
    actor: caller.actor,
    ...(req.requestedBy ? { claimedBy: req.requestedBy.slice(0, MAX_CLAIMED_BY) } : {}),
  };
  context.info(
    JSON.stringify({
      kind: 'reflex.manual',
      action: req.action,
      resource: req.resource ?? req.remediationId,
      reason: req.reason,
      ...who,
      verified: caller.verified,
      dryRun: req.dryRun === true,
    }),
  );
  // The kill switch stops every write the bot makes, a responder's contain and undo included (dry-runs still answer).
  if ((req.action === 'contain' || req.action === 'undo') && !req.dryRun && b.policy.killSwitch) {
    return refused(
      403,
      'KillSwitchOn',
      `the kill switch is on (REFLEX_KILL_SWITCH or the policy's killSwitch): ${req.action} is refused until it is off`,
    );
  }
  if (req.action === 'undo') {
    const ports = b.ports(context);
    const store = b.auditStore(context);
    if (!store) {
      return {
        status: 501,
        jsonBody: {
          error: 'NoAuditStore',
          message:
            'undo reads the audit table, and none is configured: set REFLEX_AUDIT_TABLE and REFLEX_STATE_ACCOUNT_URL ' +
            '(or REFLEX_STATE_CONNECTION_STRING). Audit records of this app are only in its logs; nothing was changed.',
        },
      };
    }
    if (req.dryRun) {
      const preview = await previewUndo(req.remediationId!, store, ports);
      return { status: preview.status === 'not-found' ? 404 : 200, jsonBody: preview };
    }
    const result = await undo(
      req.remediationId!,
      store,
      { ...ports, ledger: undefined },
      { reason: req.reason!, ...who },
    );
    context.info(JSON.stringify({ kind: 'reflex.undo', ...result, ...who, reason: req.reason }));
    return { status: UNDO_STATUS[result.status], jsonBody: result };
  }
  if (req.action === 'sweep') {
    let subs: string[] | undefined;
    if (req.resource) {
      try {
        subs = [parseArmId(req.resource).subscriptionId];
      } catch {
        // A bare subscription id is accepted too.
        subs = [req.resource.replace(/^\/?subscriptions\//i, '').split('/')[0]!];
      }
    }
    const report = await sweep(context, subs);
    return { status: report.errors?.length ? 400 : outcomeStatus(report.outcomes), jsonBody: report };
  }
  const governed = governedResource(req.resource!);
  if (!governed.ok) return bad(`resource ${req.resource}: ${governed.reason}`);
  if (!Object.values(ResourceTypes).includes(governed.ref.type as never)) {
    return bad(`resource ${req.resource}: name the virtual network, not its flow log`);
  }
  const eventId = `manual:${context.invocationId}`;
  const target: Target = {
    ref: governed.ref,
    trigger: {
      source: 'manual',
      eventId,
      ...(req.reason ? { reason: req.reason } : {}),
      ...(req.dryRun ? { dryRun: true } : {}),
      ...who,
    },
    ...(req.rules ? { rules: req.rules } : {}),
  };
  if (req.action === 'contain') {
    const ports = b.ports(context);
    // The tag on the resource names the verified caller; a claimed name only as a claim.
    const noteActor = who.claimedBy ? `${who.actor}, claimed ${who.claimedBy}` : who.actor;
    const adapter = b.adapter.withContainment({ reason: req.reason!, actor: noteActor });
    const outcome = await contain(target, { ...ports, adapter, ledger: undefined });
    logOutcomes(context, [outcome]);
    return { status: outcomeStatus([outcome]), jsonBody: { outcomes: [outcome] } };
  }
  const report = await handleTargets(eventId, [target], b.policy, b.ports(context));
  logOutcomes(context, report.outcomes);
  return { status: isTransientReport(report) ? 503 : outcomeStatus(report.outcomes), jsonBody: report };
}

/**
 * Undo with `dryRun`: the engine's own undo with `check` (the steps still to undo, after a partial undo too), reading
 * only, and says whether undo would restore or refuse (and why).
 */
async function previewUndo(remediationId: string, store: AuditStore, ports: EnginePorts) {
  const result = await undo(
    remediationId,
    store,
    { ...ports, leases: undefined },
    { reason: 'dry-run' },
    { check: true },
  );
  const status = { undone: 'would-undo', refused: 'would-refuse' }[result.status as string] ?? result.status;
  const refused = result.status === 'refused';
  return {
    ...result,
    status,
    dryRun: true,
    reason:
      result.status === 'undone'
        ? `undo would restore the recorded before of ${result.steps.length} step(s); nothing was changed`
        : refused
          ? 'the resource changed since Reflex wrote it; undo would refuse and change nothing'
          : result.reason,
  };
}
