/** @reflex/sim: the local clouds (moto for AWS, a spec-validated ARM emulator for Azure) and fault injection. */

export * from './arm/index.js';
export * from './azurite/index.js';
export * from './faults/index.js';
export * from './moto/index.js';
