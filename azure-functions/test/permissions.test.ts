import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RULE_NAMES, ruleByName } from '@reflex/core';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  AZURE_PERMISSIONS,
  AZURE_RULE_FIXES,
  AZURE_RULE_RESOURCE,
  type AzurePermissionNeeds,
  azureActionsFor,
} from '../src/permissions.js';

const SRC = join(import.meta.dirname, '../src');
const ROOT = join(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Called {
  sdk: string;
  operations: string;
  method: string;
  where: string;
}

/** The one file that wires the SDKs' per-operation functions into operation groups (src/arm/sdk.ts). */
const WIRING = join(SRC, 'arm/sdk.ts');

/**
 * Every method called on an object whose type is declared by an `@azure/arm-*` package, found through the type
 * checker, so that aliases (`const rules = clients.network.securityRules; rules.delete(...)`), destructuring and
 * helper parameters are all seen. The receiver's type names the operation group (`SecurityRules`); a group
 * narrowed to some of its methods (`Pick<SecurityRulesOperations, 'get' | 'delete'>`) is that group.
 * A per-operation function of a package (`securityRules.$delete(context, …)` from `…/api/securityRules/operations`)
 * called directly is the same call (`SecurityRules.delete`); in src/arm/sdk.ts, where those functions are wired
 * into the groups, they are the client, not a use, and are not counted.
 * Only `@azure/arm-*` (management plane) is scanned: data-plane access (Table storage for the bot's own state)
 * is granted by built-in data roles on the bot's own storage account, not by the custom role.
 */
function scanCalls(): Called[] {
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
  const sdkOf = (decl: ts.Declaration | undefined) =>
    decl ? /node_modules\/@azure\/(arm-[a-z-]+)\//.exec(decl.getSourceFile().fileName)?.[1] : undefined;
  /** `…/api/securityRules/operations.d.ts` → `SecurityRules`. */
  const groupOf = (decl: ts.Declaration) => {
    const group = /\/api\/([A-Za-z0-9]+)\/operations\.d\.ts$/.exec(decl.getSourceFile().fileName)?.[1];
    return group ? group[0]!.toUpperCase() + group.slice(1) : undefined;
  };
  const out: Called[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const where = (node: ts.Node) =>
      `${relative(join(SRC, '..'), file)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        // A per-operation function of an SDK, however it was imported.
        let callee = checker.getSymbolAtLocation(node.expression);
        if (callee && callee.flags & ts.SymbolFlags.Alias) callee = checker.getAliasedSymbol(callee);
        const fnDecl = callee?.declarations?.[0];
        const fnSdk = sdkOf(fnDecl);
        const group = fnDecl && fnSdk ? groupOf(fnDecl) : undefined;
        if (fnSdk && group) {
          if (file !== WIRING)
            out.push({
              sdk: fnSdk,
              operations: group,
              method: callee!.getName().replace(/^\$/, ''),
              where: where(node),
            });
        } else if (ts.isPropertyAccessExpression(node.expression)) {
          let receiver = checker.getTypeAtLocation(node.expression.expression);
          if (receiver.aliasSymbol?.getName() === 'Pick' && receiver.aliasTypeArguments?.[0])
            receiver = receiver.aliasTypeArguments[0];
          const symbol = receiver.getSymbol() ?? receiver.aliasSymbol;
          const pkg = sdkOf(symbol?.declarations?.[0]);
          if (pkg && symbol && !(symbol.flags & ts.SymbolFlags.ValueModule)) {
            out.push({
              sdk: pkg,
              // Newer generated clients name the interface `SecurityRulesOperations`, older ones `SecurityRules`.
              operations: symbol.getName().replace(/Operations$/, ''),
              method: node.expression.name.text,
              where: where(node),
            });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

const called = scanCalls();
const key = (p: { sdk: string; operations: string; method: string }) => `@azure/${p.sdk} ${p.operations}.${p.method}`;
const declared = new Map(AZURE_PERMISSIONS.map((p) => [key(p), p]));

describe('Azure permission declarations cover what the adapter calls', () => {
  it('finds the calls, through aliases too (the scanner works)', () => {
    const keys = called.map(key);
    expect(keys).toEqual(
      expect.arrayContaining([
        '@azure/arm-storage StorageAccounts.update',
        '@azure/arm-network SecurityRules.delete',
        '@azure/arm-network SecurityRules.createOrUpdate',
      ]),
    );
    expect(ROOT).toBeTruthy();
  });

  it('every ARM call the adapter makes is declared in src/permissions.ts', () => {
    const missing = called
      .filter((c) => !declared.has(key(c)))
      .map(
        (c) =>
          `${c.where}: ${c.operations}.${c.method} of @azure/${c.sdk} has no declaration — add { sdk: '${c.sdk}', operations: '${c.operations}', method: '${c.method}', actions: [<exact RBAC operations>], uses: [...] } to AZURE_PERMISSIONS`,
      );
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it('a call the adapter makes is not marked planned', () => {
    const stale = called
      .filter((c) => declared.get(key(c))?.planned)
      .map((c) => `${c.where}: ${key(c)} is called now — remove \`planned\` from its declaration`);
    expect(stale, stale.join('\n')).toEqual([]);
  });

  it('every declaration (not planned) is called by something', () => {
    const keys = new Set(called.map(key));
    const unused = AZURE_PERMISSIONS.filter((p) => !p.planned && !keys.has(key(p))).map(
      (p) => `${key(p)} (${p.actions.join(', ')}) is declared but never called`,
    );
    expect(unused, unused.join('\n')).toEqual([]);
  });

  it('declarations are unique, exact (no wildcards) RBAC operations', () => {
    expect(declared.size).toBe(AZURE_PERMISSIONS.length);
    for (const p of AZURE_PERMISSIONS) {
      expect(p.uses.length, key(p)).toBeGreaterThan(0);
      for (const a of [...p.actions, ...(p.flowLogStorageActions ?? [])])
        expect(a, key(p)).toMatch(/^Microsoft\.[A-Za-z]+(\/[A-Za-z]+)+\/(read|write|delete|action)$/);
    }
  });
});

