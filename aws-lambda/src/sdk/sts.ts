/**
 * The STS commands Reflex uses, for `import()` (see ./dynamodb.ts for why not the package itself). From
 * `@aws-sdk/nested-clients/sts`, the STS client the SDK's own credential providers use: neither
 * `@aws-sdk/credential-providers` nor `@aws-sdk/client-sts` is a dependency. A nested client has no default
 * credentials of its own, so the function's are given explicitly: the SDK's default chain (which the Lambda bundles
 * reduce to the environment, see build.ts).
 */
export { defaultProvider } from '@aws-sdk/credential-provider-node';
export { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
