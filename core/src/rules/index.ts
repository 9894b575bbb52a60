import type { Posture, RuleName } from '../model/index.js';
import { RULES } from './registry.js';
import type { Rule } from './types.js';

export { accountPublicAccessUnblocked } from './accountPublicAccessUnblocked.js';
export { BLOCK_ALL } from './blockPublicAccess.js';
export { isPublicStatement } from './bucketPolicy.js';
export { ebsEncryptionByDefaultOff } from './ebsEncryptionByDefaultOff.js';
export { describeRule, planIngressChange, publicPorts } from './ingressChange.js';
export { insecureTransport } from './insecureTransport.js';
export { tlsToRaise } from './minimumTls.js';
export { networkWithoutFlowLogs } from './networkWithoutFlowLogs.js';
export { openIngress } from './openIngress.js';
export { isOpenSource, openShareOf, openSources } from './openSources.js';
export * from './ports.js';
export { ALL_USERS, AUTHENTICATED_USERS, isPublicGrant, publicStorage } from './publicStorage.js';
export { RULE_NAMES, RULES } from './registry.js';
export { storageWithoutLogging } from './storageWithoutLogging.js';
export { trailLoggingStopped } from './trailLoggingStopped.js';
export type { Rule } from './types.js';
export { unencryptedStorage } from './unencryptedStorage.js';

export function ruleByName(name: RuleName): Rule {
  return RULES.find((r) => r.name === name)!;
}

export function rulesFor(posture: Posture): Rule[] {
  return RULES.filter((r) => r.appliesTo === posture.kind);
}
