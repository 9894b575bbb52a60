export * from './sinks.js';
