/** parsePolicy on broken policy files: the shipped example with one value deleted or replaced, and any text. */
import { readFileSync } from 'node:fs';
import { PolicyError, parsePolicy } from '@reflex/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mutantOf } from '../fuzz.js';

const EXAMPLE = parse(readFileSync(new URL('../../infra/reflex.example.yaml', import.meta.url), 'utf8')) as unknown;

/** A policy, or one PolicyError that names where each problem is; nothing else may come out. */
function outcome(text: string): 'valid' | 'invalid' {
  try {
    parsePolicy(text, 'reflex.yaml');
    return 'valid';
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    const e = err as PolicyError;
    expect(e.problems.length).toBeGreaterThan(0);
    for (const p of e.problems) expect(p).toMatch(/^(line \d+|\(root\)|[\w.-]+): \S/);
    expect(e.message).toContain('reflex.yaml');
    return 'invalid';
  }
}

describe('parsePolicy on broken policy files', () => {
  it('the shipped example is valid', () => {
    expect(outcome(JSON.stringify(EXAMPLE))).toBe('valid');
  });

  it('a changed example is either a valid policy or one PolicyError naming every problem', () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(mutantOf({ example: EXAMPLE }), ({ event }) => {
        seen[outcome(JSON.stringify(event) ?? '')]++;
      }),
      { numRuns: 1500 },
    );
    // Both sides exercised: deleting an optional key keeps it valid, a wrong type does not.
    expect(seen.valid).toBeGreaterThan(50);
    expect(seen.invalid).toBeGreaterThan(50);
  });

  it('any text is either a valid policy or a PolicyError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        outcome(text);
      }),
      { numRuns: 1000 },
    );
  });
});
