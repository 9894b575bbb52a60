import { beforeEach, describe, expect, it } from 'vitest';
import {
  awsRefs,
  contain,
  type EnginePorts,
  InMemoryBlastRadiusStore,
  MemoryAuditStore,
  MemoryTicketSink,
  parseManualRequest,
  parsePolicy,
  remediate,
  type Target,
  undo,
} from '../src/index.js';
import { ACCOUNT, FakeCloud, publicBucket } from './fakeCloud.js';

let cloud: FakeCloud;
let audit: MemoryAuditStore;
let ports: EnginePorts;
const ref = awsRefs.bucket('public-bucket', ACCOUNT, 'us-east-1');
const manual = (extra: Partial<Target['trigger']> = {}): Target => ({
  ref,
  trigger: {
    source: 'manual',
    eventId: 'manual-1',
    actor: 'arn:aws:iam::123456789012:user/oncall',
    reason: 'INC-42',
    ...extra,
  },
});

beforeEach(() => {
  cloud = new FakeCloud();
  audit = new MemoryAuditStore();
  ports = { adapter: cloud, tickets: new MemoryTicketSink(), audit, blastRadius: new InMemoryBlastRadiusStore() };
  cloud.put(publicBucket());
});

describe('manual requests', () => {
  it('validates the shared payload contract', () => {
    expect(parseManualRequest({ action: 'remediate', resource: 'arn:aws:s3:::b-1', dryRun: true })).toMatchObject({
      action: 'remediate',
    });
    expect(() => parseManualRequest({ action: 'contain', resource: 'arn:aws:s3:::b-1' })).toThrow(
      /reason: reason is required for contain/,
    );
    expect(() => parseManualRequest({ action: 'undo', reason: 'x' })).toThrow(/remediationId is required/);
    expect(() => parseManualRequest({ action: 'nuke' })).toThrow(/action/);
    expect(() => parseManualRequest({ action: 'sweep', extra: 1 })).toThrow(/Unrecognized key/);
    expect(parseManualRequest({ action: 'sweep', account: '210987654321' }).account).toBe('210987654321');
    expect(() => parseManualRequest({ action: 'sweep', account: '2109-8765' })).toThrow(
      /account: an AWS account id is 12 digits/,
    );
  });
});

describe('contain', () => {
  it('applies isolate, audits who and why, and can be undone', async () => {
    const o = await contain(manual(), ports);
    expect(o.status).toBe('fixed');
    expect(cloud.get(ref)?.tags['reflex:contained']).toBe('true');
    expect(audit.records[0]).toMatchObject({
      rule: 'contain',
      mode: 'manual',
      correlation: { reason: 'INC-42', actor: 'arn:aws:iam::123456789012:user/oncall' },
    });
    const u = await undo(o.remediationId!, audit, ports, { reason: 'INC-42 closed' });
    expect(u).toMatchObject({ status: 'undone', steps: [{ status: 'restored' }] });
    expect(cloud.get(ref)?.tags['reflex:contained']).toBeUndefined();
  });

  it('needs a reason, and plans only in dry-run', async () => {
    expect((await contain(manual({ reason: undefined }), ports)).reason).toBe('containment needs a reason');
    const planned = await contain(manual({ dryRun: true }), ports);
    expect(planned).toMatchObject({ status: 'ticketed', steps: [{ status: 'planned' }] });
    expect(cloud.writes).toEqual([]);
  });
});

describe('undo', () => {
  it('restores the recorded before when the resource still matches the recorded after', async () => {
    const policy = parsePolicy('version: 1\nmode: enforce');
    const fixed = (await remediate(manual(), policy, ports)).find((o) => o.rule === 'publicStorage')!;
    expect(fixed.status).toBe('fixed');
    const u = await undo(fixed.remediationId!, audit, ports, { reason: 'broke the website', actor: 'alice' });
    expect(u.status).toBe('undone');
    expect(cloud.get(ref)).toEqual(publicBucket());
    expect(audit.records.filter((r) => r.status === 'undone')).toHaveLength(2);
    expect((await undo(fixed.remediationId!, audit, ports, { reason: 'again' })).status).toBe('already-undone');
  });

  it('refuses, and shows the difference, when someone changed the resource since', async () => {
    const policy = parsePolicy('version: 1\nmode: enforce');
    const fixed = (await remediate(manual(), policy, ports)).find((o) => o.rule === 'publicStorage')!;
    const changed = cloud.get(ref)!;
    if (changed.kind === 'storage')
      changed.publicAccess.acl!.grants.push({ granteeType: 'CanonicalUser', grantee: 'bob', permission: 'READ' });
    const u = await undo(fixed.remediationId!, audit, ports, { reason: 'x' });
    expect(u.status).toBe('refused');
    expect(u.differences?.[0]).toMatch(/changed since/);
    const now = cloud.get(ref);
    expect(now?.kind === 'storage' && now.publicAccess.acl?.grants.map((g) => g.grantee)).toEqual(['owner-id', 'bob']);
    expect(now?.kind === 'storage' && now.publicAccess.bucketBlock?.blockPublicAcls).toBe(true);
  });

  it('reports an unknown remediation id', async () => {
    expect((await undo('rem-nope', audit, ports, { reason: 'x' })).status).toBe('not-found');
  });
});
