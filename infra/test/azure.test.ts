import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseDelivery } from '@reflex/azure';
import { AZURE_PERMISSIONS, azureActionsFor } from '@reflex/azure/deployment';
import type { Mode, RuleName } from '@reflex/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Language, type Node, Parser } from 'web-tree-sitter';
import { type Catalog, catalogText, OPERATION_NAMES } from '../azure/catalog.js';

const DIR = join(import.meta.dirname, '../azure');
const WASM = join(
  createRequire(import.meta.url).resolve('tree-sitter-bicep/package.json'),
  '../tree-sitter-bicep.wasm',
);
const files = readdirSync(DIR).filter((f) => f.endsWith('.bicep'));
const catalog = JSON.parse(readFileSync(join(DIR, 'generated/reflex.json'), 'utf8')) as Catalog;

let parser: Parser;
const trees = new Map<string, Node>();

beforeAll(async () => {
  await Parser.init();
  parser = new Parser();
  parser.setLanguage(await Language.load(WASM));
  for (const f of files) trees.set(f, parser.parse(readFileSync(join(DIR, f), 'utf8'))!.rootNode);
});

const root = (file: string) => trees.get(file)!;
const named = (n: Node) => n.namedChildren.filter((c): c is Node => c !== null);

/** A top-level declaration (`resource x ...`, `var x = ...`, `output x ...`) by kind and name. */
function decl(file: string, kind: string, name: string): Node {
  const found = named(root(file)).find((c) => c.type === kind && named(c)[0]?.text === name);
  if (!found) throw new Error(`${file}: no ${kind} ${name}`);
  return found;
}

/** The value node of `key:` in an object (or nested path `a.b.c`), searching the object properties only. */
function prop(obj: Node, path: string): Node {
  let cur: Node | undefined = obj.type === 'object' ? obj : named(obj).find((c) => c.type === 'object');
  let value: Node | undefined;
  for (const key of path.split('.')) {
    const p = cur && named(cur).find((c) => c.type === 'object_property' && named(c)[0]?.text === key);
    value = p ? named(p)[1] : undefined;
    if (!value) throw new Error(`no property ${path} (at ${key})`);
    cur = value.type === 'object' ? value : undefined;
  }
  return value!;
}

const str = (n: Node) => {
  expect(n.type).toBe('string');
  return n.text.slice(1, -1);
};
const resourceType = (n: Node) => str(named(n)[1]!).split('@')[0];

describe('every .bicep parses under tree-sitter-bicep', () => {
  it('finds the files', () => {
    expect(files.sort()).toEqual(['app.bicep', 'events.bicep', 'main.bicep', 'policy.bicep']);
  });

  it.each(files)('%s has zero error and missing nodes', (file) => {
    const problems: string[] = [];
    const walk = (n: Node) => {
      if (n.isError || n.isMissing)
        problems.push(
          `${n.isMissing ? 'missing' : 'error'} ${n.type} at ${n.startPosition.row + 1}:${n.startPosition.column + 1}`,
        );
      for (const c of n.children) if (c) walk(c);
    };
    walk(root(file));
    expect(problems).toEqual([]);
    expect(root(file).hasError).toBe(false);
  });
});

describe('generated/reflex.json: from the TypeScript sources, up to date', () => {
  it('equals what infra/azure/generate.ts writes now (run `npm run generate:azure -w infra`)', () => {
    expect(readFileSync(join(DIR, 'generated/reflex.json'), 'utf8')).toBe(catalogText());
  });

  const policies: Record<string, Partial<Record<RuleName, Mode>>> = {
    'only openIngress enforced': { openIngress: 'enforce' },
    'storage dry-run, NSGs enforced': {
      publicStorage: 'dry-run',
      insecureTransport: 'dry-run',
      openIngress: 'enforce',
    },
    'everything enforced': {
      publicStorage: 'enforce',
      openIngress: 'enforce',
      unencryptedStorage: 'enforce',
      storageWithoutLogging: 'enforce',
      insecureTransport: 'enforce',
      networkWithoutFlowLogs: 'enforce',
    },
  };
  it.each(Object.entries(policies))(
    'main.bicep’s formula over the JSON gives exactly the generated actions: %s',
    (_, rules) => {
      // main.bicep: union(sweep, flatten(map(enabledRules, read)), flatten(map(enforcedRules, enforce)), manual)
      const enabled = Object.entries(rules)
        .filter(([, m]) => m !== 'off')
        .map(([r]) => r);
      const enforced = Object.entries(rules)
        .filter(([, m]) => m === 'enforce')
        .map(([r]) => r);
      const bicep = new Set([
        ...catalog.roleActions.sweep,
        ...enabled.flatMap((r) => catalog.roleActions.read[r]!),
        ...enforced.flatMap((r) => catalog.roleActions.enforce[r]!),
        ...catalog.roleActions.manual,
      ]);
      expect([...bicep].sort()).toEqual(azureActionsFor({ rules, sweep: true, manual: ['contain', 'undo'] }));
    },
  );

  it('no wildcard actions; every declared action is reachable from the JSON', () => {
    const all = new Set([
      ...catalog.roleActions.sweep,
      ...Object.values(catalog.roleActions.read).flat(),
      ...Object.values(catalog.roleActions.enforce).flat(),
      ...catalog.roleActions.manual,
    ]);
    for (const a of all) expect(a).not.toContain('*');
    for (const p of AZURE_PERMISSIONS.filter((p) => !p.planned))
      for (const a of p.actions) expect(all.has(a), `${p.operations}.${p.method}: ${a}`).toBe(true);
  });
});

