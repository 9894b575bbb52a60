import { describe, expect, it } from 'vitest';
import { checkExemption, parseExemption, tagExemption } from '../src/index.js';

const now = new Date('2026-11-24T12:00:00Z');
const check = (value: string, rule: 'openIngress' | 'publicStorage' = 'openIngress') =>
  checkExemption({ 'reflex:exempt': value }, 'reflex:exempt', rule, now, 90);

describe('exemption tags', () => {
  it('parses rules, reason and expiry; a bare date lasts the whole day', () => {
    expect(parseExemption('openIngress, publicStorage; reason=INC-123 load test; until=2026-12-31')).toEqual({
      rules: ['openIngress', 'publicStorage'],
      reason: 'INC-123 load test',
      until: new Date('2026-12-31T23:59:59.999Z'),
    });
    expect(parseExemption('*; reason=r; until=2026-12-01T10:00:00Z')).toMatchObject({ rules: 'all' });
  });

  it('is active for the named rule until it expires', () => {
    expect(check('openIngress; reason=INC-123 load test; until=2026-12-31').state).toBe('active');
    expect(check('openIngress; reason=INC-123; until=2026-12-31', 'publicStorage').state).toBe('not-for-rule');
    expect(check('openIngress; reason=INC-123; until=2026-11-23').state).toBe('expired');
  });

  it('reports malformed tags instead of honouring them', () => {
    expect(check('openIngress; until=2026-12-31')).toEqual({
      state: 'malformed',
      problem: 'tag reflex:exempt has no reason=',
    });
    expect(check('openIngress; reason=x')).toMatchObject({
      state: 'malformed',
      problem: expect.stringMatching(/no until/),
    });
    expect(check('openIngres; reason=x; until=2026-12-31')).toMatchObject({
      problem: expect.stringMatching(/unknown rule openIngres/),
    });
    expect(check('openIngress; reason=x; until=someday')).toMatchObject({
      problem: expect.stringMatching(/not a date/),
    });
    expect(check('openIngress; reason=x; until=2030-01-01')).toMatchObject({
      problem: expect.stringMatching(/more than 90 days/),
    });
  });

  it('finds the tag whatever its key casing and ignores other tags', () => {
    expect(
      checkExemption({ 'Reflex:Exempt': 'all; reason=x; until=2026-12-01' }, 'reflex:exempt', 'openIngress', now, 90)
        .state,
    ).toBe('active');
    expect(checkExemption({ team: 'x' }, 'reflex:exempt', 'openIngress', now, 90).state).toBe('none');
  });
});

describe('tag exemptions under the policy (issue 18, item 11)', () => {
  const value = 'openIngress, publicStorage; reason=INC-7 load test; until=2026-12-31';
  const settings = (tags: boolean | { rules: ('openIngress' | 'publicStorage')[] }) => ({
    tag: 'reflex:exempt',
    maxDays: 90,
    tags,
  });
  const tagWrite = {
    source: 'cloudtrail' as const,
    eventId: 'e',
    actor: 'arn:aws:iam::123456789012:user/mallory',
    tagsWritten: ['reflex:exempt'],
  };

  it('honoured by default, recording the tag, its value and who set it when the event wrote it', () => {
    const ex = tagExemption({ 'reflex:exempt': value }, settings(true), 'openIngress', now, tagWrite);
    expect(ex).toMatchObject({
      state: 'active',
      record: {
        tag: 'reflex:exempt',
        value,
        until: '2026-12-31T23:59:59.999Z',
        reason: 'INC-7 load test',
        setBy: 'arn:aws:iam::123456789012:user/mallory',
      },
    });
    // An event that wrote other tags (or none) does not say who set this one.
    const other = tagExemption({ 'reflex:exempt': value }, settings(true), 'openIngress', now, {
      ...tagWrite,
      tagsWritten: ['team'],
    });
    expect(other.state === 'active' && other.record.setBy).toBeUndefined();
    const all = tagExemption({ 'Reflex:Exempt': value }, settings(true), 'openIngress', now, {
      ...tagWrite,
      tagsWritten: 'all',
    });
    expect(all.state === 'active' && all.record.setBy).toBe(tagWrite.actor);
  });

  it('tags: false refuses every tag; tags: { rules } only the rules it names', () => {
    expect(tagExemption({ 'reflex:exempt': value }, settings(false), 'openIngress', now)).toEqual({
      state: 'refused',
      problem: 'tag reflex:exempt ignored: tag exemptions are off in the policy',
    });
    const some = settings({ rules: ['publicStorage'] });
    expect(tagExemption({ 'reflex:exempt': value }, some, 'openIngress', now)).toMatchObject({
      state: 'refused',
      problem: expect.stringMatching(/only for publicStorage/),
    });
    expect(tagExemption({ 'reflex:exempt': value }, some, 'publicStorage', now).state).toBe('active');
    expect(tagExemption({}, settings(false), 'openIngress', now).state).toBe('none');
  });
});
