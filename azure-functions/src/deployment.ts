/**
 * `@reflex/azure/deployment`: what deploying the bot needs to know, without loading the bot. The RBAC operations
 * each rule's calls need and the Policy definitions the parser maps to rules, for `infra/azure` to generate the
 * custom role and Event Grid filters from. A separate entry because the package's main one loads the ARM clients
 * and the Functions handlers, which generating a template never runs.
 */
export { POLICY_RULES } from './events/policyDefinitions.js';
export { AZURE_PERMISSIONS, azureActionsFor } from './permissions.js';
