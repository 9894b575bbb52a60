import { readdirSync, readFileSync } from 'node:fs';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { callerOf, configureBot, governedResource, parseDelivery, reflexEventsWebhook } from '../src/index.js';

const FIXTURES = new URL('../../test/fixtures/events/azure/', import.meta.url);
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const SUB = '11111111-2222-3333-4444-555555555555';
const ACCOUNT = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1`;
const NSG = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1`;

function writeEvent(resourceUri: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'evt-1',
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    subject: resourceUri,
    eventTime: '2026-01-01T00:00:00Z',
    topic: `/subscriptions/${SUB}`,
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      resourceUri,
      operationName: 'Microsoft.Storage/storageAccounts/write',
      status: 'Succeeded',
      claims: {
        appid: 'app-1',
        'http://schemas.microsoft.com/identity/claims/objectidentifier': 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      },
      authorization: { evidence: { principalId: 'aaaaaaaabbbbccccddddeeeeeeeeeeee' } },
      ...extra,
    },
  };
}

describe('published fixtures', () => {
  it.each(fixtures)('%s is handled or ignored with a reason, never throws', (name) => {
    const verdicts = parseDelivery(load(name));
    expect(verdicts.length).toBeGreaterThan(0);
    for (const v of verdicts) {
      if (v.kind === 'ignored') expect(v.reason.length).toBeGreaterThan(5);
      if (v.kind === 'targets') expect(v.targets.length).toBeGreaterThan(0);
    }
  });

  it('the validation sample yields its code', () => {
    expect(parseDelivery(load('eventgrid-SubscriptionValidationEvent.json'))).toEqual([
      expect.objectContaining({ kind: 'validation', validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' }),
    ]);
  });

  it('delete and action samples are ignored as such; placeholder ids are ignored as malformed', () => {
    const [del] = parseDelivery(load('eventgrid-subscription-ResourceDeleteSuccess-storage.json'));
    expect(del).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/deleted/) });
    const [action] = parseDelivery(load('eventgrid-subscription-ResourceActionSuccess-listKeys.json'));
    expect(action).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/action/) });
    const [write] = parseDelivery(load('eventgrid-subscription-ResourceWriteSuccess-storage.json'));
    expect(write).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/malformed resource id/) });
  });

  it('the storage write sample targets the account once its placeholders are real', () => {
    const text = readFileSync(new URL('eventgrid-subscription-ResourceWriteSuccess-storage.json', FIXTURES), 'utf8')
      .replaceAll('{subscription-id}', SUB)
      .replaceAll('{resource-group}', 'rg')
      .replaceAll('{storage-name}', 'st1');
    const [v] = parseDelivery(text);
    expect(v).toMatchObject({ kind: 'targets' });
    if (v?.kind === 'targets') expect(v.targets[0]!.ref.type).toBe('Microsoft.Storage/storageAccounts');
  });

  it('policy samples: NonCompliant with an unknown (placeholder) definition is ignored with the reason', () => {
    for (const name of fixtures.filter((f) => f.includes('policy'))) {
      const [v] = parseDelivery(load(name));
      expect(v).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/does not map to a Reflex rule/) });
    }
  });
});

