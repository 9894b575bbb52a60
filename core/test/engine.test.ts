import { beforeEach, describe, expect, it } from 'vitest';
import {
  type Alarm,
  awsRefs,
  type EnginePorts,
  handleTargets,
  InMemoryBlastRadiusStore,
  InMemoryEventLedger,
  MemoryAuditStore,
  MemoryTicketSink,
  parsePolicy,
  remediate,
  type StoragePosture,
  type Target,
} from '../src/index.js';
import { ACCOUNT, FakeCloud, privateBucket, publicBucket } from './fakeCloud.js';

const enforce = parsePolicy(
  'version: 1\nmode: enforce\nidentities: { aws: ["arn:aws:iam::123456789012:role/reflex-remediator"] }',
);
const dryRun = parsePolicy('version: 1');
const now = new Date('2026-11-24T12:00:00Z');

let cloud: FakeCloud;
let tickets: MemoryTicketSink;
let audit: MemoryAuditStore;
let alarms: Alarm[];
let ports: EnginePorts;
const target = (name = 'public-bucket', trigger: Partial<Target['trigger']> = {}): Target => ({
  ref: awsRefs.bucket(name, ACCOUNT, 'us-east-1'),
  trigger: {
    source: 'cloudtrail',
    eventId: 'evt-1',
    actor: 'arn:aws:iam::123456789012:user/alice',
    eventName: 'PutBucketAcl',
    ...trigger,
  },
});

beforeEach(() => {
  cloud = new FakeCloud();
  tickets = new MemoryTicketSink();
  audit = new MemoryAuditStore();
  alarms = [];
  ports = {
    adapter: cloud,
    tickets,
    audit,
    blastRadius: new InMemoryBlastRadiusStore(),
    ledger: new InMemoryEventLedger(),
    clock: { now: () => now },
    onAlarm: (a) => alarms.push(a),
  };
  cloud.put(publicBucket());
});

