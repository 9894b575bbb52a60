/** The STS command the bot learns its own role with, for `import()` (see ./dynamodb.ts for why a module of its own). */
export { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
