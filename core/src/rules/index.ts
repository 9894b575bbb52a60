import type { Posture, RuleName } from '../model/index.js';
import {
  accountPublicAccessUnblocked,
  ebsEncryptionByDefaultOff,
  networkWithoutFlowLogs,
  trailLoggingStopped,
} from './accountSettings.js';
import { openIngress } from './openIngress.js';
import { publicStorage } from './publicStorage.js';
import { insecureTransport, storageWithoutLogging, unencryptedStorage } from './storageSettings.js';
import type { Rule } from './types.js';

export { isPublicStatement } from './bucketPolicy.js';
export { describeRule, isOpenSource, openShareOf, openSources, planIngressChange, publicPorts } from './openIngress.js';
export * from './ports.js';
export { ALL_USERS, AUTHENTICATED_USERS, BLOCK_ALL, isPublicGrant } from './publicStorage.js';
export { tlsToRaise } from './storageSettings.js';
export type { Rule } from './types.js';

export const RULES: readonly Rule[] = [
  publicStorage,
  openIngress,
  unencryptedStorage,
  storageWithoutLogging,
  insecureTransport,
  trailLoggingStopped,
  networkWithoutFlowLogs,
  ebsEncryptionByDefaultOff,
  accountPublicAccessUnblocked,
] as Rule[];

export function ruleByName(name: RuleName): Rule {
  return RULES.find((r) => r.name === name)!;
}

export function rulesFor(posture: Posture): Rule[] {
  return RULES.filter((r) => r.appliesTo === posture.kind);
}

export {
  accountPublicAccessUnblocked,
  ebsEncryptionByDefaultOff,
  insecureTransport,
  networkWithoutFlowLogs,
  openIngress,
  publicStorage,
  storageWithoutLogging,
  trailLoggingStopped,
  unencryptedStorage,
};
