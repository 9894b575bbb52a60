import { setTimeout as delay } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type Alarm,
  type AuditRecord,
  awsRefs,
  type BlastRadiusStore,
  contain,
  type EnginePorts,
  type EventLedger,
  EventParseError,
  handleTargets,
  InMemoryBlastRadiusStore,
  InMemoryEventLedger,
  InMemoryLeaseStore,
  MemoryAuditStore,
  MemoryTicketSink,
  type Posture,
  parseManualRequest,
  parsePolicy,
  type ReadScope,
  type ResourceRef,
  type Step,
  type StepSettlement,
  type Target,
  undo,
  undoOrder,
} from '../src/index.js';
import { ACCOUNT, FakeCloud, publicBucket } from './fakeCloud.js';

/** FakeCloud with the latency of a real one: reads and writes yield, so concurrent work interleaves. */
class SlowCloud extends FakeCloud {
  /** Fix types whose restore fails (once each) with this error. */
  readonly restoreFailures = new Map<string, Error>();
  readonly restored: string[] = [];
  override async read(ref: ResourceRef, scope?: ReadScope) {
    await delay(2);
    return super.read(ref, scope);
  }
  override async apply(steps: Step[], posture: Posture): Promise<StepSettlement[]> {
    await delay(2);
    return super.apply(steps, posture);
  }
  override async restore(record: AuditRecord, opts: { check: boolean }) {
    const failure = this.restoreFailures.get(record.fix.type);
    if (!opts.check && failure) {
      this.restoreFailures.delete(record.fix.type);
      throw failure;
    }
    const out = await super.restore(record, opts);
    if (!opts.check && out.status === 'restored') this.restored.push(record.fix.type);
    return out;
  }
}

const enforce = parsePolicy(
  'version: 1\nmode: enforce\nidentities: { aws: ["arn:aws:iam::123456789012:role/reflex-remediator"] }',
);
const ref = awsRefs.bucket('public-bucket', ACCOUNT, 'us-east-1');
const target = (eventId = 'evt-1'): Target => ({
  ref,
  trigger: { source: 'cloudtrail', eventId, actor: 'arn:aws:iam::123456789012:user/alice', eventName: 'PutBucketAcl' },
});
const slowDown = () => Object.assign(new Error('Please reduce your request rate'), { name: 'SlowDown' });

let cloud: SlowCloud;
let audit: MemoryAuditStore;
let alarms: Alarm[];
let shared: { ledger: EventLedger; leases: InMemoryLeaseStore; blastRadius: BlastRadiusStore };

/** One container: its own ports over the shared cloud, audit trail and state table. */
const container = (extra: Partial<EnginePorts> = {}): EnginePorts => ({
  adapter: cloud,
  tickets: new MemoryTicketSink(),
  audit,
  ...shared,
  leaseOptions: { sleep: () => delay(1) },
  onAlarm: (a) => alarms.push(a),
  ...extra,
});

beforeEach(() => {
  cloud = new SlowCloud();
  audit = new MemoryAuditStore();
  alarms = [];
  shared = {
    ledger: new InMemoryEventLedger(),
    leases: new InMemoryLeaseStore(),
    blastRadius: new InMemoryBlastRadiusStore(),
  };
  cloud.put(publicBucket());
});

describe('concurrent events on one resource', () => {
  it('claim-first ledger: a duplicate delivered at the same time in another container does nothing', async () => {
    const spent: string[] = [];
    const counting: BlastRadiusStore = {
      tryAcquire: async (scope, now, windowMs, limit) => {
        spent.push(scope);
        return shared.blastRadius.tryAcquire(scope, now, windowMs, limit);
      },
    };
    const [a, b] = await Promise.all([
      handleTargets('evt-1', [target()], enforce, container({ blastRadius: counting })),
      handleTargets('evt-1', [target()], enforce, container({ blastRadius: counting })),
    ]);
    const all = [...a.outcomes, ...b.outcomes];
    expect(all.filter((o) => o.status === 'fixed')).toHaveLength(1);
    expect(all.filter((o) => o.reason === 'event evt-1 is being handled by another delivery')).toHaveLength(1);
    expect(spent).toHaveLength(1); // the duplicate spent no blast-radius budget
    expect(cloud.writes.map((w) => w.fix)).toEqual(['block-public-access', 'remove-public-grants']);
    // Handled: a later redelivery is ignored as such.
    const again = await handleTargets('evt-1', [target()], enforce, container());
    expect(again.outcomes[0]!.reason).toBe('event evt-1 was already handled');
  });

  it('a transient failure releases the claim: the retry runs', async () => {
    cloud.failures.set('remove-public-grants', slowDown());
    const first = await handleTargets('evt-1', [target()], enforce, container(), { retryRounds: 0 });
    expect(first.outcomes.some((o) => o.transient)).toBe(true);
    cloud.failures.clear();
    const retry = await handleTargets('evt-1', [target()], enforce, container());
    expect(retry.outcomes.find((o) => o.rule === 'publicStorage')!.status).toBe('fixed');
  });

  it('20 distinct events in 4 containers: one fix, the others find it done; one audit record per step', async () => {
    const containers = Array.from({ length: 4 }, () => container());
    const reports = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        handleTargets(`evt-${i}`, [target(`evt-${i}`)], enforce, containers[i % 4]!),
      ),
    );
    const ps = reports.flatMap((r) => r.outcomes).filter((o) => o.rule === 'publicStorage');
    expect(ps.filter((o) => o.status === 'fixed')).toHaveLength(1);
    expect(ps.filter((o) => o.status === 'compliant')).toHaveLength(19);
    expect(cloud.writes).toHaveLength(2);
    expect(audit.records.map((r) => [r.fix.type, r.status])).toEqual([
      ['block-public-access', 'applied'],
      ['remove-public-grants', 'applied'],
    ]);
  });
});

