import type { TrailPosture } from '../model/index.js';
import { ruleConfig } from '../policy/ruleConfig.js';
import type { RuleDef } from './types.js';

const config = ruleConfig();
export type StartTrailLoggingFix = { type: 'start-trail-logging' };

/** "Enable CloudTrail before anything else": a stopped trail blinds every other control. */
export const trailLoggingStopped: RuleDef<'trailLoggingStopped', TrailPosture, typeof config, StartTrailLoggingFix> = {
  name: 'trailLoggingStopped',
  appliesTo: 'trail',
  severity: 'critical',
  description: 'A CloudTrail trail whose logging was stopped (StopLogging). The fix is StartLogging on the trail.',
  config,
  fixes: { 'start-trail-logging': () => 'start CloudTrail logging' },
  evaluate(p) {
    if (p.logging) return null;
    return {
      rule: 'trailLoggingStopped',
      resource: p.ref,
      severity: 'critical',
      title: `CloudTrail trail ${p.ref.name} is not logging`,
      evidence: ['trail status: IsLogging=false'],
      fixes: [{ type: 'start-trail-logging' }],
    };
  },
};
