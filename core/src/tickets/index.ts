export * from './sinks.js';
export * from './ticket.js';
