import { accountPublicAccessUnblocked } from './accountPublicAccessUnblocked.js';
import { ebsEncryptionByDefaultOff } from './ebsEncryptionByDefaultOff.js';
import { insecureTransport } from './insecureTransport.js';
import { networkWithoutFlowLogs } from './networkWithoutFlowLogs.js';
import { openIngress } from './openIngress.js';
import { publicStorage } from './publicStorage.js';
import { storageWithoutLogging } from './storageWithoutLogging.js';
import { trailLoggingStopped } from './trailLoggingStopped.js';
import type { FixSummaries, Rule } from './types.js';
import { unencryptedStorage } from './unencryptedStorage.js';

/**
 * Every rule, in the order findings, `reflex explain`, `reflex validate` and the policy schema list them. The one
 * hand list of rules in core: a new rule is its own file plus its line here; everything below is derived.
 */
const REGISTRY = [
  publicStorage,
  openIngress,
  unencryptedStorage,
  storageWithoutLogging,
  insecureTransport,
  trailLoggingStopped,
  networkWithoutFlowLogs,
  ebsEncryptionByDefaultOff,
  accountPublicAccessUnblocked,
] as const;

type Registered = (typeof REGISTRY)[number];
export type RuleName = Registered['name'];

export const RULES: readonly Rule[] = REGISTRY;
export const RULE_NAMES = REGISTRY.map((r) => r.name) as unknown as readonly [RuleName, ...RuleName[]];

/** Every fix a rule proposes, from the rules' own declarations. */
export type RuleFix = FixesOf<Registered>;
type FixesOf<R> = R extends { fixes: infer S }
  ? { [K in keyof S]: S[K] extends (fix: infer F) => string ? F : never }[keyof S]
  : never;

/** The `rules` section of the policy: each rule's own schema under its name. */
export type RuleConfigShape = { [R in Registered as R['name']]: R['config'] };
export const RULE_CONFIGS = Object.fromEntries(REGISTRY.map((r) => [r.name, r.config])) as RuleConfigShape;

/** One summary per fix type, gathered from the rules (a type two rules propose reads the same for both). */
export const RULE_FIX_SUMMARIES = Object.assign({}, ...REGISTRY.map((r) => r.fixes)) as FixSummaries<RuleFix>;

/** Fix types undo restores first (see RuleDef.gates). */
export const GATE_FIXES: ReadonlySet<RuleFix['type']> = new Set(REGISTRY.flatMap((r) => r.gates ?? []));
