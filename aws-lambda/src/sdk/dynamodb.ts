/**
 * The DynamoDB commands Reflex uses, for `import()`: a dynamic import of the package itself keeps its whole namespace
 * (every command and schema) in the bundle, a module of named imports lets esbuild drop the rest.
 */
export {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
