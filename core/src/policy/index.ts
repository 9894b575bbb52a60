export * from './jsonSchema.js';
export * from './load.js';
export * from './match.js';
export * from './resolve.js';
export * from './schema.js';
