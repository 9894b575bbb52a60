/**
 * Every command Reflex prints in a ticket, pasted into bash, must call `aws` / `az` / `reflex` with exactly the
 * arguments it means and run nothing else, whatever an attacker put in the names, policies, tags and reasons it
 * quotes. Each generated case fills every field a describe function prints with hostile text; the printed lines
 * run in one bash (as an interactive paste: history expansion on) where `aws`, `az` and `reflex` are stubs that
 * print their argv, and any injected `touch` would create the canary file.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsAdapter, type ClientsForRegion } from '@reflex/aws';
import { type ArmClientCache, AzureAdapter } from '@reflex/azure';
import {
  buildTicket,
  type CallDescription,
  type FirewallPosture,
  type Fix,
  type IngressRule,
  type InstancePosture,
  type NetworkPosture,
  type ResourceRef,
  type StoragePosture,
  shellCommand,
  type TrailPosture,
} from '@reflex/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { pasteIntoBash } from '../pasteIntoBash.js';

const dir = mkdtempSync(join(tmpdir(), 'reflex-printed-'));
const CANARY = join(dir, 'pwned');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Characters that mean something to bash, to a terminal or to a JSON reader, and some that mean nothing. */
const HOSTILE = [
  "'",
  '"',
  '`',
  '$',
  '$(',
  '${',
  ')',
  '}',
  '(',
  '{',
  ';',
  '&',
  '&&',
  '|',
  '||',
  '<',
  '>',
  '\\',
  '\n',
  '\r',
  '\t',
  ' ',
  '#',
  '!',
  '!!',
  '^',
  '*',
  '?',
  '[',
  ']',
  '~',
  '=',
  ',',
  ':',
  '%',
  '-',
  '--',
  '\u001b[2J',
  '\u007f',
  '\u00a0',
  '\u2028',
  '\u0085',
  'é',
  '日本',
  '😀',
  'a',
  'Z',
  '0',
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `'; touch ${CANARY}; #`,
  `"; touch ${CANARY}; #`,
  `\ntouch ${CANARY}\n`,
  `x'\n^x^touch ${CANARY}^`,
];
/** Attacker text: hostile pieces with arbitrary unicode between (NUL aside: no argv can carry it). */
const text = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join('').replaceAll(String.fromCharCode(0), ''))
  .filter((s) => s.length > 0);

const awsRef = (type: string, name: string, id: string): ResourceRef => ({
  cloud: 'aws',
  partition: 'aws',
  account: '123456789012',
  region: 'us-east-1',
  type,
  id,
  name,
});
const azRef = (type: string, rg: string, name: string, id: string): ResourceRef => ({
  cloud: 'azure',
  partition: 'AzureCloud',
  account: '00000000-0000-4000-8000-000000000000',
  region: 'westeurope',
  type,
  id,
  name,
  resourceGroup: rg,
});

const noClients = (() => {
  throw new Error('describe must not call the cloud');
}) as unknown as ClientsForRegion;
const aws = new AwsAdapter(noClients, {
  lockdownExceptions: ['arn:aws:iam::123456789012:role/reflex-bot'],
  containment: { reason: '', snapshots: true },
});
const azure = new AzureAdapter({} as ArmClientCache);

interface Printed {
  line: string;
  argv: string[];
}

