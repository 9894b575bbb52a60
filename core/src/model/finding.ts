import type { RuleFix, RuleName } from '../rules/registry.js';
import type { IngressRule } from './posture.js';
import type { ResourceRef } from './refs.js';

export type { RuleName } from '../rules/registry.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/**
 * A change to one firewall rule. `after` empty: delete it. Otherwise `after[0]` replaces it in place (same id),
 * and any further entries are new rules (id '') that keep an allow-listed public port open.
 */
export interface IngressChange {
  before: IngressRule;
  after: IngressRule[];
}

/**
 * Cloud-neutral intent. The adapter turns each into the fewest API calls that do it. Each rule file declares the
 * fixes it proposes; `isolate` is containment's, proposed by no rule.
 */
export type Fix = RuleFix | { type: 'isolate'; quarantineGroup?: string };
export type FixType = Fix['type'];

export interface Finding {
  rule: RuleName;
  resource: ResourceRef;
  severity: Severity;
  /** One line a human understands: what is wrong. */
  title: string;
  /** The facts that made the rule fire (grants, statements, rules), for tickets and audit. */
  evidence: string[];
  fixes: Fix[];
}
