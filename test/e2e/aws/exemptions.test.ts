import {
  CreateBucketCommand,
  GetBucketAclCommand,
  PutBucketAclCommand,
  PutBucketTaggingCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixture, handlers, MOTO_ACCOUNT_ID, policy, resetWorld, startWorld, type World } from './world.js';

/** An exemption tag is an off switch anyone with tag-write access holds: visible, and governed by the policy. */
const BUCKET = 'reflex-exempt-bucket';
let world: World;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  await resetWorld(world);
  await world.direct.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await world.direct.s3.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
});

const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
const VALUE = `publicStorage; reason=INC-77 launch; until=${until}`;
const MALLORY = `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/mallory`;

/** The PutBucketTagging event of that write: the published PutBucketPolicy sample with the call's documented fields. */
function taggingEvent(): Record<string, unknown> {
  const event = fixture('cloudtrail-s3-PutBucketPolicy.json', { 'amzn-s3-demo-bucket': BUCKET });
  const detail = event.detail as Record<string, unknown>;
  detail.eventName = 'PutBucketTagging';
  detail.userIdentity = { type: 'IAMUser', arn: MALLORY, accountId: MOTO_ACCOUNT_ID, userName: 'mallory' };
  detail.requestParameters = {
    bucketName: BUCKET,
    tagging: '',
    Tagging: { TagSet: { Tag: { Key: 'reflex:exempt', Value: VALUE } } },
  };
  return event;
}

async function tagBucket() {
  await world.direct.s3.send(
    new PutBucketTaggingCommand({ Bucket: BUCKET, Tagging: { TagSet: [{ Key: 'reflex:exempt', Value: VALUE }] } }),
  );
}
const publicGrants = async () =>
  ((await world.direct.s3.send(new GetBucketAclCommand({ Bucket: BUCKET }))).Grants ?? []).filter(
    (g) => g.Grantee?.URI,
  );

describe('exemption tags on moto (issue 18, item 11)', () => {
  it('a tag write exempting a public bucket: exempt, recorded with the tag and who set it, ticketed, not fixed', async () => {
    await tagBucket();
    const { events, tickets } = handlers(world, policy());
    world.proxy.resetStats();
    const report = await events(taggingEvent());
    const o = report.outcomes.find((x) => x.rule === 'publicStorage')!;
    expect(o).toMatchObject({
      status: 'exempt',
      finding: { rule: 'publicStorage' },
      exemption: { tag: 'reflex:exempt', value: VALUE, reason: 'INC-77 launch', setBy: MALLORY },
    });
    // A tag write has every rule judged: the others are fixed, nothing touches who can reach the bucket.
    const writes = world.proxy
      .calls()
      .filter((c) => c.write)
      .map((c) => c.operation);
    expect(writes).not.toContain('PutBucketAcl');
    expect(writes).not.toContain('PutPublicAccessBlock');
    expect((await publicGrants()).length).toBeGreaterThan(0);
    expect(tickets.tickets.map((t) => t.reason)).toEqual([expect.stringContaining(`set by ${MALLORY}`)]);
  });

  it('exemptions.tags: false → the tag is reported and the bucket fixed', async () => {
    await tagBucket();
    const { events } = handlers(world, policy({ exemptions: { tags: false } }));
    const report = await events(taggingEvent());
    const o = report.outcomes.find((x) => x.rule === 'publicStorage')!;
    expect(o.status).toBe('fixed');
    expect(o.notes).toContain('tag reflex:exempt ignored: tag exemptions are off in the policy');
    expect(await publicGrants()).toEqual([]);
  });

  it('exemptions.tags: { rules: [openIngress] } → a publicStorage exemption is not honoured', async () => {
    await tagBucket();
    const { events } = handlers(world, policy({ exemptions: { tags: { rules: ['openIngress'] } } }));
    const report = await events(taggingEvent());
    expect(report.outcomes.find((x) => x.rule === 'publicStorage')?.status).toBe('fixed');
    expect(await publicGrants()).toEqual([]);
  });
});
