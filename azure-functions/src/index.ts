/**
 * @reflex/azure: the Functions v4 handlers and the bot behind them, the adapter the CLI drives, its ARM clients,
 * and the Event Grid parser. Each name here is used by another package or a test; what a deployment needs without
 * the SDKs (RBAC operations, Policy definitions) is `@reflex/azure/deployment`.
 */
export { AzureAdapter } from './adapter.js';
export { ArmClientCache, type ArmConnection, PUBLIC_CLOUD_ARM } from './arm/clients.js';
export { isTransientArmError, statusOf } from './arm/errors.js';
export { Bot, configureBot } from './bot.js';
export { CONTAINED_TAG } from './containment.js';
export { callerOf } from './events/caller.js';
export { governedResource } from './events/governed.js';
export { parseDelivery } from './events/parse.js';
export { reflexEvents, reflexEventsWebhook } from './functions/events.js';
export { reflexManual } from './functions/manual.js';
export { reflexSweep, sweepOptions, sweepTargets } from './functions/sweep.js';
export { CONTAIN_RULE_NAME } from './network/containNsg.js';
export { flowLogName } from './network/flowLogs.js';
