import type { Outcome, Report, Ticket, UndoResult } from '@reflex/core';
import { clip, renderTable, type Style, visibleLength } from './style.js';

/** Exit codes: 0 all compliant or fixed, 1 something left open, 2 bad input. */
export const EXIT = { ok: 0, open: 1, badInput: 2 } as const;

/**
 * Is this outcome something left open? `ticketed` (dry-run, a rule in dry-run mode, the kill switch, the blast
 * radius, no automatic fix), `failed`, and `exempt` by a tag (the finding is there, accepted until the tag
 * expires) are open. `fixed`, `compliant`, `ignored` (nothing to look at) and `exempt` by the policy's allow-list
 * (no finding is evaluated for it) are not.
 */
export function isOpen(o: Outcome): boolean {
  if (o.status === 'ticketed' || o.status === 'failed') return true;
  return o.status === 'exempt' && o.finding !== undefined;
}

export function exitCodeOf(outcomes: Outcome[]): number {
  return outcomes.some(isOpen) ? EXIT.open : EXIT.ok;
}

const STATUS_COLOUR: Record<Outcome['status'], keyof Omit<Style, 'enabled' | 'bold'>> = {
  fixed: 'green',
  compliant: 'green',
  ticketed: 'yellow',
  exempt: 'cyan',
  ignored: 'dim',
  failed: 'red',
};

/** A short name for a resource: the bucket, group, account or NSG name, not the whole id. */
export function shortName(o: Pick<Outcome, 'resource'>): string {
  return o.resource.name || o.resource.id;
}

const HEADER = ['resource', 'rule', 'status', 'reason', 'ms'];

/** One row per outcome: resource, rule, status, reason, time. */
export function outcomesTable(outcomes: Outcome[], style: Style, width = 0): string {
  const rows = outcomes.map((o) => [
    shortName(o),
    o.rule ?? '-',
    style[STATUS_COLOUR[o.status]](o.status),
    o.reason,
    o.durationMs !== undefined ? o.durationMs.toFixed(0) : '-',
  ]);
  if (width > 0) {
    // Fit the reason into the terminal; the JSON output keeps it whole.
    const others = [0, 1, 2, 4].map((i) => Math.max(HEADER[i]!.length, ...rows.map((r) => visibleLength(r[i]!))));
    const room = Math.max(24, width - others.reduce((a, b) => a + b, 0) - 2 * others.length);
    for (const r of rows) r[3] = clip(r[3]!, room);
  }
  return renderTable(HEADER, rows, { right: [4], style });
}

/** The tickets a dry-run filed: title, then each planned call with the CLI command that does the same. */
export function ticketsText(tickets: Ticket[], style: Style): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const t of tickets) {
    if (seen.has(t.dedupeKey)) continue;
    seen.add(t.dedupeKey);
    lines.push(`${style.yellow('●')} ${style.bold(t.title)}`, `  ${style.dim(t.resource.id)}`);
    for (const s of t.steps) lines.push(`  - ${s.summary}`, `      ${style.cyan(s.cli)}`);
    lines.push(`  ${style.dim(`apply: ${t.howToApply}`)}`);
  }
  return lines.join('\n');
}

/** Remediation ids of what was changed, with the command that undoes each. */
export function undoHints(outcomes: Outcome[], style: Style): string {
  const changed = outcomes.filter((o) => (o.status === 'fixed' || o.status === 'failed') && o.remediationId);
  const applied = changed.filter((o) => o.steps?.some((s) => s.status === 'applied'));
  if (applied.length === 0) return '';
  return [
    style.dim('undo a change with: reflex undo <remediation-id> --reason "..."'),
    ...applied.map((o) => `  ${o.remediationId}  ${shortName(o)}  ${o.rule ?? 'contain'}`),
  ].join('\n');
}

export function undoText(r: UndoResult, style: Style): string {
  const colour = r.status === 'undone' || r.status === 'already-undone' ? style.green : style.red;
  const lines = [`${r.remediationId}: ${colour(r.status)}: ${r.reason}`];
  for (const s of r.steps) lines.push(`  ${s.stepId}  ${s.status}${s.error ? `  ${s.error}` : ''}`);
  for (const d of r.differences ?? []) lines.push(`  ${style.yellow('≠')} ${d}`);
  return lines.join('\n');
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export type CliReport = Report & { tickets?: Ticket[] };
