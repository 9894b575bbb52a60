import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetBucketAclCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, LOG_BUCKET, resetWorld, startWorld, type World } from './world.js';

const DIST = join(import.meta.dirname, '../../../aws-lambda/dist');
let world: World;
const ROOT = join(import.meta.dirname, '../../..');

/** `npm run build` of aws-lambda, as CI runs it. */
async function buildBundles() {
  const run = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'aws-lambda/build.ts')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`build failed: ${run.stderr}`);
  return ['events.mjs', 'manual.mjs'].map((name) => ({ file: name, bytes: statSync(join(DIST, name)).size }));
}
let sizes: { file: string; bytes: number }[];

beforeAll(async () => {
  [world, sizes] = await Promise.all([startWorld(), buildBundles()]);
}, 90_000);
afterAll(async () => {
  await world?.stop();
});

/** Runs a bundle's handler in a fresh Node process, configured only through the environment, as Lambda would. */
function invoke(bundle: string, event: unknown, context: unknown = {}) {
  const script = `const { handler } = await import(${JSON.stringify(join(DIST, bundle))});
const report = await handler(JSON.parse(process.env.EVENT), JSON.parse(process.env.CONTEXT));
process.stderr.write('REPORT' + JSON.stringify(report));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: world.moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      REFLEX_POLICY: JSON.stringify({
        version: 1,
        mode: 'enforce',
        rules: { storageWithoutLogging: { aws: { targetBucket: LOG_BUCKET } } },
      }),
      EVENT: JSON.stringify(event),
      CONTEXT: JSON.stringify(context),
    },
  });
  const marker = run.stderr.lastIndexOf('REPORT');
  if (run.status !== 0 || marker < 0)
    throw new Error(`bundle run failed (${run.status}): ${run.stderr}\n${run.stdout}`);
  return { report: JSON.parse(run.stderr.slice(marker + 'REPORT'.length)), stdout: run.stdout };
}

describe('bundles', () => {
  it('are built, self-contained ESM files', () => {
    for (const name of ['events.mjs', 'manual.mjs']) expect(existsSync(join(DIST, name))).toBe(true);
    for (const { bytes } of sizes) expect(bytes).toBeLessThan(3 * 1024 * 1024);
  });

  it('events.mjs loads and fixes a public bucket on moto from a real-format event', async () => {
    await resetWorld(world);
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: 'bundle-bucket' }));
    await world.direct.s3.send(new CreateBucketCommand({ Bucket: LOG_BUCKET }));
    await world.direct.s3.send(new PutBucketAclCommand({ Bucket: 'bundle-bucket', ACL: 'public-read' }));
    const { report, stdout } = invoke(
      'events.mjs',
      fixture('cloudtrail-s3-PutBucketAcl-canned-public-read.json', { 'amzn-s3-demo-bucket': 'bundle-bucket' }),
    );
    expect(report.outcomes.find((o: { rule?: string }) => o.rule === 'publicStorage')?.status).toBe('fixed');
    const grants = (await world.direct.s3.send(new GetBucketAclCommand({ Bucket: 'bundle-bucket' }))).Grants ?? [];
    expect(grants.some((g) => g.Grantee?.URI)).toBe(false);
    // Powertools logs the report and the audit records as structured JSON lines.
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message?: string });
    expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['reflex.audit', 'reflex.report']));
  });

  it('manual.mjs rejects a bad request with a clear error and no cloud call', () => {
    const { report } = invoke('manual.mjs', { action: 'explode' });
    expect(report.errors[0].message).toMatch(/invalid manual request: action/);
  });
});
