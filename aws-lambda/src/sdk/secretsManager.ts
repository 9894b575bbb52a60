/** The Secrets Manager commands Reflex uses, for `import()` (see ./dynamodb.ts for why not the package itself). */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
