import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketAclCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import { NetworkManagementClient } from '@azure/arm-network';
import { type AwsClients, createAwsClients } from '@reflex/aws';
import {
  type ArmEmulator,
  armClientOptions,
  MOTO_CREDENTIALS,
  MOTO_REGION,
  type MotoServer,
  startArmEmulator,
  startMoto,
  staticArmCredential,
  trustCertificatePolicy,
} from '@reflex/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, type CliDeps, EXIT } from '../src/index.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const RG = 'rg-cli';
const dir = mkdtempSync(join(tmpdir(), 'reflex-cli-clouds-'));
const audit = join(dir, 'audit.jsonl');
const enforce = join(dir, 'enforce.yaml');
writeFileSync(
  enforce,
  'version: 1\nmode: enforce\nrules:\n  storageWithoutLogging: { mode: off }\n  unencryptedStorage: { mode: off }\n  insecureTransport: { mode: off }\n  networkWithoutFlowLogs: { mode: off }\n  ebsEncryptionByDefaultOff: { mode: off }\n  accountPublicAccessUnblocked: { mode: off }\n  trailLoggingStopped: { mode: off }\n',
);

let moto: MotoServer;
let emulator: ArmEmulator;
let aws: AwsClients;
let deps: CliDeps;

beforeAll(async () => {
  [moto, emulator] = await Promise.all([startMoto(), startArmEmulator({ subscriptionId: SUB })]);
  aws = createAwsClients(MOTO_REGION, { endpoint: moto.endpoint, credentials: { ...MOTO_CREDENTIALS } });
  emulator.seedResourceGroup(RG, 'westeurope', SUB);
  deps = {
    env: { REFLEX_ACCOUNT_ID: '123456789012' },
    awsCredentials: { ...MOTO_CREDENTIALS },
    azureCredential: staticArmCredential({ oid: '7e500000-0000-4000-8000-00000000a7e5', appid: 'cli' }),
    armPolicies: [trustCertificatePolicy(emulator.ca)],
    armPollIntervalMs: 10,
    tty: false,
  };
});
afterAll(async () => {
  await Promise.allSettled([moto?.stop(), emulator?.stop()]);
});

async function reflex(cloud: 'aws' | 'azure', ...args: string[]) {
  let out = '';
  let err = '';
  let code: number = EXIT.ok;
  const endpoint = cloud === 'aws' ? moto.endpoint : emulator.endpoint;
  const program = buildProgram({ out: (t) => (out += t), err: (t) => (err += t) }, (c) => (code = c), deps);
  try {
    await program.parseAsync(['node', 'reflex', ...args, '--endpoint', endpoint, '--audit', audit]);
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  return { out, err, code };
}

const publicGrants = async (Bucket: string) =>
  ((await aws.s3.send(new GetBucketAclCommand({ Bucket }))).Grants ?? []).filter((g) => g.Grantee?.URI).length;

async function openGroup(name: string): Promise<string> {
  const id = (await aws.ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name }))).GroupId!;
  await aws.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: id,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ],
    }),
  );
  return id;
}

const ingress = async (id: string) =>
  (
    (await aws.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [id] }] })))
      .SecurityGroupRules ?? []
  )
    .filter((r) => !r.IsEgress)
    .map((r) => `${r.FromPort}:${r.CidrIpv4 ?? r.CidrIpv6}`)
    .sort();

