import type { Fix } from '../model/index.js';
import { RULE_FIX_SUMMARIES } from '../rules/registry.js';
import type { FixSummaries } from '../rules/types.js';

/** Each fix type's one line: the rules' own, and containment's. */
const SUMMARIES: FixSummaries<Fix> = {
  ...RULE_FIX_SUMMARIES,
  isolate: (fix) => `isolate${fix.quarantineGroup ? ` with ${fix.quarantineGroup}` : ''}`,
};

/** One line per fix, for tickets, logs and audit. */
export function summarizeFix(fix: Fix): string {
  return (SUMMARIES[fix.type] as (f: Fix) => string)(fix);
}
