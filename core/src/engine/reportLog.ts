import type { Outcome, OutcomeStatus } from '../model/index.js';

/**
 * Outcomes listed in one log entry. Log services cap an entry's size, and a sweep of 10,000 resources in one line
 * would be megabytes: the list is split into parts of this many.
 */
export const OUTCOMES_PER_LOG_ENTRY = 200;

export function countByStatus(outcomes: readonly Outcome[]): Partial<Record<OutcomeStatus, number>> {
  const counts: Partial<Record<OutcomeStatus, number>> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return counts;
}

/**
 * The outcomes a log lists one by one. A sweep's `compliant` ones are only counted: thousands of "no finding"
 * entries would bury the few that matter and be paid for at ingestion. An event's few are all listed, so "why
 * was nothing done" has its answer in the log.
 */
export function outcomesToList(outcomes: readonly Outcome[], sweep: boolean): Outcome[] {
  return sweep ? outcomes.filter((o) => o.status !== 'compliant') : [...outcomes];
}

/** `items` in parts of at most `size`; one empty part for none, so a report without outcomes still logs once. */
export function logParts<T>(items: readonly T[], size = OUTCOMES_PER_LOG_ENTRY): T[][] {
  if (items.length === 0) return [[]];
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}
