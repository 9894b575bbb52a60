/** The harness's arithmetic: critical path, ratio, own overhead and "calls alone" from timed calls. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { backendFloor, bareRead, factorOf, measureParallelism, waves } from '../bench/parallelism.js';
import { checks, printTable, type Results } from '../bench/report.js';
import { type Sample, summarise } from '../bench/scenario.js';
import { criticalPath } from '../bench/stats.js';
import type { SweepRun } from '../bench/sweep.js';

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

describe('backend floor', () => {
  it('groups a run into the waves it sent together: two reads, a write, a verifying read', () => {
    expect(waves(run(0).timed)).toEqual([2, 1, 1]);
    expect(waves([])).toEqual([]);
  });

  it('adds up what each wave costs on the backend, past the measured k by the last step', () => {
    const serial = { call: 'GET', factor: [0, 1, 2, 3] };
    expect(factorOf(serial, 2)).toBe(2);
    expect(factorOf(serial, 5)).toBe(5);
    expect(backendFloor(serial, [4, 2, 2], 3)).toBeCloseTo(8 / 3);
    // A backend that serves in parallel: one round trip a wave, whatever the count.
    expect(backendFloor({ call: 'GET', factor: [0, 1, 1.05, 1.1] }, [2, 1, 1], 3)).toBeCloseTo(3.05 / 3);
  });

  it('is carried into the summary and the verdict line', () => {
    const p = { call: 'GET', factor: [0, 1, 2] };
    const r = summarise('aws', 'x', 'e', [run(0)], { call: 'GET', sdk: [5], wire: [4] }, [], p);
    expect(r.waves).toEqual([2, 1, 1]);
    expect(r.backendFloor).toBeCloseTo(4 / 3);
    const results: Results = {
      quick: true,
      started: new Date(0),
      totalSeconds: 1,
      motoVersion: '-',
      warm: [r],
      sweeps: [],
      notes: [],
    };
    const ratio = checks(results).find((c) => c.what.endsWith('ratio p50'));
    expect(ratio?.value).toMatch(/backend floor 1\.33\)$/);
  });

  it('measures a server that answers one request at a time as taking k round trips for k reads', async () => {
    // A server that holds each request 4 ms and takes the next only then: k reads at once take about k × 4 ms.
    let busy = Promise.resolve();
    const server = createServer((_req, res) => {
      const answer = (done: () => void) => {
        res.end('ok');
        done();
      };
      busy = busy.then(() => new Promise<void>((done) => setTimeout(() => answer(done), 4)));
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const p = await measureParallelism('GET /', bareRead(url), 3, 8);
      expect(p.factor[1]).toBe(1);
      expect(p.factor[3]).toBeGreaterThan(2.2);
    } finally {
      server.closeAllConnections();
      await new Promise((closed) => server.close(closed));
    }
  });
});

describe('checks', () => {
  const results = (sweeps: SweepRun[]): Results => ({
    quick: false,
    started: new Date(0),
    totalSeconds: 1,
    motoVersion: '5.2.1',
    warm: [],
    cold: {
      bareMs: 60,
      results: [
        {
          name: 'events.mjs',
          bytes: 780_000,
          entryBytes: 20_000,
          chunks: 13,
          builtAt: '',
          wallMs: 125,
          initMs: 65,
          importMs: 60,
          runs: 15,
          problems: [],
        },
      ],
    },
    sweeps,
    notes: [],
  });
  const bot = (resources: number, ms: number): SweepRun => ({
    cloud: 'aws',
    who: 'bot',
    resources,
    concurrency: 16,
    ms,
    perSecond: resources / (ms / 1000),
    calls: 3 * resources,
    throttleRate: 0,
    failed: 0,
    via: 'events handler',
  });

  it('gives no sweep verdict for a run that measured no sweep (--only=cold), and prints only what it measured', () => {
    const r = results([]);
    expect(checks(r).map((c) => [c.what, c.pass])).toEqual([
      ['events.mjs: size', true],
      ['events.mjs: init over bare node', true],
    ]);
    const printed = printTable(r);
    expect(printed).toContain('Cold start');
    expect(printed).not.toContain('Sweep scale');
    expect(printed).toContain('every target met');
  });

  it('says plainly when a sweep ran but its growth could not be measured', () => {
    const growth = checks(results([bot(1000, 8000)])).find((c) => c.what === 'aws sweep growth');
    expect(growth).toMatchObject({ pass: false, value: 'not measured (1 count in this run)' });
  });

  it('fits growth over three or more counts', () => {
    const growth = checks(results([bot(1000, 8000), bot(2000, 16_000), bot(4000, 32_000)])).find((c) =>
      c.what.startsWith('aws sweep growth'),
    );
    expect(growth?.pass).toBe(true);
    expect(growth?.value).toMatch(/^R² 1\.000, ×2\.00 per doubling$/);
  });
});
