export * from './finding.js';
export * from './outcome.js';
export * from './posture.js';
export * from './refs.js';