describe('main.bicep: identity, role and scopes', () => {
  it('targets the subscription and creates the resource group', () => {
    expect(root('main.bicep').text).toMatch(/^(\/\/.*\n)*targetScope = 'subscription'/m);
    expect(resourceType(decl('main.bicep', 'resource_declaration', 'rg'))).toBe('Microsoft.Resources/resourceGroups');
  });

  it('the custom role has exactly the generated actions (roleActions) and is assignable at the subscription', () => {
    const role = decl('main.bicep', 'resource_declaration', 'reflexRole');
    expect(resourceType(role)).toBe('Microsoft.Authorization/roleDefinitions');
    expect(str(prop(role, 'properties.type'))).toBe('CustomRole');
    const permissions = prop(role, 'properties.permissions');
    const only = named(permissions).filter((n) => n.type === 'object');
    expect(only).toHaveLength(1);
    expect(prop(only[0]!, 'actions').text).toBe('roleActions');
    expect(prop(only[0]!, 'notActions').text.replace(/\s/g, '')).toBe('[]');
    expect(prop(role, 'properties.assignableScopes').text.replace(/\s/g, '')).toBe('[subscription().id]');
    // roleActions = union(sweep, readActions, enforceActions, manualActions), each from generated/reflex.json.
    const union = named(decl('main.bicep', 'variable_declaration', 'roleActions'))[1]!;
    expect(union.text.replace(/\s/g, '')).toBe(
      'union(reflex.roleActions.sweep,readActions,enforceActions,manualActions)',
    );
    expect(named(decl('main.bicep', 'variable_declaration', 'reflex'))[1]!.text).toBe(
      "loadJsonContent('generated/reflex.json')",
    );
    const read = named(decl('main.bicep', 'variable_declaration', 'readActions'))[1]!.text.replace(/\s/g, '');
    expect(read).toBe('flatten(map(enabledRules,rule=>reflex.roleActions.read[rule]))');
    const enforce = named(decl('main.bicep', 'variable_declaration', 'enforceActions'))[1]!.text.replace(/\s/g, '');
    expect(enforce).toBe("mode=='enforce'?flatten(map(enforcedRules,rule=>reflex.roleActions.enforce[rule])):[]");
  });

  it('the role is assigned at subscription scope to the Function App’s system-assigned identity', () => {
    const assignment = decl('main.bicep', 'resource_declaration', 'reflexRoleAssignment');
    expect(resourceType(assignment)).toBe('Microsoft.Authorization/roleAssignments');
    // No `scope:` in a subscription-scope file: the assignment is on the subscription itself.
    expect(() => prop(assignment, 'scope')).toThrow();
    expect(prop(assignment, 'properties.roleDefinitionId').text).toBe('reflexRole.id');
    expect(prop(assignment, 'properties.principalId').text).toBe('app.outputs.principalId');
    expect(str(prop(assignment, 'properties.principalType'))).toBe('ServicePrincipal');
    expect(prop(decl('main.bicep', 'module_declaration', 'app'), 'scope').text).toBe('rg');
    const output = decl('app.bicep', 'output_declaration', 'principalId');
    expect(named(output).at(-1)!.text).toBe('functionApp.identity.principalId');
  });
});

