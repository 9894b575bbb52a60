import type { Outcome, OutcomeStatus, Report } from '@reflex/core';
import { describe, expect, it } from 'vitest';
import { type Bot, finish } from '../src/handlers/bot.js';

interface Entry {
  what: string;
  counts: Record<string, number>;
  part?: string;
  report: { outcomes: { resource: string; status: string }[]; errors?: unknown[] };
}

function logged(): { bot: Bot; entries: Entry[] } {
  const entries: Entry[] = [];
  const logger = { info: (message: string, attrs: Entry) => message === 'reflex.report' && entries.push(attrs) };
  return { bot: { logger } as unknown as Bot, entries };
}

const outcomes = (status: OutcomeStatus, n: number): Outcome[] =>
  Array.from({ length: n }, (_, i) => ({
    resource: {
      cloud: 'aws',
      partition: 'aws',
      account: '123456789012',
      region: 'eu-west-1',
      type: 'AWS::S3::Bucket',
      id: `arn:aws:s3:::${status}-${i}`,
      name: `${status}-${i}`,
    },
    trigger: { source: 'sweep', eventId: 'sweep-1' },
    rule: 'publicStorage',
    status,
    reason: status,
  }));

describe('the report log', () => {
  it('a sweep counts compliant outcomes, lists the rest in parts, and names the errors once', () => {
    const { bot, entries } = logged();
    const report: Report = {
      outcomes: [...outcomes('compliant', 450), ...outcomes('ticketed', 250), ...outcomes('fixed', 1)],
      errors: [{ code: 'ListFailed', message: 'one region could not be listed' }],
    };
    expect(finish(bot, report, 'sweep')).toBe(report);
    expect(entries.map((e) => e.part)).toEqual(['1/2', '2/2']);
    for (const e of entries) expect(e.counts).toEqual({ compliant: 450, ticketed: 250, fixed: 1 });
    const listed = entries.flatMap((e) => e.report.outcomes);
    expect(listed).toHaveLength(251);
    expect(listed.filter((o) => o.status === 'compliant')).toEqual([]);
    expect(listed.at(-1)).toMatchObject({ resource: 'arn:aws:s3:::fixed-0', status: 'fixed' });
    expect(entries.map((e) => e.report.errors?.length ?? 0)).toEqual([1, 0]);
  });

  it('an event lists every outcome, compliant ones too, in one entry', () => {
    const { bot, entries } = logged();
    finish(bot, { outcomes: [...outcomes('compliant', 3), ...outcomes('fixed', 1)] }, 'event');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.part).toBeUndefined();
    expect(entries[0]!.report.outcomes.map((o) => o.status)).toEqual(['compliant', 'compliant', 'compliant', 'fixed']);
  });

  it('a sweep with everything compliant still logs its counts once', () => {
    const { bot, entries } = logged();
    finish(bot, { outcomes: outcomes('compliant', 5) }, 'sweep');
    expect(entries).toEqual([expect.objectContaining({ counts: { compliant: 5 }, report: { outcomes: [] } })]);
  });
});
