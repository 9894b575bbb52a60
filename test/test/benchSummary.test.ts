/** The harness's arithmetic: critical path, ratio, own overhead and "calls alone" from timed calls. */
import { describe, expect, it } from 'vitest';
import { type Sample, summarise } from '../bench/scenario.js';
import { criticalPath } from '../bench/stats.js';

// Two reads sent at once, the second queued behind the first (a backend that serves one call at a time), then a
// write, then a verifying read: depth 3.
const run = (offset: number): Sample => ({
  wallMs: 20,
  backendCalls: 4,
  timed: [
    { label: 'read-a', start: offset + 1, end: offset + 5 },
    { label: 'read-b', start: offset + 1, end: offset + 9 },
    { label: 'write', start: offset + 10, end: offset + 14 },
    { label: 'verify', start: offset + 15, end: offset + 19 },
  ],
});

describe('criticalPath', () => {
  it('follows the chain with the most call time, counting queueing in a parallel batch', () => {
    const path = criticalPath(run(0).timed);
    expect(path.depth).toBe(3);
    expect(path.chain).toEqual(['read-b', 'write', 'verify']);
    expect(path.callMs).toBe(16);
  });
});

describe('summarise', () => {
  it('holds the wall time to depth × RTT and the critical-path calls to depth × wire RTT', () => {
    const r = summarise('aws', 'x', 'e', [run(0), run(100), run(200)], { call: 'GET', sdk: [5, 5], wire: [4, 4] }, []);
    expect(r.depth).toBe(3);
    expect(r.calls).toBe(4);
    expect(r.rttMs).toBe(5);
    expect(r.rttWireMs).toBe(4);
    expect(r.rttCall).toBe('GET');
    expect(r.ratioP50).toBeCloseTo(20 / (3 * 5));
    // 16 ms of calls on the path against 3 × 4 ms: the queued read alone puts it above 1.25.
    expect(r.callsAloneP50).toBeCloseTo(16 / 12);
    expect(r.overheadP50).toBeCloseTo(4);
    expect(r.problems).toEqual([]);
  });

  it('says when the backend logged a different number of calls than the client timed', () => {
    const odd = { ...run(0), backendCalls: 5 };
    const r = summarise('aws', 'x', 'e', [odd], { call: 'GET', sdk: [5], wire: [4] }, []);
    expect(r.problems.join()).toMatch(/counts differ/);
  });
});
