import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  type AuditStore,
  contain,
  EventParseError,
  errorMessage,
  handleTargets,
  parseArmId,
  parseManualRequest,
  ResourceTypes,
  type Target,
  undo,
} from '@reflex/core';
import type { AzureAdapter } from '../adapter.js';
import { bot } from '../bot.js';
import { governedResource } from '../events/index.js';
import { isTransientReport, logOutcomes } from '../report.js';
import { sweep } from './sweep.js';

const bad = (message: string): HttpResponseInit => ({ status: 400, jsonBody: { error: 'MalformedEvent', message } });

/** HTTP status of an undo: done (or done before) 200, unknown id 404, refused because the resource changed 409. */
const UNDO_STATUS = { undone: 200, 'already-undone': 200, 'not-found': 404, refused: 409, failed: 502 } as const;

/**
 * Manual invocation (`app.http`, function key), the same contract as the AWS manual handler:
 * `{ action, resource | remediationId, reason, dryRun?, requestedBy?, rules? }`. `reason` is required for
 * contain and undo; every manual action is logged with who (`requestedBy`, else the caller the platform names)
 * and why, and contain and undo are audited with both.
 */
export async function reflexManual(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
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
  const b = bot();
  if (!b.policy) {
    return { status: 500, jsonBody: { error: 'InvalidPolicy', problems: b.policyProblems } };
  }
  const who = req.requestedBy ?? callerOf(request);
  context.info(
    JSON.stringify({
      kind: 'reflex.manual',
      action: req.action,
      resource: req.resource ?? req.remediationId,
      reason: req.reason,
      requestedBy: who,
      dryRun: req.dryRun === true,
    }),
  );
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
      const preview = await previewUndo(req.remediationId!, store, b.adapter);
      return { status: preview.status === 'not-found' ? 404 : 200, jsonBody: preview };
    }
    const result = await undo(
      req.remediationId!,
      store,
      { ...ports, ledger: undefined },
      {
        reason: req.reason!,
        ...(who ? { actor: who } : {}),
      },
    );
    context.info(JSON.stringify({ kind: 'reflex.undo', ...result, requestedBy: who, reason: req.reason }));
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
    return { status: report.errors?.length ? 400 : 200, jsonBody: report };
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
      ...(who ? { actor: who } : {}),
    },
    ...(req.rules ? { rules: req.rules } : {}),
  };
  if (req.action === 'contain') {
    const ports = b.ports(context);
    const adapter = b.adapter.withContainment({ reason: req.reason!, ...(who ? { actor: who } : {}) });
    const outcome = await contain(target, { ...ports, adapter, ledger: undefined });
    logOutcomes(context, [outcome]);
    return { status: outcome.transient ? 503 : 200, jsonBody: { outcomes: [outcome] } };
  }
  const report = await handleTargets(eventId, [target], b.policy, b.ports(context));
  logOutcomes(context, report.outcomes);
  return { status: isTransientReport(report) ? 503 : 200, jsonBody: report };
}

/** Undo with `dryRun`: reads only, and says whether undo would restore or refuse (and why). */
async function previewUndo(remediationId: string, store: AuditStore, adapter: AzureAdapter) {
  const records = await store.byRemediation(remediationId);
  const applied = records.filter((r) => r.status === 'applied');
  if (applied.length === 0) return { remediationId, status: 'not-found', dryRun: true, steps: [] };
  if (records.some((r) => r.status === 'undone'))
    return { remediationId, status: 'already-undone', dryRun: true, steps: [] };
  const steps = await Promise.all(
    applied.map(async (r) => {
      const check = await adapter.restore(r, { check: true });
      return {
        stepId: r.stepId,
        fix: r.fix.type,
        status: check.status === 'refused' ? 'refused' : 'restorable',
        ...(check.status === 'refused' ? { differences: check.differences } : {}),
      };
    }),
  );
  const refused = steps.some((s) => s.status === 'refused');
  return {
    remediationId,
    status: refused ? 'would-refuse' : 'would-undo',
    dryRun: true,
    reason: refused
      ? 'the resource changed since Reflex wrote it; undo would refuse and change nothing'
      : `undo would restore the recorded before of ${steps.length} step(s); nothing was changed`,
    steps,
  };
}

/**
 * Who called, when the body does not say: App Service Authentication (Easy Auth) puts the signed-in principal
 * in `x-ms-client-principal-name`; a function key alone names nobody.
 */
function callerOf(request: HttpRequest): string | undefined {
  return request.headers.get('x-ms-client-principal-name') ?? undefined;
}
