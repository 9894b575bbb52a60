import type { EventGridEvent, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { errorMessage, handleTargets, type Outcome, type Target } from '@reflex/core';
import { isTransientArmError } from '../arm/errors.js';
import { type Bot, bot } from '../bot.js';
import { FLOW_LOG } from '../events/governed.js';
import { parseDelivery } from '../events/index.js';
import { vnetTargetsForFlowLog } from '../network/flowLogs.js';
import { type AzureReport, emptyReport, isTransientReport, logOutcomes } from '../report.js';

/** A transient failure surfaced to the Functions host, so Event Grid redelivers the event. */
export class TransientFailure extends Error {
  constructor(readonly report: AzureReport) {
    super(
      `transient failure, retry: ${report.outcomes
        .filter((o) => o.transient)
        .map((o) => o.reason)
        .join('; ')}`,
    );
  }
}

/** Parses a delivery and handles each event's targets through the core engine. Resolves with the report. */
export async function handleDelivery(body: unknown, context: InvocationContext): Promise<AzureReport> {
  const b = bot();
  const report = emptyReport();
  if (!b.policy) {
    report.errors = [
      { code: 'InvalidPolicy', message: `policy is invalid, nothing done: ${b.policyProblems.join('; ')}` },
    ];
    context.error(JSON.stringify({ kind: 'reflex.policy', problems: b.policyProblems }));
    return report;
  }
  const ports = b.ports(context);
  // The loop guard knows the bot's own managed identity whether or not the policy lists it.
  const policy = await b.own.policyWithOwn(b.policy);
  for (const v of parseDelivery(body)) {
    if (v.kind === 'targets') {
      const { targets, failed } = await resolveFlowLogTargets(b, v.targets);
      report.outcomes.push(...failed);
      if (targets.length === 0) continue;
      const r = await handleTargets(v.eventId, targets, policy, ports);
      report.outcomes.push(...r.outcomes);
    } else if (v.kind === 'validation') {
      // Only reached on the HTTP path; with app.eventGrid the Functions host answers validation itself.
      report.ignored.push({ eventId: v.eventId, eventType: v.eventType, reason: 'subscription validation handshake' });
    } else {
      report.ignored.push({ eventId: v.eventId, eventType: v.eventType, reason: v.reason });
    }
  }
  for (const i of report.ignored) context.info(JSON.stringify({ kind: 'reflex.ignored', ...i }));
  logOutcomes(context, report.outcomes);
  return report;
}

/** Flow-log events name the flow log; Reflex governs the VNet it logs, which only ARM can say. */
async function resolveFlowLogTargets(b: Bot, targets: Target[]): Promise<{ targets: Target[]; failed: Outcome[] }> {
  const out: Target[] = [];
  const failed: Outcome[] = [];
  for (const t of targets) {
    if (t.ref.type.toLowerCase() !== FLOW_LOG) {
      out.push(t);
      continue;
    }
    try {
      const refs = await vnetTargetsForFlowLog(b.clients.for(t.ref.account), t.ref.id);
      out.push(...refs.map((ref) => ({ ...t, ref })));
    } catch (err) {
      failed.push({
        resource: t.ref,
        trigger: t.trigger,
        status: 'failed',
        reason: `could not find the virtual network of flow log ${t.ref.id}: ${errorMessage(err)}`,
        transient: isTransientArmError(err),
      });
    }
  }
  return { targets: out, failed };
}

/**
 * Event Grid trigger (`app.eventGrid`): the host validates the subscription and hands over one event per
 * invocation, in either schema. Only transient failures throw, so Event Grid retries them; everything else
 * resolves with a report.
 */
export async function reflexEvents(event: EventGridEvent | unknown, context: InvocationContext): Promise<AzureReport> {
  const report = await handleDelivery(event, context);
  if (isTransientReport(report)) throw new TransientFailure(report);
  return report;
}

/**
 * The same events through a plain webhook (`app.http`), for subscriptions that point at an HTTP endpoint: it
 * answers the handshakes itself. Event Grid schema: the SubscriptionValidationEvent gets
 * `{ validationResponse: code }`. CloudEvents schema: the OPTIONS abuse-protection request gets
 * `WebHook-Allowed-Origin`. A transient failure answers 503 so Event Grid retries.
 */
export async function reflexEventsWebhook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  if (request.method === 'OPTIONS') {
    const origin = request.headers.get('webhook-request-origin');
    if (!origin) return { status: 400, jsonBody: { error: 'OPTIONS without WebHook-Request-Origin' } };
    return { status: 200, headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*' } };
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return { status: 400, jsonBody: { error: 'MalformedEvent', message: 'body is not JSON' } };
  }
  const validation = parseDelivery(body).find((v) => v.kind === 'validation');
  if (validation?.kind === 'validation') {
    context.info(JSON.stringify({ kind: 'reflex.validation', eventId: validation.eventId }));
    return { status: 200, jsonBody: { validationResponse: validation.validationCode } };
  }
  const report = await handleDelivery(body, context);
  return { status: isTransientReport(report) ? 503 : 200, jsonBody: report };
}
