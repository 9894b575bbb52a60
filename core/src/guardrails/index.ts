export * from './blastRadius.js';
export * from './exemption.js';
export * from './lease.js';
export * from './ledger.js';
