export { callerOf } from './caller.js';
export { deliveryItems, type GridEvent, readEnvelope } from './envelope.js';
export { governedResource } from './governed.js';
export { type EventVerdict, parseDelivery } from './parse.js';
export { POLICY_RULES, rulesForPolicyDefinition } from './policyDefinitions.js';
