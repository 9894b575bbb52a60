/** @reflex/azure: Event Grid parsers, ARM readers and fixers, and the Functions v4 handlers. */
export { AzureAdapter, type AzureAdapterOptions } from './adapter.js';
export {
  ArmClientCache,
  type ArmClients,
  type ArmConnection,
  armConnectionFromEnv,
  PUBLIC_CLOUD_ARM,
} from './arm/clients.js';
export { ArmHttpError, isTransientArmError, statusOf } from './arm/errors.js';
export { Bot, type BotOptions, bot, configureBot } from './bot.js';
export { CONTAINED_TAG, type ContainmentNote } from './containment.js';
export * from './events/index.js';
export { handleDelivery, reflexEvents, reflexEventsWebhook, TransientFailure } from './functions/events.js';
export { reflexManual } from './functions/manual.js';
export {
  reflexSweep,
  SWEEP_CONCURRENCY,
  sweep,
  sweepConcurrency,
  sweepOptions,
  sweepTargets,
} from './functions/sweep.js';
export { CONTAIN_RULE_NAME, containPlacement } from './network/containNsg.js';
export { applyNsgSteps, describeNsgFix, planRuleWrites } from './network/fixNsg.js';
export { flowLogName, readVirtualNetwork, vnetTargetsForFlowLog } from './network/flowLogs.js';
export { ingressRuleOf, readNsg, sourceOf } from './network/readNsg.js';
export type { RuleWrite } from './network/securityRule.js';
export type { AzureReport } from './report.js';
export {
  LazyTable,
  type StateStores,
  stateStoresFromEnv,
  type TableAccount,
  TableAuditStore,
  TableBlastRadiusStore,
  TableEventLedger,
  TableLeaseStore,
  tableKey,
} from './state/tables.js';
export { applyStorageSteps, describeStorageFix, LOG_SETTING_NAME } from './storage/fixStorage.js';
export { logsBlobAccess, readStorageAccount } from './storage/readStorage.js';
