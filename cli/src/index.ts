export { type DemoClouds, type DemoOptions, type DemoResult, runDemo } from './demo/index.js';
export { buildProgram, EXIT, type Io } from './program.js';
export type { CliDeps } from './session.js';