describe('verification', () => {
  it('every rule judged is verified on the re-read: one compliant before the write and not after fails, transient', async () => {
    // The write loses another's change to the same document (here: the HTTPS-only setting goes with it).
    const apply = cloud.apply.bind(cloud);
    cloud.apply = async (steps, posture) => {
      const out = await apply(steps, posture);
      const p = cloud.get(ref)!;
      if (p.kind === 'storage') p.transport = { httpsOnly: false };
      return out;
    };
    const report = await handleTargets('evt-1', [target()], enforce, container(), { retryRounds: 0 });
    expect(report.outcomes.find((o) => o.rule === 'publicStorage')!.status).toBe('fixed');
    const https = report.outcomes.find((o) => o.rule === 'insecureTransport')!;
    expect(https).toMatchObject({ status: 'failed', transient: true });
    expect(https.reason).toMatch(/^compliant before the write, not after it/);
  });
});

describe('a state store that is down', () => {
  it('the ledger failing does not block the fix; the alarm says so', async () => {
    const broken: EventLedger = {
      claim: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
      remember: async () => {},
      release: async () => {},
    };
    const report = await handleTargets('evt-1', [target()], enforce, container({ ledger: broken }));
    expect(report.outcomes.find((o) => o.rule === 'publicStorage')!.status).toBe('fixed');
    expect(alarms).toContainEqual(expect.objectContaining({ kind: 'state-store', scope: 'event ledger' }));
  });

  it('the blast-radius store failing: counted per container, still limited, and alarmed', async () => {
    const broken: BlastRadiusStore = {
      tryAcquire: async () => {
        throw new Error('Table unavailable');
      },
    };
    const limited = parsePolicy(
      'version: 1\nmode: enforce\nblastRadius: { limit: 1, windowMinutes: 60 }\nidentities: { aws: ["arn:aws:iam::123456789012:role/reflex-remediator"] }',
    );
    cloud.put(publicBucket('second-bucket'));
    const ports = container({ blastRadius: broken });
    const first = await handleTargets('evt-1', [target()], limited, ports);
    expect(first.outcomes.find((o) => o.rule === 'publicStorage')!.status).toBe('fixed');
    const second = await handleTargets(
      'evt-2',
      [{ ...target('evt-2'), ref: awsRefs.bucket('second-bucket', ACCOUNT, 'us-east-1') }],
      limited,
      ports,
    );
    expect(second.outcomes.find((o) => o.rule === 'publicStorage')!.status).toBe('ticketed');
    expect(alarms.filter((a) => a.kind === 'blast-radius' && /store failed/.test(a.message))).toHaveLength(2);
  });

  it('the lease store failing: the work goes on without it, noted and alarmed', async () => {
    const leases = new InMemoryLeaseStore();
    leases.tryAcquire = async () => {
      throw new Error('Table unavailable');
    };
    const report = await handleTargets('evt-1', [target()], enforce, container({ leases }));
    const ps = report.outcomes.find((o) => o.rule === 'publicStorage')!;
    expect(ps.status).toBe('fixed');
    expect(ps.notes?.join()).toMatch(/without a lease/);
    expect(alarms).toContainEqual(expect.objectContaining({ kind: 'state-store', scope: 'lease' }));
  });
});

