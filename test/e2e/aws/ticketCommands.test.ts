/**
 * The commands a dry-run prints for one bucket must compose: run in any order (or beside the fixes enforce already
 * made), they leave the bucket as enforce would. They are pasted into bash with an `aws` stub, and each call it
 * receives is made through the SDK against moto, so what is compared is moto's real state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import type { PolicyInput, Ticket } from '@reflex/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pasteIntoBash } from '../../pasteIntoBash.js';
import { fixture, handlers, LOG_BUCKET, policy, resetWorld, startWorld, type World } from './world.js';

const BUCKET = 'reflex-e2e-composed';
const ARN = `arn:aws:s3:::${BUCKET}`;
const dir = mkdtempSync(join(tmpdir(), 'reflex-composed-'));
let world: World;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const s3 = () => world.direct.s3;
const PUBLIC = { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${ARN}/*` };
const KEPT = {
  Sid: 'PartnerRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::210987654321:root' },
  Action: 's3:GetObject',
  Resource: `${ARN}/*`,
};

/** The same bucket every time: a public statement beside one that stays, a public ACL, no HTTPS-only Deny. */
async function freshBucket(): Promise<void> {
  await resetWorld(world);
  await s3()
    .send(new DeleteBucketCommand({ Bucket: BUCKET }))
    .catch(() => undefined);
  await s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3().send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
  await s3().send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
  await s3().send(
    new PutBucketPolicyCommand({
      Bucket: BUCKET,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [PUBLIC, KEPT] }),
    }),
  );
}

/** Every storage rule but logging (its command merges into another bucket's policy, which a plan does not read). */
const rules = (mode: 'enforce' | 'dry-run', overrides: PolicyInput['rules'] = {}) =>
  policy({ mode, rules: { storageWithoutLogging: { mode: 'off' }, ...overrides } });
const created = () => fixture('cloudtrail-s3-CreateBucket.json', { 'bucket-test-iad': BUCKET });

async function state() {
  const policyText = await s3()
    .send(new GetBucketPolicyCommand({ Bucket: BUCKET }))
    .then((r) => r.Policy ?? null)
    .catch(() => null);
  const block = await s3()
    .send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))
    .then((r) => r.PublicAccessBlockConfiguration ?? null)
    .catch(() => null);
  const encryption = await s3()
    .send(new GetBucketEncryptionCommand({ Bucket: BUCKET }))
    .then((r) => r.ServerSideEncryptionConfiguration?.Rules ?? null)
    .catch(() => null);
  const acl = await s3().send(new GetBucketAclCommand({ Bucket: BUCKET }));
  return {
    policy: policyText ? (JSON.parse(policyText) as { Statement: unknown[] }) : null,
    block,
    encryption,
    grants: (acl.Grants ?? []).map((g) => `${g.Grantee?.URI ?? g.Grantee?.ID}:${g.Permission}`).sort(),
  };
}

/** The printed lines of the tickets, for this bucket, in ticket then step order. */
const linesOf = (tickets: Ticket[]) =>
  tickets.filter((t) => t.resource.id === ARN).flatMap((t) => t.steps.map((s) => s.cli));

/** Pastes the lines into bash with the `aws` stub, and makes each call it received through the SDK on moto. */
async function run(lines: string[]): Promise<void> {
  for (const [line, calls] of pasteIntoBash(lines, dir).entries()) {
    expect(calls, lines[line]).toHaveLength(1);
    const [program, service, op, ...rest] = calls[0]!;
    expect([program, service]).toEqual(['aws', 's3api']);
    const flags = Object.fromEntries(rest.flatMap((a, i) => (a.startsWith('--') ? [[a.slice(2), rest[i + 1]!]] : [])));
    const Bucket = flags.bucket!;
    expect(Bucket).toBe(BUCKET);
    switch (op) {
      case 'put-bucket-policy':
        await s3().send(new PutBucketPolicyCommand({ Bucket, Policy: flags.policy! }));
        break;
      case 'delete-bucket-policy':
        await s3().send(new DeleteBucketPolicyCommand({ Bucket }));
        break;
      case 'put-bucket-acl':
        await s3().send(
          new PutBucketAclCommand({ Bucket, AccessControlPolicy: JSON.parse(flags['access-control-policy']!) }),
        );
        break;
      case 'put-public-access-block': {
        const shorthand = Object.fromEntries(
          flags['public-access-block-configuration']!.split(',').map((kv) => {
            const [k, v] = kv.split('=');
            return [k!, v === 'true'];
          }),
        );
        await s3().send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: shorthand }));
        break;
      }
      case 'put-bucket-encryption':
        await s3().send(
          new PutBucketEncryptionCommand({
            Bucket,
            ServerSideEncryptionConfiguration: JSON.parse(flags['server-side-encryption-configuration']!),
          }),
        );
        break;
      default:
        throw new Error(`a ticket printed a command this test does not know: ${calls[0]!.join(' ')}`);
    }
  }
}

describe('the commands of one bucket’s tickets, run against moto', () => {
  it('in either order leave what enforce leaves: public statement out, HTTPS-only Deny in, other statement kept', async () => {
    await freshBucket();
    await handlers(world, rules('enforce')).events(created());
    const enforced = await state();
    expect(enforced.policy?.Statement).toEqual([KEPT, expect.objectContaining({ Effect: 'Deny', Principal: '*' })]);

    await freshBucket();
    const { events, tickets } = handlers(world, rules('dry-run'));
    const report = await events(created());
    expect(report.outcomes.filter((o) => o.status === 'ticketed').map((o) => o.rule)).toEqual(
      expect.arrayContaining(['publicStorage', 'insecureTransport']),
    );
    const lines = linesOf(tickets.tickets);
    expect(lines.filter((l) => l.startsWith('aws s3api put-bucket-policy'))).toHaveLength(2);

    await freshBucket();
    await run(lines);
    expect(await state()).toEqual(enforced);

    await freshBucket();
    await run([...lines].reverse());
    expect(await state()).toEqual(enforced);

    // Each policy command alone writes the whole plan's policy: running only the HTTPS ticket's does not put the
    // public statement back (it was the bug: it re-added what the publicStorage ticket removes).
    await freshBucket();
    const https = linesOf(tickets.tickets.filter((t) => t.rule === 'insecureTransport'));
    await run(https);
    expect((await state()).policy).toEqual(enforced.policy);
  });

  it('beside a rule already enforced, the other rule’s printed command leaves the enforce result', async () => {
    await freshBucket();
    await handlers(world, rules('enforce')).events(created());
    const enforced = await state();

    await freshBucket();
    // publicStorage is enforced now; insecureTransport is only ticketed.
    const { events, tickets } = handlers(world, rules('enforce', { insecureTransport: { mode: 'dry-run' } }));
    const report = await events(created());
    expect(report.outcomes.find((o) => o.rule === 'publicStorage')?.status).toBe('fixed');
    expect(report.outcomes.find((o) => o.rule === 'insecureTransport')?.status).toBe('ticketed');
    expect((await state()).policy?.Statement).toEqual([KEPT]);
    await run(linesOf(tickets.tickets));
    expect(await state()).toEqual(enforced);
  });
});