describe('rules → role actions', () => {
  it('the resource kind of each rule agrees with core, and rules with a kind have fixes', () => {
    const kindOf: Record<string, string> = {
      storage: 'storage-account',
      firewall: 'network-security-group',
      network: 'virtual-network',
    };
    for (const rule of RULE_NAMES) {
      const kind = AZURE_RULE_RESOURCE[rule];
      if (kind) expect(kindOf[ruleByName(rule).appliesTo], rule).toBe(kind);
      expect(AZURE_RULE_FIXES[rule].length > 0, rule).toBe(kind !== null);
    }
  });

  it('every fix a rule asks for is applied by some declared call', () => {
    for (const fix of new Set(Object.values(AZURE_RULE_FIXES).flat()))
      expect(
        AZURE_PERMISSIONS.some((p) => p.uses.some((u) => 'fix' in u && u.fix === fix)),
        fix,
      ).toBe(true);
  });

  it('openIngress alone in enforce: NSG reads and rule writes, nothing of storage', () => {
    const needs: AzurePermissionNeeds = { rules: { openIngress: 'enforce' } };
    expect(azureActionsFor(needs)).toEqual([
      'Microsoft.Network/networkSecurityGroups/read',
      'Microsoft.Network/networkSecurityGroups/securityRules/delete',
      'Microsoft.Network/networkSecurityGroups/securityRules/read',
      'Microsoft.Network/networkSecurityGroups/securityRules/write',
    ]);
  });

  it('dry-run reads only; a sweep lists both kinds', () => {
    const dry = azureActionsFor({ rules: { publicStorage: 'dry-run' }, sweep: true });
    expect(dry.every((a) => a.endsWith('/read'))).toBe(true);
    expect(dry).toContain('Microsoft.Network/networkSecurityGroups/read');
    expect(dry).toContain('Microsoft.Insights/diagnosticSettings/read');
  });
});
