/**
 * A fixed piece of CPU work, timed: the same in every run, so two BENCHMARKS.md can be compared for how fast the
 * machine itself was (shared VMs vary by tens of percent between hours). Not a target; a yardstick.
 */
import { createHash } from 'node:crypto';
import { median } from './stats.js';

const DOC = {
  outcomes: Array.from({ length: 200 }, (_, i) => ({
    resource: `arn:aws:s3:::bucket-${i}`,
    rule: 'publicStorage',
    status: i % 3 ? 'compliant' : 'fixed',
    reason: 'no finding',
    evidence: ['Block Public Access off: BlockPublicAcls', `ACL grants READ to AllUsers (${i})`],
  })),
};

function work(): number {
  let digest = '';
  for (let i = 0; i < 200; i++) {
    const text = JSON.stringify(DOC);
    const back = JSON.parse(text) as typeof DOC;
    digest = createHash('sha256').update(text).update(String(back.outcomes.length)).digest('hex');
  }
  return digest.length;
}

/** Median wall time of the fixed work, in ms (after a warm-up). */
export function calibrate(runs = 7): number {
  work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    work();
    times.push(performance.now() - t);
  }
  return median(times);
}
