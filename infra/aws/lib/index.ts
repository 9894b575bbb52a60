export { ReflexMemberAccount, type ReflexMemberAccountProps } from './reflex-member-account.js';
export {
  ALARM_LOG_PATTERN,
  DEFAULT_BUNDLE_DIR,
  kindsRead,
  ReflexRemediation,
  type ReflexRemediationProps,
  type ReflexTriggers,
  resolvePolicy,
  ruleModes,
  STATE_STORE_ALARM_PATTERN,
} from './reflex-remediation.js';
export { CLOUDTRAIL_CALLS, CONFIG_RULE_KINDS, patternsFor, SECURITY_HUB_CONTROLS } from './triggers.js';