describe('app.bicep: Flex Consumption, identity-based storage, Application Insights, system topics', () => {
  it('the Function App: Flex Consumption, node 22, system-assigned identity, identity-based deployment storage', () => {
    const site = decl('app.bicep', 'resource_declaration', 'functionApp');
    expect(resourceType(site)).toBe('Microsoft.Web/sites');
    expect(str(prop(site, 'identity.type'))).toBe('SystemAssigned');
    expect(str(prop(site, 'properties.functionAppConfig.runtime.name'))).toBe('node');
    expect(str(prop(site, 'properties.functionAppConfig.runtime.version'))).toBe('22');
    expect(str(prop(site, 'properties.functionAppConfig.deployment.storage.authentication.type'))).toBe(
      'SystemAssignedIdentity',
    );
    const plan = decl('app.bicep', 'resource_declaration', 'plan');
    expect(str(prop(plan, 'sku.tier'))).toBe('FlexConsumption');
    expect(str(prop(plan, 'sku.name'))).toBe('FC1');
    const storage = decl('app.bicep', 'resource_declaration', 'storage');
    expect(prop(storage, 'properties.allowSharedKeyAccess').text).toBe('false');
    expect(root('app.bicep').text).toContain("name: 'AzureWebJobsStorage__credential'");
    expect(resourceType(decl('app.bicep', 'resource_declaration', 'insights'))).toBe('Microsoft.Insights/components');
  });

  it('system topics for the subscription’s resource events and policy states', () => {
    const topics = {
      resourceTopic: 'Microsoft.Resources.Subscriptions',
      policyTopic: 'Microsoft.PolicyInsights.PolicyStates',
    };
    for (const [name, topicType] of Object.entries(topics)) {
      const t = decl('app.bicep', 'resource_declaration', name);
      expect(resourceType(t)).toBe('Microsoft.EventGrid/systemTopics');
      expect(str(prop(t, 'properties.topicType'))).toBe(topicType);
      expect(prop(t, 'properties.source').text).toBe('subscription().id');
    }
  });
});

describe('app.bicep: App Service Authentication (Entra ID) in front of the manual function', () => {
  it('authsettingsV2: required, 401 for the unauthenticated, Entra ID with the responder app; Event Grid paths excluded', () => {
    const declaration = decl('app.bicep', 'resource_declaration', 'authSettings');
    expect(resourceType(declaration)).toBe('Microsoft.Web/sites/config');
    // Deployed exactly when a responder app is given (the same condition as the app setting below).
    const conditional = named(declaration).at(-1)!;
    expect(conditional.type).toBe('if_statement');
    expect(named(conditional)[0]!.text).toBe('(easyAuth)');
    const auth = named(conditional)[1]!;
    expect(str(prop(auth, 'name'))).toBe('authsettingsV2');
    expect(prop(auth, 'parent').text).toBe('functionApp');
    expect(prop(auth, 'properties.platform.enabled').text).toBe('true');
    expect(prop(auth, 'properties.globalValidation.requireAuthentication').text).toBe('true');
    expect(str(prop(auth, 'properties.globalValidation.unauthenticatedClientAction'))).toBe('Return401');
    const excluded = named(prop(auth, 'properties.globalValidation.excludedPaths')).map(str);
    expect(excluded).toEqual(['/runtime/webhooks/eventgrid', '/api/events']);
    const aad = prop(auth, 'properties.identityProviders.azureActiveDirectory');
    expect(prop(aad, 'enabled').text).toBe('true');
    expect(prop(aad, 'registration.clientId').text).toBe('responderAppClientId');
    expect(prop(aad, 'registration.openIdIssuer').text).toContain('tenant().tenantId');
  });

  it('REFLEX_EASY_AUTH is on exactly when authsettingsV2 is deployed (the bot trusts the principal headers only then)', () => {
    expect(named(decl('app.bicep', 'variable_declaration', 'easyAuth'))[1]!.text).toBe('!empty(responderAppClientId)');
    const settings = named(decl('app.bicep', 'variable_declaration', 'baseSettings'))[1]!;
    const easy = named(settings).find((o) => o.type === 'object' && str(prop(o, 'name')) === 'REFLEX_EASY_AUTH');
    expect(easy && prop(easy, 'value').text).toBe("easyAuth ? 'on' : 'off'");
    const module = decl('main.bicep', 'module_declaration', 'app');
    expect(prop(module, 'params.responderAppClientId').text).toBe('responderAppClientId');
  });
});

