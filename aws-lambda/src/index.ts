/** @reflex/aws: AWS events → targets, S3 / EC2 / CloudTrail / account readers and fixers, Lambda handlers. */

export { AwsAdapter } from './adapter.js';
export { LogAuditSink } from './audit.js';
export {
  type AwsClientOptions,
  type AwsClients,
  type ClientsForRegion,
  cachedClients,
  createAwsClients,
} from './clients.js';
export { errorCode, isTransient } from './errors.js';
export * from './events/index.js';
export { type Bot, type BotDeps, createBot, type InvocationContext, TransientFailure } from './handlers/bot.js';
export { createEventsHandler } from './handlers/events.js';
export { createManualHandler } from './handlers/manual.js';
export { resolveLookup, sweepTargets } from './sweep.js';
