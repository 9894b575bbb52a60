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
  MOTO_REQUIREMENT,
  type MotoPlan,
  type MotoProbe,
  motoMissingMessage,
  motoVenvDir,
  planMoto,
  provisionMoto,
} from './provision.js';
export {
  checkMoto,
  ensureMoto,
  type MotoCheck,
  type MotoOptions,
  type MotoServer,
  MotoStartError,
  MotoUnavailableError,
  resolveMotoPython,
  startMoto,
} from './server.js';
