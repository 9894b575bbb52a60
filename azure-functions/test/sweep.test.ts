import { describe, expect, it } from 'vitest';
import { SWEEP_CONCURRENCY, sweepConcurrency, sweepOptions } from '../src/functions/sweep.js';

describe('sweep concurrency', () => {
  it('is REFLEX_SWEEP_CONCURRENCY when it is a whole number from 1 to 256, else the default', () => {
    expect(sweepConcurrency({})).toBe(SWEEP_CONCURRENCY);
    expect(sweepConcurrency({ REFLEX_SWEEP_CONCURRENCY: '16' })).toBe(16);
    expect(sweepConcurrency({ REFLEX_SWEEP_CONCURRENCY: ' 64 ' })).toBe(64);
    for (const bad of ['0', '-4', '2.5', 'many', '1000', ''])
      expect(sweepConcurrency({ REFLEX_SWEEP_CONCURRENCY: bad }), bad).toBe(SWEEP_CONCURRENCY);
  });

  it('retries transiently failed resources in later rounds', () => {
    expect(sweepOptions({ REFLEX_SWEEP_CONCURRENCY: '16' })).toMatchObject({ concurrency: 16, retryRounds: 3 });
  });
});
