/**
 * The events handler on moto, fed the published samples with one field deleted or replaced: it answers every event
 * (an outcome or an error, never a throw), makes no call at all for an event it cannot use, and changes only what
 * the event names.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, DeletePublicAccessBlockCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import { parseEvent } from '@reflex/aws';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutantOf } from '../../fuzz.js';
import { fixture, handlers, policy, startWorld, type World, writeCalls } from './world.js';

const BUCKET = 'reflex-broken-events';
let world: World;
let groupId: string;
let samples: Record<string, unknown>;

beforeAll(async () => {
  world = await startWorld();
  await world.direct.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const made = await world.direct.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'broken', Description: 'b' }));
  groupId = made.GroupId!;
  const names = readdirSync(join(import.meta.dirname, '../../fixtures/events/aws')).filter(
    // A scheduled sweep reads every resource by design; it is not an event about one.
    (f) => f.endsWith('.json') && f !== 'schedule.json',
  );
  samples = Object.fromEntries(
    names.map((n) => [n, fixture(n, { 'amzn-s3-demo-bucket': BUCKET, 'sg-0123456789abcdef0': groupId })]),
  );
});
afterAll(async () => {
  await world?.stop();
});

/** Something to fix on every run: a public bucket and a group open to the world on 22. */
async function misconfigure(): Promise<void> {
  await world.direct.s3.send(new DeletePublicAccessBlockCommand({ Bucket: BUCKET }));
  await world.direct.s3.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
  await world.direct.ec2
    .send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    )
    .catch(() => {}); // still open from the run before
}

describe('the events handler on broken events', () => {
  it('answers each one, calls nothing for what it cannot use, and changes only what the event names', async () => {
    let acted = 0;
    await fc.assert(
      fc.asyncProperty(mutantOf(samples), async ({ event }) => {
        await misconfigure();
        world.proxy.resetStats();
        // A bot per run: its event ledger must not skip a mutant that kept its sample's id.
        const { events } = handlers(world, policy());
        const report = await events(event);
        expect(report.outcomes.length + (report.errors?.length ?? 0)).toBeGreaterThan(0);
        if (parseEvent(event).kind !== 'targets') expect(world.proxy.calls()).toEqual([]);
        const text = JSON.stringify(event) ?? '';
        for (const o of report.outcomes) if (o.status === 'fixed') expect(text).toContain(o.resource.name);
        // Writes on the bucket or the group only when the event names them (account-level writes, such as the
        // account's Block Public Access, are held to the outcomes above: the account is what the event named).
        for (const call of writeCalls(world)) {
          if (call.path.startsWith(`/${BUCKET}`)) expect(text).toContain(BUCKET);
          if (/SecurityGroup/.test(call.operation ?? '')) expect(text).toContain(groupId);
        }
        if (writeCalls(world).length > 0) acted++;
      }),
      { numRuns: 120 },
    );
    // Most mutants still name the bucket or the group: the bot did act on them.
    expect(acted).toBeGreaterThan(20);
  }, 120_000);

  it('answers every published sample with {"toString": 1} in any one of its fields, never throws (issue 18, item 12)', async () => {
    // Every rule off: what is under test is the handler up to the engine (parser, claims, lookups), for every path.
    const { events } = handlers(world, policy({ mode: 'off' }));
    const poison = JSON.parse('{"toString": 1, "valueOf": 1}') as unknown;
    let answered = 0;
    for (const [name, sample] of Object.entries(samples)) {
      for (const path of pathsOf(sample)) {
        const event = replaceAt(sample, path, poison);
        const report = await events(event).catch((err: unknown) => {
          throw new Error(`${name} at ${path.join('.') || '(root)'}: ${String(err)}`);
        });
        expect(report.outcomes.length + (report.errors?.length ?? 0)).toBeGreaterThan(0);
        answered++;
      }
    }
    expect(answered).toBeGreaterThan(1000);
  }, 300_000);
});

function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : value && typeof value === 'object'
      ? Object.entries(value)
      : [];
  return [prefix, ...children.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

function replaceAt(doc: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
  return copy;
}
