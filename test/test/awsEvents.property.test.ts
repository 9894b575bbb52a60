/** parseEvent on broken input: every published sample with one field deleted or replaced, and arbitrary values. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeClaims, grantsFromRequest, ingressFromConfigItem, ingressFromRequest, parseEvent } from '@reflex/aws';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutantOf } from '../fuzz.js';

const DIR = join(import.meta.dirname, '../../test/fixtures/events/aws');
const samples = Object.fromEntries(
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as unknown]),
);
const KINDS = ['targets', 'sweep', 'ignored', 'malformed'];

describe('parseEvent on broken events', () => {
  it('never throws; acts only on resources the event itself names, and says why it does not act', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(mutantOf(samples), ({ event }) => {
        const parsed = parseEvent(event);
        expect(KINDS).toContain(parsed.kind);
        seen.set(parsed.kind, (seen.get(parsed.kind) ?? 0) + 1);
        const text = JSON.stringify(event) ?? '';
        if (parsed.kind === 'targets') {
          for (const t of parsed.targets) {
            expect(t.ref.cloud).toBe('aws');
            expect(t.ref.name).toMatch(/\S/);
            // What Reflex would change must come from the event, never from a default or a guess.
            expect(text).toContain(t.ref.name);
            expect(text).toContain(t.ref.account);
          }
        }
        if (parsed.kind === 'ignored') expect(parsed.reason).toMatch(/\w/);
        if (parsed.kind === 'malformed') expect(parsed.problem).toMatch(/\w/);
      }),
      { numRuns: 3000 },
    );
    // Most mutants still name a resource; the rest must have been turned away, not silently dropped.
    expect(seen.get('targets')).toBeGreaterThan(1000);
    expect((seen.get('ignored') ?? 0) + (seen.get('malformed') ?? 0)).toBeGreaterThan(50);
  });

  it('the evidence read from a broken event (the claims logged, the grants and rules it says it set) never throws', () => {
    const field = (e: unknown, ...path: string[]) =>
      path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), e);
    fc.assert(
      fc.property(mutantOf(samples), ({ event }) => {
        const request = field(event, 'detail', 'requestParameters');
        expect(Array.isArray(describeClaims(ingressFromRequest(request)))).toBe(true);
        expect(Array.isArray(grantsFromRequest(request))).toBe(true);
        const item = field(event, 'detail', 'configurationItem', 'configuration');
        expect(Array.isArray(ingressFromConfigItem(item))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('reports anything that is not an EventBridge event as malformed, without throwing', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = parseEvent(value);
        expect(KINDS).toContain(parsed.kind);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) expect(parsed.kind).toBe('malformed');
      }),
      { numRuns: 500 },
    );
  });
});
