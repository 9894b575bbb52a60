/** parseDelivery on broken input: every published sample with one field deleted or replaced, and arbitrary values. */
import { parseDelivery } from '@reflex/azure';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { azureSamples, mutantOf } from '../fuzz.js';

const samples = azureSamples({
  subscription: '11111111-2222-3333-4444-555555555555',
  resourceGroup: 'rg',
  account: 'st1',
});
const KINDS = ['targets', 'ignored', 'validation'];

describe('parseDelivery on broken deliveries', () => {
  it('never throws; acts only on resources the event itself names, and says why it does not act', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(mutantOf(samples), ({ event }) => {
        const verdicts = parseDelivery(event);
        const text = (JSON.stringify(event) ?? '').toLowerCase();
        for (const v of verdicts) {
          expect(KINDS).toContain(v.kind);
          seen.set(v.kind, (seen.get(v.kind) ?? 0) + 1);
          if (v.kind === 'targets')
            for (const t of v.targets) {
              expect(t.ref.cloud).toBe('azure');
              expect(t.ref.name).toMatch(/\S/);
              // ARM ids are case-insensitive; what Reflex would change must still come from the event.
              expect(text).toContain(t.ref.id.toLowerCase());
            }
          if (v.kind === 'ignored') expect(v.reason).toMatch(/\w/);
          if (v.kind === 'validation') expect(v.validationCode).toMatch(/\S/);
        }
      }),
      { numRuns: 3000 },
    );
    expect(seen.get('targets')).toBeGreaterThan(500);
    expect(seen.get('ignored')).toBeGreaterThan(50);
  });

  it('turns away anything that is not an Event Grid or CloudEvents delivery, without throwing', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        for (const v of parseDelivery(value)) expect(v.kind).toBe('ignored');
      }),
      { numRuns: 500 },
    );
  });
});
