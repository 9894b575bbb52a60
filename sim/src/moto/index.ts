export {
  type AwsClientConfig,
  awsClientConfig,
  type FixedEndpoint,
  loopbackEndpoint,
  MOTO_ACCOUNT_ID,
  MOTO_CREDENTIALS,
  MOTO_REGION,
  s3ControlEndpointProvider,
} from './client-config.js';
export { freeLoopbackPort } from './free-port.js';
export {
  checkMoto,
  type MotoCheck,
  type MotoOptions,
  type MotoServer,
  MotoStartError,
  MotoUnavailableError,
  startMoto,
} from './server.js';