describe('reflex on moto (AWS)', () => {
  it('remediate: --dry-run tickets and changes nothing (1); enforce fixes (0); --output json parses', async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: 'cli-public' }));
    await aws.s3.send(new PutBucketAclCommand({ Bucket: 'cli-public', ACL: 'public-read' }));
    const arn = 'arn:aws:s3:::cli-public';

    const dry = await reflex('aws', 'remediate', arn, '--dry-run', '--policy', enforce, '--output', 'json');
    expect(dry.code).toBe(1);
    const report = JSON.parse(dry.out) as {
      outcomes: { rule: string; status: string }[];
      tickets: { steps: { cli: string }[] }[];
    };
    expect(report.outcomes).toContainEqual(expect.objectContaining({ rule: 'publicStorage', status: 'ticketed' }));
    expect(report.tickets[0]!.steps.map((s) => s.cli).join('\n')).toMatch(/aws s3api put-public-access-block/);
    expect(await publicGrants('cli-public')).toBe(1);

    const fix = await reflex('aws', 'remediate', arn, '--policy', enforce, '--rule', 'publicStorage');
    expect(fix.code).toBe(0);
    expect(fix.out).toMatch(/cli-public\s+publicStorage\s+fixed/);
    expect(fix.out).toMatch(
      /undo a change with: reflex undo <remediation-id>[\s\S]*rem-\S+ {2}cli-public {2}publicStorage/,
    );
    expect(await publicGrants('cli-public')).toBe(0);
  });

  it('a bucket that does not exist: 2', async () => {
    const r = await reflex('aws', 'remediate', 'arn:aws:s3:::cli-no-such-bucket', '--policy', enforce);
    expect(r.code).toBe(2);
  });

  it('sweep --cloud aws fixes what the policy enforces; contain shuts a group and undo puts it back', async () => {
    const group = await openGroup('cli-sweep');
    const sweep = await reflex(
      'aws',
      'sweep',
      '--cloud',
      'aws',
      '--region',
      MOTO_REGION,
      '--policy',
      enforce,
      '-o',
      'json',
    );
    const report = JSON.parse(sweep.out) as {
      outcomes: { resource: { name: string }; rule: string; status: string }[];
    };
    expect(report.outcomes).toContainEqual(
      expect.objectContaining({
        resource: expect.objectContaining({ name: group }),
        rule: 'openIngress',
        status: 'fixed',
      }),
    );
    expect(sweep.code).toBe(0);
    expect(await ingress(group)).toEqual(['5432:10.0.0.0/8']);

    const arn = `arn:aws:ec2:${MOTO_REGION}:123456789012:security-group/${group}`;
    const contained = await reflex('aws', 'contain', arn, '--reason', 'INC-1 test', '-o', 'json');
    expect(contained.code).toBe(0);
    expect(await ingress(group)).toEqual([]);
    const id = (JSON.parse(contained.out) as { outcomes: { remediationId: string }[] }).outcomes[0]!.remediationId;
    expect(id).toMatch(/^con-/);

    const undone = await reflex('aws', 'undo', id, '--reason', 'INC-1 closed');
    expect(undone.code).toBe(0);
    expect(undone.out).toMatch(/undone/);
    expect(await ingress(group)).toEqual(['5432:10.0.0.0/8']);
    // Twice: nothing left to do, and it says so.
    expect((await reflex('aws', 'undo', id, '--reason', 'again')).out).toMatch(/already-undone/);
  });
});

describe('reflex on the ARM emulator (Azure)', () => {
  const nsgId = (name: string) =>
    `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
  const network = () => {
    const o = armClientOptions(emulator);
    return new NetworkManagementClient(o.credential, SUB, {
      endpoint: o.endpoint,
      additionalPolicies: o.additionalPolicies,
    });
  };
  const rules = async (name: string) =>
    ((await network().networkSecurityGroups.get(RG, name)).securityRules ?? [])
      .map((r) => `${r.name}:${r.access}:${r.priority}`)
      .sort();
  const openNsg = (name: string) =>
    network().networkSecurityGroups.createOrUpdate(
      RG,
      name,
      {
        location: 'westeurope',
        securityRules: [
          {
            name: 'rdp',
            priority: 200,
            direction: 'Inbound',
            access: 'Allow',
            protocol: 'Tcp',
            sourcePortRange: '*',
            sourceAddressPrefix: 'Internet',
            destinationAddressPrefix: '*',
            destinationPortRange: '3389',
          },
        ],
      },
      { updateIntervalInMs: 10 },
    );

  it('remediate an NSG by ARM id (subscription taken from the id), then sweep the subscription', async () => {
    await openNsg('nsg-cli');
    const r = await reflex('azure', 'remediate', nsgId('nsg-cli'), '--policy', enforce);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/nsg-cli\s+openIngress\s+fixed/);
    expect(await rules('nsg-cli')).toEqual([]);

    await openNsg('nsg-cli-2');
    const sweep = await reflex('azure', 'sweep', '--cloud', 'azure', '--subscription', SUB, '--policy', enforce);
    expect(sweep.code).toBe(0);
    expect(sweep.out).toMatch(/nsg-cli-2\s+openIngress\s+fixed/);
    expect(await rules('nsg-cli-2')).toEqual([]);
  });

  it('contain an NSG (deny-all inbound), then undo it', async () => {
    await openNsg('nsg-contain');
    const contained = await reflex('azure', 'contain', nsgId('nsg-contain'), '--reason', 'INC-2 test', '-o', 'json');
    expect(contained.code).toBe(0);
    const after = await rules('nsg-contain');
    expect(after.some((r) => r.includes(':Deny:'))).toBe(true);
    const id = (JSON.parse(contained.out) as { outcomes: { remediationId: string }[] }).outcomes[0]!.remediationId;

    const undone = await reflex('azure', 'undo', id, '--reason', 'INC-2 closed');
    expect(undone.code).toBe(0);
    expect(await rules('nsg-contain')).toEqual(['rdp:Allow:200']);
  });

  it('contain --dry-run plans and changes nothing (1)', async () => {
    await openNsg('nsg-dry');
    const r = await reflex('azure', 'contain', nsgId('nsg-dry'), '--reason', 'drill', '--dry-run');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/ticketed/);
    expect(await rules('nsg-dry')).toEqual(['rdp:Allow:200']);
  });
});
