import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  EventParseError,
  errorMessage,
  handleTargets,
  parseArmId,
  parseManualRequest,
  type Target,
} from '@reflex/core';
import { bot } from '../bot.js';
import { governedResource } from '../events/index.js';
import { isTransientReport, logOutcomes } from '../report.js';
import { sweep } from './sweep.js';

const bad = (message: string): HttpResponseInit => ({ status: 400, jsonBody: { error: 'MalformedEvent', message } });

/**
 * Manual invocation (`app.http`, function key), the same contract as the AWS manual handler:
 * `{ action, resource, dryRun?, reason?, rules? }`. remediate and sweep run now; contain and undo are not
 * implemented on Azure yet and say so (501).
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
  const b = bot();
  if (!b.policy) {
    return { status: 500, jsonBody: { error: 'InvalidPolicy', problems: b.policyProblems } };
  }
  if (req.action === 'contain' || req.action === 'undo') {
    return {
      status: 501,
      jsonBody: {
        error: 'NotImplemented',
        message: `${req.action} is not implemented on Azure yet; nothing was changed`,
      },
    };
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
  const eventId = `manual:${context.invocationId}`;
  const target: Target = {
    ref: governed.ref,
    trigger: {
      source: 'manual',
      eventId,
      ...(req.reason ? { reason: req.reason } : {}),
      ...(req.dryRun ? { dryRun: true } : {}),
      ...(req.requestedBy ? { actor: req.requestedBy } : {}),
    },
    ...(req.rules ? { rules: req.rules } : {}),
  };
  const report = await handleTargets(eventId, [target], b.policy, b.ports(context));
  logOutcomes(context, report.outcomes);
  return { status: isTransientReport(report) ? 503 : 200, jsonBody: report };
}