describe('write-ahead audit', () => {
  it('no write-ahead record, no write: the step fails transiently and the resource is untouched', async () => {
    const down: MemoryAuditStore = Object.assign(new MemoryAuditStore(), {
      record: async () => {
        throw new Error('audit table unavailable');
      },
    });
    const report = await handleTargets('evt-1', [target()], enforce, container({ audit: down }), { retryRounds: 0 });
    const ps = report.outcomes.find((o) => o.rule === 'publicStorage')!;
    expect(ps.status).toBe('failed');
    expect(ps.transient).toBe(true);
    expect(ps.reason).toMatch(/audit write-ahead failed/);
    expect(cloud.writes).toEqual([]);
  });

  it('the before is written ahead; a lost "applied" mark leaves an intended record that undo still restores', async () => {
    const store = new MemoryAuditStore();
    const flaky = Object.assign(Object.create(store) as MemoryAuditStore, {
      record: async (r: AuditRecord) => {
        if (r.status === 'applied') throw new Error('audit table throttled');
        return store.record(r);
      },
    });
    const previewing = Object.assign(cloud, {
      preview: (step: Step, p: Posture) =>
        step.fix.type === 'remove-public-grants' && p.kind === 'storage'
          ? {
              before: p.publicAccess.acl,
              after: { ...p.publicAccess.acl, grants: p.publicAccess.acl!.grants.slice(0, 1) },
            }
          : undefined,
    });
    const report = await handleTargets('evt-1', [target()], enforce, container({ audit: flaky, adapter: previewing }));
    const ps = report.outcomes.find((o) => o.rule === 'publicStorage')!;
    expect(ps.status).toBe('fixed');
    expect(ps.notes?.join()).toMatch(/stays "intended"/);
    const acl = store.records.find((r) => r.fix.type === 'remove-public-grants')!;
    expect(acl.status).toBe('intended');
    expect((acl.before as { grants: unknown[] }).grants).toHaveLength(2);
    const undone = await undo(ps.remediationId!, store, container({ adapter: previewing }), { reason: 'CHG-1' });
    expect(undone.status).toBe('undone');
    const p = cloud.get(ref)!;
    expect(p.kind === 'storage' && p.publicAccess.acl!.grants).toHaveLength(2);
  });

  it('contain: no write-ahead record, no containment', async () => {
    const down = Object.assign(new MemoryAuditStore(), {
      record: async () => {
        throw new Error('audit table unavailable');
      },
    });
    const o = await contain(
      { ref, trigger: { source: 'manual', eventId: 'm-1', reason: 'INC-1' } },
      container({ audit: down }),
    );
    expect(o.status).toBe('failed');
    expect(o.transient).toBe(true);
    expect(cloud.writes).toEqual([]);
  });
});

describe('undo', () => {
  it('restores gates first (Block Public Access), then the rest newest first', () => {
    const rec = (i: number, type: 'block-public-access' | 'remove-public-grants' | 'remove-public-statements') =>
      ({ stepId: `rem-1.${i}`, fix: { type } }) as AuditRecord;
    expect(
      undoOrder([
        rec(1, 'block-public-access'),
        rec(2, 'remove-public-grants'),
        rec(3, 'remove-public-statements'),
      ]).map((r) => r.fix.type),
    ).toEqual(['block-public-access', 'remove-public-statements', 'remove-public-grants']);
  });

  it('a partly failed undo is retried from where it stopped, and only then is the remediation undone', async () => {
    const report = await handleTargets('evt-1', [target()], enforce, container());
    const id = report.outcomes.find((o) => o.rule === 'publicStorage')!.remediationId!;
    cloud.restoreFailures.set('remove-public-grants', slowDown());
    const first = await undo(id, audit, container(), { reason: 'CHG-1' });
    expect(first.status).toBe('failed');
    expect(first.transient).toBe(true);
    expect(cloud.restored).toEqual(['block-public-access']);
    const retry = await undo(id, audit, container(), { reason: 'CHG-1' });
    expect(retry.status).toBe('undone');
    expect(cloud.restored).toEqual(['block-public-access', 'remove-public-grants']);
    const p = cloud.get(ref)!;
    expect(p.kind === 'storage' && [p.publicAccess.bucketBlock, p.publicAccess.acl!.grants.length]).toEqual([null, 2]);
    expect((await undo(id, audit, container(), { reason: 'CHG-1' })).status).toBe('already-undone');
  });
});

describe('manual request bounds', () => {
  it('a 450 KB reason (or an over-long requestedBy) is refused with a typed error before any action', () => {
    const request = { action: 'contain', resource: 'arn:aws:s3:::b-1', reason: 'x'.repeat(450_000) };
    expect(() => parseManualRequest(request)).toThrow(EventParseError);
    expect(() => parseManualRequest(request)).toThrow(/reason: Too big/);
    expect(() =>
      parseManualRequest({
        action: 'contain',
        resource: 'arn:aws:s3:::b-1',
        reason: 'INC-1',
        requestedBy: 'y'.repeat(300),
      }),
    ).toThrow(/requestedBy/);
    expect(
      parseManualRequest({ action: 'contain', resource: 'arn:aws:s3:::b-1', reason: 'r'.repeat(1000) }).reason,
    ).toHaveLength(1000);
  });
});