describe('events.bicep: the subscriptions deliver exactly what the parser handles', () => {
  it('resource events: AzureFunction endpoint, the event types, data.operationName in the generated list', () => {
    const sub = decl('events.bicep', 'resource_declaration', 'resourceEvents');
    expect(resourceType(sub)).toBe('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const destination = named(decl('events.bicep', 'variable_declaration', 'destination'))[1]!;
    expect(str(prop(destination, 'endpointType'))).toBe('AzureFunction');
    // A Bicep interpolation (written with `$` + `{` so it is not read as a JS template placeholder).
    const interpolated = (...names: string[]) => names.map((n) => `$${'{'}${n}}`);
    const [appId, fn] = interpolated('functionApp.id', 'functionName');
    expect(prop(destination, 'properties.resourceId').text).toBe(`'${appId}/functions/${fn}'`);
    expect(prop(sub, 'properties.filter.includedEventTypes').text).toBe('reflex.resourceEventTypes');
    const filters = named(prop(sub, 'properties.filter.advancedFilters')).filter((n) => n.type === 'object');
    expect(filters).toHaveLength(1);
    expect(str(prop(filters[0]!, 'operatorType'))).toBe('StringIn');
    expect(str(prop(filters[0]!, 'key'))).toBe('data.operationName');
    expect(prop(filters[0]!, 'values').text).toBe('reflex.operationNames');
    expect(catalog.operationNames).toEqual(OPERATION_NAMES);
    expect(catalog.resourceEventTypes).toEqual([
      'Microsoft.Resources.ResourceWriteSuccess',
      'Microsoft.Resources.ResourceDeleteSuccess',
    ]);
    expect(catalog.operationNames.length).toBeLessThanOrEqual(25); // Event Grid's limit on StringIn values
  });

  it('policy events: non-compliant states of the mapped definitions', () => {
    const sub = decl('events.bicep', 'resource_declaration', 'policyEvents');
    expect(prop(sub, 'properties.filter.includedEventTypes').text).toBe('reflex.policyEventTypes');
    expect(root('events.bicep').text).toContain("key: 'data.complianceState'");
  });

  const SUB = '00000000-0000-0000-0000-000000000001';
  const uriFor = (op: string): string => {
    const base = `/subscriptions/${SUB}/resourceGroups/rg1`;
    if (op.startsWith('Microsoft.Insights/diagnosticSettings/'))
      return `${base}/providers/Microsoft.Storage/storageAccounts/acct1/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/ds1`;
    // Tags API writes land on the tagged resource's tags/default.
    if (op === 'Microsoft.Resources/tags/write')
      return `${base}/providers/Microsoft.Storage/storageAccounts/acct1/providers/Microsoft.Resources/tags/default`;
    const parts = op.split('/');
    const [ns, ...types] = parts.slice(0, -1);
    // Names every provider accepts (a storage account and a container need 3 characters at least).
    return `${base}/providers/${ns}/${types.map((t, i) => `${t}/${t === 'blobServices' ? 'default' : `name${i}`}`).join('/')}`;
  };
  const event = (op: string) => ({
    id: `e-${op}`,
    topic: `/subscriptions/${SUB}`,
    subject: uriFor(op),
    eventType: op.endsWith('/delete')
      ? 'Microsoft.Resources.ResourceDeleteSuccess'
      : 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2025-01-01T00:00:00Z',
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      resourceUri: uriFor(op),
      operationName: op,
      status: 'Succeeded',
      subscriptionId: SUB,
      claims: { appid: 'someone-else' },
    },
  });

  const UNIVERSE = [
    ...OPERATION_NAMES,
    'Microsoft.Storage/storageAccounts/delete',
    'Microsoft.Storage/storageAccounts/fileServices/write',
    'Microsoft.Storage/storageAccounts/queueServices/write',
    'Microsoft.Storage/storageAccounts/blobServices/containers/delete',
    'Microsoft.Network/networkSecurityGroups/delete',
    'Microsoft.Network/networkSecurityGroups/securityRules/delete',
    'Microsoft.Network/virtualNetworks/delete',
    'Microsoft.Network/publicIPAddresses/write',
    'Microsoft.Compute/virtualMachines/write',
    'Microsoft.KeyVault/vaults/write',
  ];

  it.each(UNIVERSE)('%s: handled by the real parser iff it is in the filter', (op) => {
    const [verdict] = parseDelivery([event(op)]);
    expect(verdict!.kind === 'targets', `${op}: ${JSON.stringify(verdict)}`).toBe(OPERATION_NAMES.includes(op));
  });
});

describe('policy.bicep', () => {
  it('assigns every mapped built-in definition, audit only', () => {
    const a = decl('policy.bicep', 'resource_declaration', 'assignments');
    expect(a.text).toContain('for d in reflex.policyDefinitions');
    expect(a.text).toContain("enforcementMode: 'DoNotEnforce'");
    expect(catalog.policyDefinitions.length).toBeGreaterThan(0);
  });
});
