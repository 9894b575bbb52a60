import type { Severity } from '../../model/index.js';
import type { Ticket } from '../ticket.js';

/** The label/value pairs every sink shows first. */
export function ticketFacts(t: Ticket): [label: string, value: string][] {
  const r = t.resource;
  const where = [r.cloud, r.account, r.region].filter(Boolean).join(' / ');
  const trigger = [t.trigger.source, t.trigger.eventName, t.trigger.eventId].filter(Boolean).join(' · ');
  return [
    ['Resource', r.id],
    ['Rule', t.rule],
    ['Severity', t.severity],
    ['Where', where],
    ['Actor', t.trigger.actor ?? 'unknown'],
    ['Trigger', trigger],
  ];
}

/** One paragraph for a recurrence comment. */
export function recurrenceNote(t: Ticket): string {
  const by = t.trigger.actor ? ` by ${t.trigger.actor}` : '';
  const event = t.trigger.eventName ? ` (${t.trigger.eventName})` : '';
  return `Seen again by Reflex at ${t.createdAt}: ${t.trigger.source} event ${t.trigger.eventId}${event}${by}. Still open: ${t.reason}.`;
}

/** The whole ticket as plain text (ServiceNow descriptions, fallbacks). */
export function plainDescription(t: Ticket): string {
  const lines = [t.finding.title, ''];
  for (const [label, value] of ticketFacts(t)) lines.push(`${label}: ${value}`);
  lines.push(
    '',
    'Evidence:',
    ...(t.finding.evidence.length ? t.finding.evidence.map((e) => `  - ${e}`) : ['  (none recorded)']),
  );
  lines.push('', `Why it was not fixed automatically: ${t.reason}`, '');
  if (t.steps.length) {
    lines.push('Planned changes:');
    t.steps.forEach((s, i) => {
      lines.push(`  ${i + 1}. ${s.summary} (needs ${s.permission})`, `     API: ${s.api}`, `     CLI: ${s.cli}`);
    });
    lines.push('');
  }
  lines.push(`To apply: ${t.howToApply}`, `To exempt: ${t.howToExempt}`, '', `Reflex dedupe key: ${t.dedupeKey}`);
  return lines.join('\n');
}

export function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
