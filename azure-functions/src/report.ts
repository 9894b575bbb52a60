import type { InvocationContext } from '@azure/functions';
import { bounded, type Outcome, type Report } from '@reflex/core';

/** The core report plus the events that were ignored before any resource was named. */
export interface AzureReport extends Report {
  ignored: { eventId: string; eventType: string; reason: string }[];
}

export function emptyReport(): AzureReport {
  return { outcomes: [], ignored: [] };
}

export function isTransientReport(r: Report): boolean {
  return r.outcomes.some((o) => o.transient);
}

/** One JSON line per outcome, without the bulky finding and steps. */
export function logOutcomes(context: InvocationContext, outcomes: Outcome[]): void {
  for (const o of outcomes) {
    // Every field an attacker can size (a reason quoting a name, an event id) through the one bound.
    const line = JSON.stringify({
      kind: 'reflex.outcome',
      status: o.status,
      resource: bounded(o.resource.id),
      rule: o.rule,
      reason: bounded(o.reason),
      eventId: bounded(o.trigger.eventId),
      source: o.trigger.source,
      ...(o.remediationId ? { remediationId: o.remediationId } : {}),
      ...(o.transient ? { transient: true } : {}),
      ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
    });
    if (o.status === 'failed') context.error(line);
    else context.info(line);
  }
}
