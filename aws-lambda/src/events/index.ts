import { parseCloudTrail } from './cloudtrail.js';
import { parseConfig } from './config.js';
import { accountRef, readEnvelope } from './envelope.js';
import { parseSecurityHub } from './securityhub.js';
import type { ParsedEvent } from './types.js';

export { actorOf } from './actor.js';
export { S3_ACCOUNT_CALLS, S3_BUCKET_CALLS } from './cloudtrail.js';
export { CONFIG_RULES, managedRuleOf, refFromConfig } from './config.js';
export { partitionOf, readEnvelope } from './envelope.js';
export {
  claimsOf,
  describeClaims,
  grantsFromRequest,
  ingressFromConfigItem,
  ingressFromRequest,
  isWorld,
} from './evidence.js';
export { controlOf, SECURITY_HUB_CONTROLS } from './securityhub.js';
export type { Envelope, Lookup, ParsedEvent, Skipped } from './types.js';

/** Any EventBridge event → what to look at. Pure: no cloud call, never throws. */
export function parseEvent(event: unknown): ParsedEvent {
  const env = readEnvelope(event);
  if ('problem' in env) return { kind: 'malformed', eventId: env.id, problem: env.problem };
  try {
    if (env.detailType === 'AWS API Call via CloudTrail') return parseCloudTrail(env);
    if (env.source === 'aws.config') return parseConfig(env);
    if (env.source === 'aws.securityhub' && env.detailType === 'Security Hub Findings - Imported')
      return parseSecurityHub(env);
    if (env.source === 'aws.events' && env.detailType === 'Scheduled Event') {
      const trigger = {
        source: 'sweep' as const,
        eventId: env.id,
        eventName: 'Scheduled Event',
        ...(env.time ? { eventTime: env.time } : {}),
      };
      return { kind: 'sweep', eventId: env.id, account: env.account, region: env.region, trigger };
    }
    return {
      kind: 'ignored',
      eventId: env.id,
      ref: accountRef(env),
      trigger: { source: 'cloudtrail', eventId: env.id, eventName: env.detailType },
      reason: `${env.source} "${env.detailType}" events are not handled`,
    };
  } catch (err) {
    // Parsers read every field defensively; this is the last line, so a surprise shape is a report, not a crash.
    return {
      kind: 'malformed',
      eventId: env.id,
      ref: accountRef(env),
      problem: `could not read ${env.detailType}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
