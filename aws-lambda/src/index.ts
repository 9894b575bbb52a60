/** @reflex/aws: AWS events → targets, S3 / EC2 / CloudTrail / account readers and fixers, Lambda handlers. */

export { AwsAdapter, type AwsAdapterOptions } from './adapter.js';
export { LogAuditSink, LoggedAuditStore } from './audit.js';
export {
  type AwsClientOptions,
  type AwsClients,
  type ClientsForRegion,
  type CredentialsProvider,
  cachedClients,
  createAwsClients,
  type StaticCredentials,
  type TemporaryCredentials,
} from './clients.js';
export { CONTAINED_TAG, type ContainmentContext, QUARANTINE_GROUP } from './ec2/instance.js';
export { errorCode, isTransient } from './errors.js';
export * from './events/index.js';
export {
  type Bot,
  type BotDeps,
  createBot,
  type InvocationContext,
  reachable,
  TransientFailure,
} from './handlers/bot.js';
export { createEventsHandler } from './handlers/events.js';
export {
  createManualHandler,
  type FunctionUrlEvent,
  type HttpAnswer,
  lockdownExceptions,
  type ManualHandler,
  type ManualReport,
  statusOf,
} from './handlers/manual.js';
export { isResponder, type ManualInvocation, manualInvocation, respondersOf } from './handlers/manualCaller.js';
export {
  type AssumeRole,
  type AssumeRoleRequest,
  assumedRoleCredentials,
  type MemberAccountSettings,
  memberAccountClients,
  memberAccountSettings,
  memberRoleArn,
  roleSessionName,
  stsAssumeRole,
} from './memberAccounts.js';
export { type CallerIdentity, OwnIdentity, roleArnOf, stsCallerIdentity } from './ownIdentity.js';
export { exceptPrincipalPatterns, LOCKDOWN_SID } from './s3/containment.js';
export {
  parseSecretReference,
  type ResolvedEnv,
  resolveSecretReferences,
  SECRET_REFERENCE,
  type SecretOptions,
} from './secrets.js';
export {
  DynamoDbAuditStore,
  DynamoDbBlastRadiusStore,
  DynamoDbEventLedger,
  DynamoDbLeaseStore,
  type DynamoStoreOptions,
} from './state/dynamodb.js';
export { resolveLookup, sweepTargets } from './sweep.js';