describe('engine', () => {
  it('enforce: applies the fixes, verifies on a re-read, records before/after', async () => {
    const outcomes = await remediate(target(), enforce, ports);
    const ps = outcomes.find((o) => o.rule === 'publicStorage')!;
    expect(ps.status).toBe('fixed');
    expect(cloud.writes.map((w) => w.fix)).toEqual(['block-public-access', 'remove-public-grants']);
    const after = cloud.get(target().ref);
    expect(after?.kind === 'storage' && after.publicAccess.acl?.grants.map((g) => g.grantee)).toEqual(['owner-id']);
    expect(cloud.reads).toBe(2); // one read, one verifying read
    expect(audit.records).toHaveLength(2);
    expect(audit.records[1]).toMatchObject({
      remediationId: ps.remediationId,
      status: 'applied',
      rule: 'publicStorage',
      correlation: { eventId: 'evt-1', actor: 'arn:aws:iam::123456789012:user/alice', requestIds: ['req-2'] },
    });
    expect((audit.records[1]!.before as { grants: unknown[] }).grants).toHaveLength(2);
    // The other rules on the bucket were evaluated and found compliant.
    expect(outcomes.filter((o) => o.status === 'compliant').map((o) => o.rule)).toEqual([
      'unencryptedStorage',
      'storageWithoutLogging',
      'insecureTransport',
    ]);
    expect(tickets.tickets).toEqual([]);
  });

  it('dry-run: no write at all, one ticket with the exact steps and how to apply and exempt', async () => {
    const outcomes = await remediate(target(), dryRun, ports);
    expect(cloud.writes).toEqual([]);
    expect(outcomes.find((o) => o.rule === 'publicStorage')).toMatchObject({
      status: 'ticketed',
      reason: 'rule publicStorage is in dry-run mode',
    });
    expect(tickets.tickets).toHaveLength(1);
    const t = tickets.tickets[0]!;
    expect(t).toMatchObject({
      rule: 'publicStorage',
      severity: 'critical',
      trigger: {
        source: 'cloudtrail',
        eventId: 'evt-1',
        actor: 'arn:aws:iam::123456789012:user/alice',
        eventName: 'PutBucketAcl',
      },
      howToApply: 'reflex remediate arn:aws:s3:::public-bucket --rule publicStorage',
    });
    expect(t.steps.map((s) => s.api)).toEqual(['Fake:block-public-access', 'Fake:remove-public-grants']);
    expect(t.howToExempt).toMatch(/"reflex:exempt":"publicStorage; reason=/);
    // Deterministic: the same resource and rule give the same key.
    await remediate(target(), dryRun, ports);
    expect(tickets.tickets[1]!.dedupeKey).toBe(t.dedupeKey);
  });

  it('a manual dryRun overrides an enforcing policy', async () => {
    const [o] = (await remediate(target('public-bucket', { source: 'manual', dryRun: true }), enforce, ports)).filter(
      (x) => x.rule === 'publicStorage',
    );
    expect(o).toMatchObject({ status: 'ticketed', reason: 'dry-run requested' });
    expect(cloud.writes).toEqual([]);
  });

  it('kill switch: everything is ticketed', async () => {
    const killed = parsePolicy('version: 1\nmode: enforce\nkillSwitch: true');
    const outcomes = await remediate(target(), killed, ports);
    expect(outcomes.find((o) => o.rule === 'publicStorage')?.reason).toMatch(/kill switch/);
    expect(cloud.writes).toEqual([]);
  });

  it('every rule for the resource type off: not even a read', async () => {
    const off = parsePolicy(
      'version: 1\nmode: enforce\nrules: { publicStorage: { mode: off }, unencryptedStorage: { mode: off }, storageWithoutLogging: { mode: off }, insecureTransport: { mode: off } }',
    );
    expect(await remediate(target(), off, ports)).toEqual([
      expect.objectContaining({ status: 'ignored', reason: 'every rule for AWS::S3::Bucket is off in the policy' }),
    ]);
    expect(cloud.reads).toBe(0);
  });

  it('mode off: the rule is not evaluated', async () => {
    const off = parsePolicy('version: 1\nmode: enforce\nrules: { publicStorage: { mode: off } }');
    const outcomes = await remediate(target(), off, ports);
    expect(outcomes.some((o) => o.rule === 'publicStorage')).toBe(false);
    expect(cloud.writes).toEqual([]);
    expect(cloud.scopes).toEqual([['unencryptedStorage', 'storageWithoutLogging', 'insecureTransport']]);
  });

  it('a sweep screen: nothing found there, nothing read; a finding there is decided on a fresh read', async () => {
    const clean = { ...target('private-bucket'), screen: privateBucket() };
    cloud.put(privateBucket());
    const quiet = await remediate(clean, enforce, ports);
    expect(quiet.every((o) => o.status === 'compliant' && /bulk read/.test(o.reason))).toBe(true);
    expect(cloud.reads).toBe(0);

    // The listing saw it public; someone fixed it since: the fresh read decides, nothing is written.
    const stale = await remediate(
      { ...target('private-bucket'), screen: publicBucket('private-bucket') },
      enforce,
      ports,
    );
    expect(cloud.reads).toBe(1);
    expect(stale.every((o) => o.status === 'compliant')).toBe(true);
    expect(cloud.writes).toEqual([]);

    const open = await remediate({ ...target(), screen: publicBucket() }, enforce, ports);
    expect(open.find((o) => o.rule === 'publicStorage')?.status).toBe('fixed');
  });

  it('an event naming its rules: only those are read for and judged, others stay as they are', async () => {
    const bucket = cloud.get(target().ref) as StoragePosture;
    bucket.encryption = { enabled: false };
    const outcomes = await remediate({ ...target(), rules: ['unencryptedStorage'] }, enforce, ports);
    expect(outcomes.map((o) => [o.rule, o.status])).toEqual([['unencryptedStorage', 'fixed']]);
    expect(cloud.scopes).toEqual([['unencryptedStorage'], ['unencryptedStorage']]);
    // The bucket is public too, but this event could not have made it so: that is another event's (or a sweep's).
    expect(cloud.writes.map((w) => w.fix)).toEqual(['enable-encryption']);
  });

  it('exemption tag: honoured while valid, ignored and reported once expired or malformed', async () => {
    cloud.put(
      publicBucket('public-bucket', { 'reflex:exempt': 'publicStorage; reason=INC-123 website; until=2026-12-31' }),
    );
    const exempt = await remediate(target(), enforce, ports);
    expect(exempt.find((o) => o.rule === 'publicStorage')).toMatchObject({
      status: 'exempt',
      reason: expect.stringMatching(/INC-123 website/),
    });
    expect(cloud.writes).toEqual([]);

    cloud.put(publicBucket('public-bucket', { 'reflex:exempt': 'publicStorage; reason=INC-99; until=2026-11-01' }));
    const expired = await remediate(target(), enforce, ports);
    const o = expired.find((x) => x.rule === 'publicStorage')!;
    expect(o.status).toBe('fixed');
    expect(o.notes?.[0]).toMatch(/exemption expired 2026-11-01.*INC-99/);
  });

  it('an honoured exemption tag is reported and ticketed like the finding it hides, with who set it', async () => {
    const value = 'publicStorage; reason=INC-123 website; until=2026-12-31';
    cloud.put(publicBucket('public-bucket', { 'reflex:exempt': value }));
    const setter = 'arn:aws:iam::123456789012:user/mallory';
    const outcomes = await remediate(
      target('public-bucket', { eventName: 'PutBucketTagging', actor: setter, tagsWritten: ['reflex:exempt'] }),
      enforce,
      ports,
    );
    const o = outcomes.find((x) => x.rule === 'publicStorage')!;
    expect(o).toMatchObject({
      status: 'exempt',
      finding: { rule: 'publicStorage' },
      exemption: { tag: 'reflex:exempt', value, reason: 'INC-123 website', setBy: setter },
      reason: expect.stringContaining(`(set by ${setter})`),
    });
    expect(cloud.writes).toEqual([]);
    expect(tickets.tickets).toHaveLength(1);
    expect(tickets.tickets[0]).toMatchObject({ reason: expect.stringContaining('exempted by tag reflex:exempt') });
  });

  it('exemptions.tags: false → the tag is reported, never honoured; { rules } honours it only for those rules', async () => {
    cloud.put(publicBucket('public-bucket', { 'reflex:exempt': '*; reason=INC-1; until=2026-12-31' }));
    const off = parsePolicy('version: 1\nmode: enforce\nexemptions: { tags: false }');
    const o = (await remediate(target(), off, ports)).find((x) => x.rule === 'publicStorage')!;
    expect(o.status).toBe('fixed');
    expect(o.notes).toContain('tag reflex:exempt ignored: tag exemptions are off in the policy');

    cloud.put(publicBucket('public-bucket', { 'reflex:exempt': '*; reason=INC-1; until=2026-12-31' }));
    const some = parsePolicy('version: 1\nmode: enforce\nexemptions: { tags: { rules: [openIngress] } }');
    const p = (await remediate(target(), some, ports)).find((x) => x.rule === 'publicStorage')!;
    expect(p.status).toBe('fixed');
    expect(p.notes?.[0]).toMatch(/only for openIngress/);
  });

  it('allow-list in policy: exempt without a read-modify-write', async () => {
    const allow = parsePolicy(
      'version: 1\nmode: enforce\nallow: { resources: [{ match: "arn:aws:s3:::public-*", rules: [publicStorage], reason: website }] }',
    );
    const o = (await remediate(target(), allow, ports)).find((x) => x.rule === 'publicStorage');
    expect(o).toMatchObject({ status: 'exempt', reason: 'allow-listed in policy (arn:aws:s3:::public-*): website' });
    expect(cloud.writes).toEqual([]);
  });

  it("loop guard: the bot's own change does nothing, not even a read", async () => {
    const own = target('public-bucket', {
      actor: 'arn:aws:sts::123456789012:assumed-role/reflex-remediator/session-1',
    });
    const outcomes = await remediate(own, enforce, ports);
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'ignored', reason: expect.stringMatching(/own identity/) }),
    ]);
    expect(cloud.reads).toBe(0);
    expect(cloud.writes).toEqual([]);
  });

  it('blast radius: past the limit, findings are ticketed and an alarm is raised', async () => {
    const limited = parsePolicy('version: 1\nmode: enforce\nblastRadius: { limit: 2, windowMinutes: 60 }');
    for (const n of ['b-1', 'b-2', 'b-3']) cloud.put(publicBucket(n));
    const results = await Promise.all(['b-1', 'b-2', 'b-3'].map((n) => remediate(target(n), limited, ports)));
    const statuses = results.map((r) => r.find((o) => o.rule === 'publicStorage')!.status).sort();
    expect(statuses).toEqual(['fixed', 'fixed', 'ticketed']);
    expect(tickets.tickets).toHaveLength(1);
    expect(tickets.tickets[0]!.reason).toMatch(/blast radius: 2 enforced fixes in 60 min reached for aws:123456789012/);
    expect(alarms).toEqual([expect.objectContaining({ kind: 'blast-radius', scope: 'aws:123456789012', limit: 2 })]);
  });

  it('a failing step: outcome failed with the error; independent steps still run', async () => {
    cloud.failures.set('remove-public-grants', Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const o = (await remediate(target(), enforce, ports)).find((x) => x.rule === 'publicStorage')!;
    expect(o.status).toBe('failed');
    expect(o.reason).toMatch(/remove public ACL grants.*Access Denied/);
    expect(o.transient).toBe(false);
    expect(cloud.writes.map((w) => w.fix)).toEqual(['block-public-access']);
    expect(audit.records.map((r) => r.status)).toEqual(['applied', 'failed']);
  });

  it('a fix that does not take is failed by verification, never reported fixed', async () => {
    cloud.noOp = 'remove-public-grants';
    const o = (await remediate(target(), enforce, ports)).find((x) => x.rule === 'publicStorage')!;
    expect(o.status).toBe('failed');
    expect(o.reason).toMatch(/verifying read still shows: ACL grants READ to AllUsers/);
  });

  it('an unknown resource is ignored without action; a read failure is failed and marked transient', async () => {
    expect(await remediate(target('no-such-bucket'), enforce, ports)).toEqual([
      expect.objectContaining({ status: 'ignored', reason: 'arn:aws:s3:::no-such-bucket does not exist (any more)' }),
    ]);
    cloud.read = async () => {
      throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
    };
    expect(await remediate(target(), enforce, ports)).toEqual([
      expect.objectContaining({ status: 'failed', transient: true }),
    ]);
  });

  it('a ticket system that fails beside others that work: ticketed, with a note naming it', async () => {
    ports.tickets = { file: async () => ({ ref: 'jira:SEC-1 slack:failed', errors: { slack: 'HTTP 500' } }) };
    const o = (await remediate(target(), dryRun, ports)).find((x) => x.rule === 'publicStorage')!;
    expect(o).toMatchObject({
      status: 'ticketed',
      ticket: { ref: 'jira:SEC-1 slack:failed' },
      notes: ['ticket not filed in slack: HTTP 500'],
    });
  });

  it('a ticket system that is down fails the outcome but never throws', async () => {
    ports.tickets = { file: async () => Promise.reject(new Error('503 from Jira')) };
    const o = (await remediate(target(), dryRun, ports)).find((x) => x.rule === 'publicStorage')!;
    expect(o).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/filing the ticket failed: 503 from Jira/),
    });
  });

  it('the same event twice: one fix, the second delivery does nothing', async () => {
    const first = await handleTargets('evt-1', [target()], enforce, ports);
    expect(first.outcomes.find((o) => o.rule === 'publicStorage')?.status).toBe('fixed');
    const second = await handleTargets('evt-1', [target()], enforce, ports);
    expect(second.outcomes).toEqual([
      expect.objectContaining({ status: 'ignored', reason: 'event evt-1 was already handled' }),
    ]);
    // A new event about the same resource re-reads, and finds it compliant.
    const third = await handleTargets('evt-2', [target()], enforce, ports);
    expect(third.outcomes.find((o) => o.rule === 'publicStorage')?.status).toBe('compliant');
    expect(cloud.writes).toHaveLength(2);
  });

  it('retries targets that failed transiently in later rounds, at lower concurrency', async () => {
    for (const n of ['b-1', 'b-2', 'b-3']) cloud.put(publicBucket(n));
    let throttled = 0;
    const apply = cloud.apply.bind(cloud);
    cloud.apply = async (steps, posture) => {
      // The first two buckets are throttled once each (after the SDK gave up), then the cloud recovers.
      if (posture.ref.name !== 'b-3' && throttled < 2 && steps.length > 0) {
        throttled++;
        return steps.map(() => ({
          ok: false as const,
          error: Object.assign(new Error('slow down'), { name: 'SlowDown' }),
        }));
      }
      return apply(steps, posture);
    };
    const pauses: number[] = [];
    const report = await handleTargets(
      'sweep-1',
      ['b-1', 'b-2', 'b-3'].map((n) => target(n)),
      enforce,
      ports,
      {
        concurrency: 4,
        sleep: async (ms) => {
          pauses.push(ms);
        },
      },
    );
    const ps = report.outcomes.filter((o) => o.rule === 'publicStorage');
    expect(ps.map((o) => o.status)).toEqual(['fixed', 'fixed', 'fixed']);
    expect(ps[0]!.notes).toContain('retried in round 2 after a transient failure');
    expect(pauses).toEqual([1000]);
  });

  it('does not remember an event that failed transiently, so a retry gets another chance', async () => {
    cloud.failures.set('block-public-access', Object.assign(new Error('slow down'), { name: 'SlowDown' }));
    const first = await handleTargets('evt-9', [target()], enforce, ports, { retryRounds: 0 });
    expect(first.outcomes.some((o) => o.transient)).toBe(true);
    cloud.failures.clear();
    const retry = await handleTargets('evt-9', [target()], enforce, ports);
    expect(retry.outcomes.find((o) => o.rule === 'publicStorage')?.status).toBe('fixed');
  });

  it('a recurrence updates the same ticket key; a later fix resolves it', async () => {
    await remediate(target(), dryRun, ports);
    await remediate(target(), enforce, ports);
    expect(tickets.resolved).toEqual([
      { dedupeKey: tickets.tickets[0]!.dedupeKey, note: expect.stringMatching(/^Fixed by Reflex: turn on all four/) },
    ]);
    // Someone else fixes the next one: seen as compliant on the next look, the ticket closes too.
    cloud.put(publicBucket('b-2'));
    await remediate(target('b-2'), dryRun, ports);
    cloud.put(privateBucket('b-2'));
    const outcomes = await remediate(target('b-2'), dryRun, ports);
    expect(tickets.resolved[1]).toEqual({
      dedupeKey: tickets.tickets[1]!.dedupeKey,
      note: 'No longer found: fixed outside Reflex.',
    });
    expect(outcomes.find((o) => o.rule === 'publicStorage')?.notes?.[0]).toMatch(/^ticket reflex-\w+ resolved$/);
  });

  it('a compliant bucket: every rule compliant, nothing written, nothing filed', async () => {
    cloud.put(privateBucket());
    const outcomes = await remediate(target('private-bucket'), enforce, ports);
    expect(outcomes.every((o) => o.status === 'compliant')).toBe(true);
    expect(cloud.writes).toEqual([]);
    expect(tickets.tickets).toEqual([]);
  });
});
