/**
 * `@reflex/aws/deployment`: what deploying the bot needs to know, without loading the bot. The IAM each rule's
 * calls need and the events the parsers handle, for `infra/aws` to build least-privilege roles and EventBridge
 * patterns from. A separate entry because the package's main one loads the SDK clients and handlers, which a CDK
 * synth never runs; this one loads the permission table and the parsers' event lists only.
 */

export { S3_ACCOUNT_CALLS, S3_BUCKET_CALLS } from './events/cloudtrail.js';
export { CONFIG_RULES } from './events/config.js';
export { SECURITY_HUB_CONTROLS } from './events/securityhub.js';
export {
  AWS_RULE_RESOURCE,
  type AwsPermissionNeeds,
  type AwsResourceKind,
  type AwsResourceScope,
  awsStatementsFor,
} from './permissions.js';
