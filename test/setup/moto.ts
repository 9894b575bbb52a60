/**
 * vitest global setup: the AWS tests need moto's server mode. Found, or provisioned once into the project's
 * `.reflex/moto` venv, before any test runs; the workers then use that interpreter. When it cannot be had, the run
 * fails here with the two lines that say what is missing and how to install it: CI never skips AWS silently.
 */
import { MotoUnavailableError, resolveMotoPython } from '@reflex/sim';

export async function setup(): Promise<void> {
  try {
    process.env['REFLEX_PYTHON'] = await resolveMotoPython();
  } catch (err) {
    if (err instanceof MotoUnavailableError) throw new Error(`npm test needs the local AWS.\n${err.message}`);
    throw err;
  }
}