describe('resource write events', () => {
  it('Event Grid schema, single and array; storage children map to the account', () => {
    for (const uri of [ACCOUNT, `${ACCOUNT}/blobServices/default`, `${ACCOUNT}/blobServices/default/containers/c1`]) {
      const [single] = parseDelivery(writeEvent(uri));
      const [inArray] = parseDelivery([writeEvent(uri)]);
      expect(single).toEqual(inArray);
      expect(single).toMatchObject({ kind: 'targets' });
      if (single?.kind === 'targets') expect(single.targets[0]!.ref.id).toBe(ACCOUNT);
    }
  });

  it('NSG rules map to the NSG; diagnostic settings to the resource they extend; subnets to their VNet; flow logs stay flow logs', () => {
    const [rule] = parseDelivery(writeEvent(`${NSG}/securityRules/ssh`));
    if (rule?.kind !== 'targets') throw new Error('expected targets');
    expect(rule.targets[0]!.ref.id).toBe(NSG);
    const diag = governedResource(`${ACCOUNT}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/x`);
    expect(diag).toMatchObject({ ok: true, ref: { id: ACCOUNT } });
    const vnetId = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v`;
    const [vnet] = parseDelivery(writeEvent(`${vnetId}/subnets/default`));
    expect(vnet).toMatchObject({
      kind: 'targets',
      targets: [{ ref: { id: vnetId, type: 'Microsoft.Network/virtualNetworks' } }],
    });
    // The flow log names no VNet; the events function asks ARM which one it logs (or logged, for a delete).
    const flowLog = `/subscriptions/${SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/flowLogs/fl`;
    expect(governedResource(flowLog)).toMatchObject({ ok: true, ref: { id: flowLog } });
  });

  it('CloudEvents 1.0 schema, with the version attribute spelled oddly', () => {
    const e = writeEvent(ACCOUNT);
    for (const version of [{ specversion: '1.0' }, { specVersion: '1.0' }, { SpecVersion: '1.0' }, {}]) {
      const ce = {
        id: e.id,
        type: e.eventType,
        source: e.topic,
        subject: e.subject,
        time: e.eventTime,
        data: e.data,
        ...version,
      };
      const [v] = parseDelivery([ce]);
      expect(v).toMatchObject({ kind: 'targets' });
    }
  });

  it('a success-typed event whose data says it failed is ignored; failure events are ignored', () => {
    const [failedData] = parseDelivery(writeEvent(ACCOUNT, { status: 'Failed' }));
    expect(failedData).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/Failed/) });
    const failure = { ...writeEvent(ACCOUNT), eventType: 'Microsoft.Resources.ResourceWriteFailure' };
    // Published failure samples say `Succeeded`: the event type decides.
    const [v] = parseDelivery(failure);
    expect(v).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/failed/) });
  });

  it('deleting a diagnostic setting re-checks the account (logging may be off now)', () => {
    const del = {
      ...writeEvent(`${ACCOUNT}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/logs`),
      eventType: 'Microsoft.Resources.ResourceDeleteSuccess',
    };
    expect(parseDelivery(del)[0]).toMatchObject({
      kind: 'targets',
      targets: [{ ref: { id: ACCOUNT }, rules: ['storageWithoutLogging'] }],
    });
  });

  it('a change names the rules it can affect: a container only public access; the account itself every rule', () => {
    const rulesOf = (uri: string) => {
      const [v] = parseDelivery(writeEvent(uri));
      if (v?.kind !== 'targets') throw new Error('expected targets');
      return v.targets[0]!.rules;
    };
    expect(rulesOf(`${ACCOUNT}/blobServices/default/containers/c1`)).toEqual(['publicStorage']);
    expect(rulesOf(ACCOUNT)).toBeUndefined();
    expect(rulesOf(`${ACCOUNT}/blobServices/default`)).toBeUndefined();
    expect(rulesOf(`${NSG}/securityRules/ssh`)).toBeUndefined();
    // A diagnostic setting of something other than a blob service is no logging rule's business here.
    expect(rulesOf(`${NSG}/providers/Microsoft.Insights/diagnosticSettings/x`)).toBeUndefined();
  });

  it('an account PATCH (an update: ARM creates only with PUT) has every rule judged but logging; a PUT every rule', () => {
    const rulesOf = (uri: string, method?: unknown) => {
      const extra = method === undefined ? {} : { httpRequest: { clientRequestId: 'r1', method, url: `${uri}?x` } };
      const [v] = parseDelivery(writeEvent(uri, extra));
      if (v?.kind !== 'targets') throw new Error('expected targets');
      return v.targets[0]!.rules;
    };
    const update = ['publicStorage', 'unencryptedStorage', 'insecureTransport'];
    expect(rulesOf(ACCOUNT, 'PATCH')).toEqual(update);
    expect(rulesOf(ACCOUNT, 'patch')).toEqual(update);
    expect(rulesOf(ACCOUNT, 'PUT')).toBeUndefined();
    expect(rulesOf(ACCOUNT)).toBeUndefined();
    expect(rulesOf(ACCOUNT, 42)).toBeUndefined();
    // Narrower scopes stay as narrow as they were, whatever the method.
    expect(rulesOf(`${ACCOUNT}/blobServices/default/containers/c1`, 'PATCH')).toEqual(['publicStorage']);
    expect(rulesOf(`${ACCOUNT}/blobServices/default`, 'PATCH')).toBeUndefined();
  });

  it('tolerates junk: non-objects, missing ids, string bodies, data as a JSON string, booleans as 1/0', () => {
    const verdicts = parseDelivery([42, null, 'x', {}, { eventType: 'X' }]);
    expect(verdicts.every((v) => v.kind === 'ignored')).toBe(true);
    const e = writeEvent(ACCOUNT);
    const stringData = { ...e, data: JSON.stringify({ ...e.data, someFlag: 1 }) };
    expect(parseDelivery(JSON.stringify([stringData]))[0]).toMatchObject({ kind: 'targets' });
  });
});

describe('loop guard ids', () => {
  it('oid, appid and evidence.principalId (with its dashes restored) become actorIds', () => {
    const caller = callerOf(writeEvent(ACCOUNT).data);
    expect(caller.actor).toBe('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
    expect(caller.actorIds).toEqual(
      expect.arrayContaining(['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'aaaaaaaabbbbccccddddeeeeeeeeeeee', 'app-1']),
    );
    const [v] = parseDelivery(writeEvent(ACCOUNT));
    if (v?.kind !== 'targets') throw new Error('expected targets');
    expect(v.targets[0]!.trigger).toMatchObject({ source: 'eventgrid', eventId: 'evt-1', actor: caller.actor });
  });

  it('claims given as a JSON string are read too', () => {
    const data = writeEvent(ACCOUNT).data;
    expect(callerOf({ ...data, claims: JSON.stringify(data.claims) }).actor).toBe(
      'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    );
  });
});

describe('policy state events', () => {
  const policyEvent = (definition: string, state = 'NonCompliant', subject = ACCOUNT) => ({
    id: 'p-1',
    type: 'Microsoft.PolicyInsights.PolicyStateChanged',
    source: `/subscriptions/${SUB}`,
    subject,
    specversion: '1.0',
    data: {
      policyDefinitionId: `/providers/microsoft.authorization/policydefinitions/${definition}`,
      complianceState: state,
    },
  });

  it('maps built-in definitions to rules', () => {
    const [v] = parseDelivery(policyEvent('404c3081-a854-4457-ae30-26a93ef643f9'));
    expect(v).toMatchObject({
      kind: 'targets',
      targets: [{ rules: ['insecureTransport'], trigger: { source: 'policy' } }],
    });
    const [ports] = parseDelivery(policyEvent('9daedab3-fb2d-461e-b861-71790eead4f6', 'NonCompliant', NSG));
    expect(ports).toMatchObject({ kind: 'targets', targets: [{ rules: ['openIngress'] }] });
  });

  it('compliant states, unknown definitions and VM subjects are ignored with a reason', () => {
    expect(parseDelivery(policyEvent('404c3081-a854-4457-ae30-26a93ef643f9', 'Compliant'))[0]).toMatchObject({
      kind: 'ignored',
    });
    expect(parseDelivery(policyEvent('00000000-0000-0000-0000-000000000000'))[0]).toMatchObject({ kind: 'ignored' });
    const vm = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`;
    expect(parseDelivery(policyEvent('22730e10-96f6-4aac-ad84-9383d35b5917', 'NonCompliant', vm))[0]).toMatchObject({
      kind: 'ignored',
      reason: expect.stringMatching(/virtualMachines/),
    });
  });
});

describe('webhook handshakes', () => {
  const ctx = () =>
    new InvocationContext({ invocationId: 'i', functionName: 'reflexEventsWebhook', logHandler: () => {} });

  it('answers the Event Grid validation event with validationResponse', async () => {
    configureBot({ env: { REFLEX_POLICY: 'version: 1' } });
    const res = await reflexEventsWebhook(
      new HttpRequest({
        method: 'POST',
        url: 'https://reflex.example/api/events',
        body: { string: readFileSync(new URL('eventgrid-SubscriptionValidationEvent.json', FIXTURES), 'utf8') },
      }),
      ctx(),
    );
    expect(res).toMatchObject({
      status: 200,
      jsonBody: { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' },
    });
  });

  it('answers the CloudEvents OPTIONS handshake with WebHook-Allowed-Origin', async () => {
    const res = await reflexEventsWebhook(
      new HttpRequest({
        method: 'OPTIONS',
        url: 'https://reflex.example/api/events',
        headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
      }),
      ctx(),
    );
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'WebHook-Allowed-Origin': 'eventgrid.azure.net' });
  });

  it('a bad policy: reports the problems and acts on nothing', async () => {
    configureBot({ env: { REFLEX_POLICY: 'version: 2\nmode: sometimes' } });
    const res = await reflexEventsWebhook(
      new HttpRequest({
        method: 'POST',
        url: 'https://reflex.example/api/events',
        body: { string: JSON.stringify([writeEvent(ACCOUNT)]) },
      }),
      ctx(),
    );
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.jsonBody)).toContain('InvalidPolicy');
  });
});

describe('tag writes (issue 18, item 11)', () => {
  it('a Tags API write judges its resource on every rule, and its caller is who set the tags', () => {
    const [verdict] = parseDelivery(
      writeEvent(`${ACCOUNT}/providers/Microsoft.Resources/tags/default`, {
        operationName: 'Microsoft.Resources/tags/write',
      }),
    );
    expect(verdict).toMatchObject({
      kind: 'targets',
      targets: [{ ref: { id: ACCOUNT }, trigger: { tagsWritten: 'all', eventName: 'Microsoft.Resources/tags/write' } }],
    });
    expect(verdict?.kind === 'targets' && verdict.targets[0]!.rules).toBeUndefined();
    // A write of the account itself says nothing about who set which tag.
    const [plain] = parseDelivery(writeEvent(ACCOUNT));
    expect(plain?.kind === 'targets' && plain.targets[0]!.trigger.tagsWritten).toBeUndefined();
  });
});
