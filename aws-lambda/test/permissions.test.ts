import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RULE_NAMES, ruleByName } from '@reflex/core';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  AWS_PERMISSIONS,
  AWS_RULE_FIXES,
  AWS_RULE_RESOURCE,
  type AwsSdkPackage,
  awsStatementsFor,
} from '../src/permissions.js';

const SRC = join(import.meta.dirname, '../src');

interface Sent {
  sdk: string;
  command: string;
  where: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Every `new XxxCommand(...)` in the adapter, with the `@aws-sdk/*` package that declares its class (the same
 * class name exists in several packages: S3 and S3 Control both have GetPublicAccessBlockCommand). Resolved
 * through the type checker, so renamed, namespace and dynamic imports (`new sdk.PutItemCommand(...)` with
 * `sdk = await import('@aws-sdk/client-dynamodb')`) are all seen. A `...Command` class that does not resolve
 * to an `@aws-sdk/*` declaration is reported rather than skipped.
 */
function scanCommands(): { sent: Sent[]; unresolved: string[] } {
  const files = sourceFiles(SRC);
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const sent: Sent[] = [];
  const unresolved: string[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const where = (node: ts.Node) =>
      `${relative(join(SRC, '..'), file)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node)) {
        const callee = node.expression;
        const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText(sf);
        let symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(callee) ? callee.name : callee);
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
        const declFile = symbol?.declarations?.[0]?.getSourceFile().fileName ?? '';
        // `@aws-sdk/nested-clients/<service>` (the SDK's own STS client) is that service's API: `client-<service>`.
        const nested = /node_modules\/@aws-sdk\/nested-clients\/dist-types\/submodules\/([a-z0-9-]+)\//.exec(
          declFile,
        )?.[1];
        const sdk = nested ? `client-${nested}` : /node_modules\/@aws-sdk\/([a-z0-9-]+)\//.exec(declFile)?.[1];
        const className = symbol?.getName() ?? name;
        if (sdk && className.endsWith('Command'))
          sent.push({ sdk, command: className.replace(/Command$/, ''), where: where(node) });
        else if (/Command$/.test(name))
          unresolved.push(`${where(node)}: new ${name}(...) does not resolve to an @aws-sdk/* command class`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { sent, unresolved };
}

const { sent, unresolved } = scanCommands();
const key = (sdk: string, command: string) => `@aws-sdk/${sdk} ${command}`;
const declared = new Map(AWS_PERMISSIONS.map((p) => [key(p.sdk, p.command), p]));

describe('AWS permission declarations cover what the adapter sends', () => {
  it('finds the commands (the scanner works)', () => {
    expect(sent.length).toBeGreaterThan(20);
    expect(sent.map((s) => key(s.sdk, s.command))).toEqual(
      expect.arrayContaining([
        key('client-s3', 'GetPublicAccessBlock'),
        key('client-s3-control', 'GetPublicAccessBlock'),
      ]),
    );
  });

  it('every command class resolves to its @aws-sdk package', () => {
    expect(unresolved, unresolved.join('\n')).toEqual([]);
  });

  it('every SDK command the adapter sends is declared in src/permissions.ts', () => {
    const missing = sent
      .filter((s) => !declared.has(key(s.sdk, s.command)))
      .map(
        (s) =>
          `${s.where}: ${s.command}Command from @aws-sdk/${s.sdk} has no declaration — add { sdk: '${s.sdk}', command: '${s.command}', grants: [<exact IAM actions>], uses: [...] } to AWS_PERMISSIONS`,
      );
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it('a command the adapter sends is not marked planned', () => {
    const stale = sent
      .filter((s) => declared.get(key(s.sdk, s.command))?.planned)
      .map(
        (s) => `${s.where}: ${s.command} from @aws-sdk/${s.sdk} is sent now — remove \`planned\` from its declaration`,
      );
    expect(stale, stale.join('\n')).toEqual([]);
  });

  it('every declaration (not planned) is sent by something', () => {
    const sentKeys = new Set(sent.map((s) => key(s.sdk, s.command)));
    const unused = AWS_PERMISSIONS.filter((p) => !p.planned && !sentKeys.has(key(p.sdk, p.command))).map(
      (p) => `${key(p.sdk, p.command)} (${p.grants.flatMap((g) => g.actions).join(', ')}) is declared but never sent`,
    );
    expect(unused, unused.join('\n')).toEqual([]);
  });

  it('declarations are unique, exact (no wildcards) and well formed', () => {
    expect(declared.size).toBe(AWS_PERMISSIONS.length);
    for (const p of AWS_PERMISSIONS) {
      expect(p.grants.length, p.command).toBeGreaterThan(0);
      expect(p.uses.length, p.command).toBeGreaterThan(0);
      for (const a of p.grants.flatMap((g) => g.actions))
        expect(a, `${p.command}: ${a}`).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
    }
    const sdks: AwsSdkPackage[] = [...new Set(AWS_PERMISSIONS.map((p) => p.sdk))];
    for (const sdk of sdks) expect(sdk).toMatch(/^(client|lib)-[a-z0-9-]+$/);
  });

  it('the IAM names that differ from the API names are right', () => {
    const actions = (sdk: string, command: string) => declared.get(key(sdk, command))!.grants.flatMap((g) => g.actions);
    expect(actions('client-s3', 'GetPublicAccessBlock')).toEqual(['s3:GetBucketPublicAccessBlock']);
    expect(actions('client-s3', 'PutPublicAccessBlock')).toEqual(['s3:PutBucketPublicAccessBlock']);
    expect(actions('client-s3', 'PutBucketEncryption')).toEqual(['s3:PutEncryptionConfiguration']);
    expect(actions('client-s3', 'GetBucketEncryption')).toEqual(['s3:GetEncryptionConfiguration']);
    expect(actions('client-s3', 'ListBuckets')).toEqual(['s3:ListAllMyBuckets']);
    expect(actions('client-s3-control', 'PutPublicAccessBlock')).toEqual(['s3:PutAccountPublicAccessBlock']);
    expect(actions('client-s3-control', 'GetPublicAccessBlock')).toEqual(['s3:GetAccountPublicAccessBlock']);
  });
});

describe('rules → grants', () => {
  it('the resource kind of each rule agrees with core', () => {
    const kindOf = {
      storage: 'bucket',
      firewall: 'security-group',
      trail: 'trail',
      network: 'vpc',
      account: 'account',
    };
    for (const rule of RULE_NAMES) {
      expect(AWS_RULE_RESOURCE[rule], rule).toBe(kindOf[ruleByName(rule).appliesTo as keyof typeof kindOf]);
      expect(AWS_RULE_FIXES[rule].length, rule).toBeGreaterThan(0);
    }
  });

  it('every fix a rule asks for is applied by some declared command', () => {
    for (const fix of new Set(Object.values(AWS_RULE_FIXES).flat()))
      expect(
        AWS_PERMISSIONS.some((p) => p.uses.some((u) => 'fix' in u && u.fix === fix)),
        fix,
      ).toBe(true);
  });

  const actionsOf = (needs: Parameters<typeof awsStatementsFor>[0]) =>
    awsStatementsFor(needs).flatMap((s) => s.actions);

  it('openIngress alone in enforce: security group reads and writes, nothing of S3', () => {
    expect(new Set(actionsOf({ rules: { openIngress: 'enforce' } }))).toEqual(
      new Set([
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSecurityGroupRules',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:ModifySecurityGroupRules',
        'ec2:AuthorizeSecurityGroupIngress',
      ]),
    );
  });

  it('openIngress in dry-run reads the group with DescribeSecurityGroups alone (rule ids are for writes and undo)', () => {
    expect(actionsOf({ rules: { openIngress: 'dry-run' } })).toEqual(['ec2:DescribeSecurityGroups']);
  });

  it('dry-run grants reads only; off grants nothing', () => {
    const dry = actionsOf({ rules: { publicStorage: 'dry-run', openIngress: 'off' } });
    expect(dry.every((a) => /:(Get|List|Describe)/.test(a))).toBe(true);
    expect(dry).toContain('s3:GetBucketAcl');
    expect(dry.some((a) => a.startsWith('ec2:'))).toBe(false);
    expect(actionsOf({ rules: { openIngress: 'off' } })).toEqual([]);
  });

  it('flow-log delivery grants follow the destination', () => {
    const s3 = actionsOf({ rules: { networkWithoutFlowLogs: 'enforce' }, flowLogsDestination: 's3' });
    expect(s3).toEqual(expect.arrayContaining(['ec2:CreateFlowLogs', 'logs:CreateLogDelivery']));
    expect(s3).not.toContain('iam:PassRole');
    const cwl = actionsOf({ rules: { networkWithoutFlowLogs: 'enforce' }, flowLogsDestination: 'cloudwatch' });
    expect(cwl).toContain('iam:PassRole');
    expect(cwl).not.toContain('logs:CreateLogDelivery');
  });

  it('sweeps list every kind; the table and secrets only when asked; planned declarations are never granted', () => {
    const sweep = actionsOf({ rules: { openIngress: 'dry-run' }, sweep: true, memberAccounts: true });
    expect(sweep).toEqual(expect.arrayContaining(['s3:ListAllMyBuckets', 'cloudtrail:ListTrails', 'ec2:DescribeVpcs']));
    expect(sweep.some((a) => /^(dynamodb|secretsmanager):/.test(a))).toBe(false);
    for (const p of AWS_PERMISSIONS.filter((p) => p.planned))
      for (const a of p.grants.flatMap((g) => g.actions)) expect(sweep).not.toContain(a);
    expect(sweep).toContain('sts:AssumeRole');
    expect(actionsOf({ rules: { openIngress: 'dry-run' }, sweep: true })).not.toContain('sts:AssumeRole');
    expect(awsStatementsFor({ rules: {}, memberAccounts: true })).toEqual([
      { on: 'member-account-role', actions: ['sts:AssumeRole'] },
    ]);
    const stores = actionsOf({ rules: {}, stateStore: true, ticketSecrets: true });
    expect(stores).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query', 'secretsmanager:GetSecretValue']),
    );
  });
});
