/**
 * Malformed events made from real ones: one field of a published sample deleted or replaced by any JSON value.
 * Closer to what goes wrong in practice (a field missing, a string where an object was) than random JSON alone.
 */
import fc from 'fast-check';
export interface Mutant {
  sample: string;
  path: string;
  event: unknown;
}
/** One of `samples` (name → parsed JSON) with one value deleted or replaced. */
export declare function mutantOf(samples: Record<string, unknown>): fc.Arbitrary<Mutant>;
