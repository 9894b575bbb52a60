export * from './concurrency.js';
export * from './ports.js';
export * from './remediate.js';
export * from './summary.js';
