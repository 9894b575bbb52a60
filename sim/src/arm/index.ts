// The ARM emulator: Azure Resource Manager semantics for the resources Reflex touches, held to
// Microsoft's REST specs (oav), over TLS with a locally generated certificate.
export {
  type AdditionalPolicyConfig,
  type ArmClientOptions,
  armClientOptions,
  staticArmCredential,
  trustCertificatePolicy,
} from './clients.js';
export type { ContractViolation } from './contract.js';
export type {
  ArmEvent,
  CloudEvent,
  EventGridEvent,
  Principal,
  ResourceEventData,
  ResourceEventType,
} from './events.js';
export { DEFAULT_PRINCIPAL } from './events.js';
export type { ArmFaultKind, ArmFaultMatch, ArmFaultSettings } from './faults.js';
export { type ArmEmulator, type ArmEmulatorOptions, type RecordedCall, startArmEmulator } from './server.js';
export { SPEC_FILES, specRoot } from './spec.js';