/** Every command the describe functions print for one set of hostile values. */
function printedFor(v: {
  name: string;
  value: string;
  other: string;
  reason: string;
  rule: string;
  group: string;
}): Printed[] {
  const calls: CallDescription[] = [];
  const ingress = (id: string, source: string): IngressRule => ({
    id,
    direction: 'inbound',
    access: 'allow',
    protocol: 'tcp',
    ports: [{ from: 22, to: 22 }],
    sources: [{ kind: 'cidr', value: source }],
    priority: 200,
    description: v.other,
  });

  const publicStatement = {
    Sid: v.other,
    Effect: 'Allow' as const,
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${v.name}/*`,
  };
  const kept = {
    Sid: v.rule,
    Effect: 'Allow' as const,
    Principal: { AWS: `arn:aws:iam::123456789012:role/${v.other}` },
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${v.name}/*`,
    Condition: { StringEquals: { 'aws:SourceVpce': v.value } },
  };
  const bucket: StoragePosture = {
    kind: 'storage',
    ref: awsRef('AWS::S3::Bucket', v.name, `arn:aws:s3:::${v.name}`),
    publicAccess: {
      bucketBlock: null,
      acl: {
        owner: { id: v.value },
        grants: [
          { granteeType: 'CanonicalUser', grantee: v.other, permission: 'FULL_CONTROL' },
          { granteeType: 'Group', grantee: 'http://acs.amazonaws.com/groups/global/AllUsers', permission: 'READ' },
        ],
      },
      policy: { Version: '2012-10-17', Id: v.reason, Statement: [publicStatement, kept] },
    },
    encryption: { enabled: false },
    logging: { enabled: false },
    transport: { httpsOnly: false },
    tags: {},
  };
  const bucketFixes: Fix[] = [
    { type: 'block-public-access', block: BLOCK, scope: 'bucket' },
    {
      type: 'remove-public-grants',
      grants: [
        { granteeType: 'Group', grantee: 'http://acs.amazonaws.com/groups/global/AllUsers', permission: 'READ' },
      ],
    },
    { type: 'remove-public-statements', statements: [publicStatement], remaining: [kept] },
    { type: 'require-secure-transport' },
    { type: 'enable-encryption', algorithm: 'aws:kms', keyId: v.value },
    { type: 'enable-logging', target: v.other, prefix: v.reason },
  ];
  for (const fix of bucketFixes) calls.push(...aws.describe(fix, bucket, bucketFixes));
  calls.push(...aws.describe({ type: 'isolate' }, bucket));

  const sg: FirewallPosture = {
    kind: 'firewall',
    ref: awsRef('AWS::EC2::SecurityGroup', v.group, `arn:aws:ec2:us-east-1:123456789012:security-group/${v.group}`),
    rules: [ingress('', v.value), ingress('', '0.0.0.0/0')],
    tags: {},
    vpcId: v.other,
  };
  calls.push(
    ...aws.describe(
      {
        type: 'revoke-ingress',
        changes: [
          { before: ingress('', v.value), after: [] },
          { before: ingress(v.other, '0.0.0.0/0'), after: [ingress('', v.reason), ingress('', v.value)] },
          { before: ingress('', '::/0'), after: [ingress('', v.name)] },
        ],
      },
      sg,
    ),
    ...aws.describe({ type: 'isolate' }, sg),
  );

  const instance: InstancePosture = {
    kind: 'instance',
    ref: awsRef('AWS::EC2::Instance', v.name, `arn:aws:ec2:us-east-1:123456789012:instance/${v.name}`),
    state: 'running',
    vpcId: v.other,
    securityGroups: [],
    networkInterfaces: [{ id: v.value, primary: true, groups: [] }],
    volumes: [],
    tags: {},
  } as unknown as InstancePosture;
  calls.push(
    ...aws
      .withContainment({ containment: { reason: v.reason, snapshots: true } })
      .describe({ type: 'isolate', quarantineGroup: v.group }, instance),
    ...aws.describe({ type: 'isolate', quarantineGroup: `sg-${v.group}` }, instance),
  );
  const trail: TrailPosture = {
    kind: 'trail',
    ref: awsRef('AWS::CloudTrail::Trail', v.name, `arn:aws:cloudtrail:us-east-1:123456789012:trail/${v.name}`),
    logging: false,
    tags: {},
  };
  calls.push(...aws.describe({ type: 'start-trail-logging' }, trail));
  const vpc: NetworkPosture = {
    kind: 'network',
    ref: awsRef('AWS::EC2::VPC', v.name, `arn:aws:ec2:us-east-1:123456789012:vpc/${v.name}`),
    flowLogs: [],
    tags: {},
  };
  calls.push(...aws.describe({ type: 'enable-flow-logs', destination: v.value, trafficType: 'ALL' }, vpc));

  // Azure: an account, its containers, an NSG and a VNet, all named by the attacker.
  const accountId = `/subscriptions/s/resourceGroups/${v.group}/providers/Microsoft.Storage/storageAccounts/${v.name}`;
  const account: StoragePosture = {
    kind: 'storage',
    ref: azRef('Microsoft.Storage/storageAccounts', v.group, v.name, accountId),
    publicAccess: { allowBlobPublicAccess: true, containers: [{ name: v.other, id: 'c', publicAccess: 'Blob' }] },
    encryption: { enabled: true },
    logging: { enabled: false },
    transport: { httpsOnly: false, minimumTls: 'TLS1_0' },
    tags: {},
  };
  const accountFixes: Fix[] = [
    { type: 'disallow-public-containers' },
    { type: 'set-container-access', containers: [{ name: v.other, id: 'c', from: 'Blob' }] },
    { type: 'require-secure-transport', minimumTls: 'TLS1_2' },
    { type: 'enable-logging', target: v.value },
    { type: 'enable-encryption', algorithm: 'Microsoft.Keyvault', keyId: 'https://kv.vault.azure.net/keys/k/1' },
    { type: 'isolate' },
  ];
  for (const fix of accountFixes) calls.push(...azure.describe(fix, account, accountFixes));
  const nsgId = `/subscriptions/s/resourceGroups/${v.group}/providers/Microsoft.Network/networkSecurityGroups/${v.name}`;
  const nsg: FirewallPosture = {
    kind: 'firewall',
    ref: azRef('Microsoft.Network/networkSecurityGroups', v.group, v.name, nsgId),
    rules: [ingress(v.other, '*'), ingress(v.reason, 'Internet')],
    tags: {},
  };
  calls.push(
    ...azure.describe(
      {
        type: 'revoke-ingress',
        changes: [
          { before: ingress(v.other, '*'), after: [] },
          { before: ingress(v.reason, 'Internet'), after: [ingress(v.reason, v.value), ingress(v.reason, v.name)] },
        ],
      },
      nsg,
    ),
    ...azure.describe({ type: 'isolate' }, nsg),
  );
  const vnetId = `/subscriptions/s/resourceGroups/${v.group}/providers/Microsoft.Network/virtualNetworks/${v.name}`;
  const vnet: NetworkPosture = {
    kind: 'network',
    ref: azRef('Microsoft.Network/virtualNetworks', v.group, v.name, vnetId),
    flowLogs: [],
    tags: {},
  };
  calls.push(...azure.describe({ type: 'enable-flow-logs', destination: v.value, trafficType: 'ALL' }, vnet));

  const printed = calls.map((c) => ({ line: shellCommand(c.argv), argv: c.argv }));
  // The ticket's own lines: how to apply and how to exempt, for resources named by the attacker.
  for (const resource of [bucket.ref, account.ref]) {
    const ticket = buildTicket({
      finding: {
        rule: 'publicStorage',
        resource,
        severity: 'high',
        title: v.name,
        evidence: [v.value],
        fixes: [],
      },
      steps: [{ id: 's', rule: 'publicStorage', fix: bucketFixes[0]!, summary: v.reason, calls: [] }],
      trigger: { source: 'sweep', eventId: v.other },
      reason: v.reason,
      exemptionTag: v.rule,
      now: new Date('2026-01-01T00:00:00Z'),
    });
    printed.push({ line: ticket.howToApply, argv: ['reflex', 'remediate', resource.id, '--rule', 'publicStorage'] });
    const tagValue = 'publicStorage; reason=<ticket or change id>; until=2026-01-31';
    printed.push({
      line: ticket.howToExempt,
      argv:
        resource.cloud === 'azure'
          ? [
              'az',
              'tag',
              'update',
              '--resource-id',
              resource.id,
              '--operation',
              'Merge',
              '--tags',
              `${v.rule}=${tagValue}`,
            ]
          : [
              'aws',
              'resourcegroupstaggingapi',
              'tag-resources',
              '--region',
              'us-east-1',
              '--resource-arn-list',
              resource.id,
              '--tags',
              JSON.stringify({ [v.rule]: tagValue }),
            ],
    });
  }
  return printed;
}

const BLOCK = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };

/** Per line, the one call's argv; a line that made no call or several is reported as such (never equal). */
function runInBash(lines: string[]): string[][] {
  return pasteIntoBash(lines, dir).map((calls) =>
    calls.length === 1 ? calls[0]! : [`<${calls.length} calls: ${JSON.stringify(calls)}>`],
  );
}

describe('commands printed in tickets, pasted into bash', () => {
  it('call the program with exactly the intended arguments and run nothing else (≥ 1,000 hostile cases)', () => {
    let cases = 0;
    let commands = 0;
    const values = fc.record({ name: text, value: text, other: text, reason: text, rule: text, group: text });
    fc.assert(
      fc.property(fc.array(values, { minLength: 40, maxLength: 40 }), (batch) => {
        const printed = batch.flatMap(printedFor);
        for (const p of printed) expect(p.line).not.toMatch(/[\n\r]/);
        const received = runInBash(printed.map((p) => p.line));
        expect(received).toEqual(printed.map((p) => p.argv));
        expect(existsSync(CANARY)).toBe(false);
        cases += batch.length;
        commands += printed.length;
      }),
      { numRuns: 26, seed: 18 },
    );
    expect(cases).toBeGreaterThanOrEqual(1000);
    expect(commands).toBeGreaterThan(20_000);
  }, 120_000);

  it('shellCommand passes any arguments through bash unchanged (arbitrary code points, empty, leading - ~ =)', () => {
    const arg = fc.oneof(
      text,
      fc.string({ unit: 'binary', maxLength: 12 }).map((x) => x.replaceAll(String.fromCharCode(0), '')),
      fc.constantFrom('', '-', '--x', '~', '~root', '=', 'a=b', '#', '!', '!$', '^a^b', '%1', '*', '.*'),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(arg, { minLength: 0, maxLength: 6 }), { minLength: 150, maxLength: 150 }),
        (argvs) => {
          const commands = argvs.map((a) => ['aws', ...a]);
          expect(runInBash(commands.map(shellCommand))).toEqual(commands);
          expect(existsSync(CANARY)).toBe(false);
        },
      ),
      { numRuns: 8, seed: 5 },
    );
  });

  it('the attacker text reaches the arguments it belongs to (the cases above test something)', () => {
    const v = {
      name: `b'; touch ${CANARY}; #`,
      value: "x'; touch /tmp/pwned; #",
      other: '$(id)',
      reason: '`id`\n!!',
      rule: 'r',
      group: 'g',
    };
    const printed = printedFor(v);
    const policy = printed.find((p) => p.argv[2] === 'put-bucket-policy' && p.argv[4] === v.name)!;
    expect(JSON.parse(policy.argv[6]!).Statement[0].Condition.StringEquals['aws:SourceVpce']).toBe(v.value);
    expect(printed.find((p) => p.argv[2] === 'put-bucket-acl')!.argv).toContain(v.name);
    expect(printed.some((p) => p.argv.includes(v.other) && p.argv[0] === 'az')).toBe(true);
    const received = runInBash(printed.map((p) => p.line));
    expect(received).toEqual(printed.map((p) => p.argv));
    expect(existsSync(CANARY)).toBe(false);
  });
});
