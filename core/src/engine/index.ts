export * from './concurrency.js';
export * from './contain.js';
export * from './ports.js';
export * from './remediate.js';
export * from './reportLog.js';
export * from './summary.js';
export * from './undo.js';
