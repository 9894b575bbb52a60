/** @reflex/core: the cloud-neutral model, rules, policy, guardrails, engine, tickets and audit. */

export * from './audit/index.js';
export * from './engine/index.js';
export * from './errors.js';
export * from './guardrails/index.js';
export * from './logText.js';
export * from './manual.js';
export * from './model/index.js';
export * from './policy/index.js';
export * from './rules/index.js';
export * from './tickets/index.js';
