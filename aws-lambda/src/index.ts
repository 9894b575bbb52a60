/**
 * @reflex/aws: the Lambda handlers, the adapter the CLI drives, the clients and state stores they run on, and the
 * event parser. Each name here is used by another package or a test; what a deployment needs without the SDKs
 * (permissions, event tables) is `@reflex/aws/deployment`.
 */

export { AwsAdapter } from './adapter.js';
export { LogAuditSink } from './audit.js';
export { type AwsClients, type ClientsForRegion, cachedClients, createAwsClients } from './clients.js';
export { CONTAINED_TAG, QUARANTINE_GROUP } from './ec2/instance.js';
export { describeClaims, grantsFromRequest, ingressFromConfigItem, ingressFromRequest } from './events/evidence.js';
export { parseEvent } from './events/index.js';
export { type BotDeps, type InvocationContext, TransientFailure } from './handlers/bot.js';
export { createEventsHandler } from './handlers/events.js';
export {
  createManualHandler,
  type FunctionUrlEvent,
  type ManualHandler,
  type ManualReport,
} from './handlers/manual.js';
export { stsAssumeRole } from './memberAccounts.js';
export { stsCallerIdentity } from './ownIdentity.js';
export { LOCKDOWN_SID } from './s3/containment.js';
export { resolveSecretReferences } from './secrets.js';
export {
  DynamoDbAuditStore,
  DynamoDbBlastRadiusStore,
  DynamoDbEventLedger,
  DynamoDbLeaseStore,
} from './state/dynamodb.js';
export { sweepTargets } from './sweep.js';
