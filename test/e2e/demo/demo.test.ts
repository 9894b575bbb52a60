import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DescribeInstancesCommand, DescribeSecurityGroupRulesCommand } from '@aws-sdk/client-ec2';
import {
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { type DemoClouds, type DemoResult, runDemo } from '@reflex/cli';
import { armClientOptions } from '@reflex/sim';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

/** Is anything still listening on this loopback port? */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The end state, read straight from the clouds with the raw SDKs (not through Reflex, not from the text). */
async function readEndState(result: DemoResult, clouds: DemoClouds) {
  const estate = result.aws;
  if (!estate || !clouds.aws) throw new Error('the demo skipped its AWS half: these tests need moto');
  const { s3, ec2 } = clouds.aws;
  const bucket = async (Bucket: string) => {
    const acl = await s3.send(new GetBucketAclCommand({ Bucket }));
    const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket }));
    const sse = await s3.send(new GetBucketEncryptionCommand({ Bucket })).catch(() => undefined);
    const logging = await s3.send(new GetBucketLoggingCommand({ Bucket }));
    const policy = await s3.send(new GetBucketPolicyCommand({ Bucket })).catch(() => undefined);
    return {
      publicGrants: (acl.Grants ?? []).filter((g) => g.Grantee?.URI).length,
      blockAll: Object.values(block.PublicAccessBlockConfiguration ?? {}).every((v) => v === true),
      encryption: sse?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
      logging: logging.LoggingEnabled?.TargetBucket,
      publicAllow: JSON.stringify(
        JSON.parse(policy?.Policy ?? '{"Statement":[]}').Statement.filter(
          (s: { Effect: string; Principal?: unknown }) =>
            s.Effect === 'Allow' && JSON.stringify(s.Principal).includes('*'),
        ),
      ),
    };
  };
  const groupId = estate.webGroup.name;
  const rules = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  const instance = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [estate.instance.name] }));

  const o = armClientOptions(clouds.emulator);
  const opts = { endpoint: o.endpoint, additionalPolicies: o.additionalPolicies };
  const sub = result.azure.nsg.account;
  const rg = result.azure.nsg.resourceGroup!;
  const storage = new StorageManagementClient(o.credential, sub, opts);
  const network = new NetworkManagementClient(o.credential, sub, opts);
  const account = async (name: string) => {
    const a = await storage.storageAccounts.getProperties(rg, name);
    return { public: a.allowBlobPublicAccess, httpsOnly: a.enableHttpsTrafficOnly, tls: a.minimumTlsVersion };
  };
  const nsg = await network.networkSecurityGroups.get(rg, result.azure.nsg.name);
  const container = await storage.blobContainers.get(rg, result.azure.containerAccount.name, result.azure.container);
  return {
    buckets: {
      publicRead: await bucket(estate.publicRead.name),
      publicPolicy: await bucket(estate.publicPolicy.name),
      unencrypted: await bucket(estate.unencrypted.name),
    },
    groupIngress: (rules.SecurityGroupRules ?? [])
      .filter((r) => !r.IsEgress)
      .map((r) => `${r.FromPort}:${r.CidrIpv4 ?? r.CidrIpv6}`)
      .sort(),
    instanceGroups: (instance.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces ?? []).flatMap((n) =>
      (n.Groups ?? []).map((g) => g.GroupId),
    ),
    publicAccount: await account(result.azure.publicAccount.name),
    containerAccount: await account(result.azure.containerAccount.name),
    containerAccess: container.publicAccess,
    nsgRules: (nsg.securityRules ?? []).map((r) => ({
      name: r.name,
      access: r.access,
      priority: r.priority,
      source: r.sourceAddressPrefix,
      port: r.destinationPortRange,
    })),
  };
}

describe('reflex demo', () => {
  it('in-process: every claim holds in the clouds, and both clouds are stopped afterwards', async () => {
    let out = '';
    let result: DemoResult | undefined;
    let state: Awaited<ReturnType<typeof readEndState>> | undefined;
    let ports: number[] = [];
    let motoPid = 0;
    const code = await runDemo(
      { out: (t) => (out += t), err: (t) => (out += t) },
      {
        inspect: async (r, clouds) => {
          result = r;
          ports = [clouds.moto?.port ?? 0, clouds.emulator.port];
          motoPid = clouds.moto?.pid ?? 0;
          state = await readEndState(r, clouds);
        },
      },
    );
    expect(code, out).toBe(0);
    expect(result && state).toBeTruthy();
    const r = result!;
    const s = state!;

    // Enforced and verified: every seeded resource read back compliant.
    expect(r.verified.map((v) => [v.resource.name, v.compliant])).toEqual(
      r.verified.map((v) => [v.resource.name, true]),
    );
    for (const b of Object.values(s.buckets)) {
      expect(b).toMatchObject({
        publicGrants: 0,
        blockAll: true,
        encryption: 'AES256',
        logging: 'reflex-demo-access-logs',
      });
      expect(b.publicAllow).toBe('[]');
    }
    expect(s.publicAccount).toEqual({ public: false, httpsOnly: true, tls: 'TLS1_2' });
    expect(s.containerAccount.public).toBe(false);
    expect(s.containerAccess).toBe('None');

    // One fix undone: the security group's revoke (22 and 3389 came back, as recorded).
    expect(r.undone).toMatchObject({ resource: { id: r.aws!.webGroup.id }, status: 'undone' });

    // Contained: the instance (its interfaces moved off the web group, which keeps its undone rules) and the NSG.
    const instance = r.contained.find((c) => c.resource.id === r.aws!.instance.id);
    expect(instance?.status).toBe('contained');
    expect(s.instanceGroups).not.toContain(r.aws!.webGroup.name);
    expect(s.groupIngress).toEqual(['22:0.0.0.0/0', '3389:::/0', '5432:10.0.0.0/8']);
    const nsg = r.contained.find((c) => c.resource.id === r.azure.nsg.id);
    expect(nsg?.status).toBe('contained');
    // The open rules are gone (enforced) and a deny-all inbound rule outranks anything left.
    expect(s.nsgRules.filter((x) => x.access === 'Allow')).toEqual([]);
    expect(s.nsgRules).toContainEqual(expect.objectContaining({ access: 'Deny', source: '*', port: '*' }));
    expect(r.auditRecords).toBeGreaterThan(0);

    // Nothing left running.
    expect(alive(motoPid)).toBe(false);
    for (const port of ports) expect(await listening(port)).toBe(false);
    expect(out).toMatch(/moto and the ARM emulator are stopped/);
  }, 60_000);

  it('as `npm start` runs it (tsx cli/src/bin.ts demo): exit 0, under a minute, nothing left listening', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/src/bin.ts', 'demo'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code, out).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(out.includes(String.fromCharCode(27))).toBe(false); // no colour when not a terminal
    const ports = [...out.matchAll(/https?:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports).toHaveLength(2);
    for (const port of ports) expect(await listening(port)).toBe(false);
  }, 70_000);
});
