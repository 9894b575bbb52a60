/**
 * Issue 18 items 2, 3, 12 on Azure: who a manual action is recorded as (the platform's principal, never the body's
 * name), responders only, non-2xx for refused and failed requests, the kill switch stops contain and undo, and the
 * loop guard knows the bot's own managed identity without any `identities` in the policy.
 */
import type { HttpResponseInit } from '@azure/functions';
import { configureBot, reflexEvents } from '@reflex/azure';
import { MemoryAuditStore, MemoryTicketSink, type Outcome, type UndoResult } from '@reflex/core';
import { type ArmEmulator, armClientOptions } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import {
  ALICE,
  armIds,
  BOT,
  botWrites,
  context,
  FAST_LRO,
  humanClients,
  inbound,
  manual,
  RG,
  SUB,
  useEmulator,
  WORKSPACE,
} from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

/** The policy with no `identities` at all: the bot must know itself. */
const NO_IDENTITIES = `version: 1
mode: enforce
rules:
  storageWithoutLogging:
    azure:
      workspaceId: ${WORKSPACE}
`;

function bot(env: Record<string, string> = {}, policy = NO_IDENTITIES) {
  const audit = new MemoryAuditStore();
  const arm = armClientOptions(emulator, BOT);
  configureBot({
    env: { REFLEX_POLICY: policy, REFLEX_SUBSCRIPTION_IDS: SUB, ...env },
    connection: { ...arm, pollIntervalMs: 10 },
    tickets: new MemoryTicketSink(),
    audit,
  });
  return { audit };
}

/** What App Service Authentication puts in `x-ms-client-principal`: base64 JSON of the validated token's claims. */
function principalHeader(oid: string, name: string, roles: string[]): Record<string, string> {
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: oid },
    { typ: 'name', val: name },
    ...roles.map((val) => ({ typ: 'roles', val })),
  ];
  const principal = { auth_typ: 'aad', name_typ: 'name', role_typ: 'roles', claims };
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
    'x-ms-client-principal-id': oid,
    'x-ms-client-principal-name': name,
    'x-ms-client-principal-idp': 'aad',
  };
}

const RESPONDER = { oid: 'c0ffee00-0000-4000-8000-00000000c0de', name: 'responder@example.com' };
const BOSS = { oid: 'b0550000-0000-4000-8000-00000000b055', name: 'ciso@example.com' };

async function openNsg(name: string) {
  await humanClients(emulator).network.networkSecurityGroups.createOrUpdate(
    RG,
    name,
    {
      location: 'westeurope',
      securityRules: [inbound('ssh', 200, { sourceAddressPrefix: '*', destinationPortRange: '22' })],
    },
    FAST_LRO,
  );
  return emulator.events().at(-1)!;
}

const rulesOf = async (name: string) =>
  ((await humanClients(emulator).network.networkSecurityGroups.get(RG, name)).securityRules ?? []).map((r) => r.name);
const outcomeOf = (res: HttpResponseInit) => (res.jsonBody as { outcomes: Outcome[] }).outcomes[0]!;
const contain = (resource: string, extra: Record<string, unknown> = {}) => ({
  action: 'contain',
  resource,
  reason: 'INC-9',
  ...extra,
});

describe('who a manual action is recorded as', () => {
  it('Easy Auth off: the body’s requestedBy and forged principal headers are claims; the actor is "function key"', async () => {
    await openNsg('nsg-a');
    const { audit } = bot();
    const res = await manual(
      contain(armIds.nsg('nsg-a'), { requestedBy: 'ciso@example.com' }),
      principalHeader(BOSS.oid, BOSS.name, ['Reflex.Responder']),
    );
    expect(res.status).toBe(200);
    expect(outcomeOf(res).status).toBe('fixed');
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]!.correlation).toMatchObject({ actor: 'function key', claimedBy: 'ciso@example.com' });
    expect(JSON.stringify(audit.records)).not.toContain(BOSS.oid);
  });

  it('Easy Auth on: the platform principal is the actor, the body’s name only a claim', async () => {
    await openNsg('nsg-b');
    const { audit } = bot({ REFLEX_EASY_AUTH: 'on' });
    const res = await manual(
      contain(armIds.nsg('nsg-b'), { requestedBy: 'ciso@example.com' }),
      principalHeader(RESPONDER.oid, RESPONDER.name, ['Reflex.Responder']),
    );
    expect(res.status).toBe(200);
    expect(audit.records[0]!.correlation).toMatchObject({
      actor: `${RESPONDER.name} (${RESPONDER.oid})`,
      claimedBy: 'ciso@example.com',
    });
    // Undo: the undoer's own who, not the containment's.
    const undone = await manual(
      { action: 'undo', remediationId: outcomeOf(res).remediationId, reason: 'INC-9 closed' },
      principalHeader(BOSS.oid, BOSS.name, ['Reflex.Responder']),
    );
    expect((undone.jsonBody as UndoResult).status).toBe('undone');
    const record = audit.records.find((r) => r.status === 'undone')!;
    expect(record.correlation.actor).toBe(`${BOSS.name} (${BOSS.oid})`);
    expect(record.correlation.claimedBy).toBeUndefined();
  });

  it('Easy Auth on: no principal → 401, a principal without the responder role → 403; nothing written', async () => {
    await openNsg('nsg-c');
    const { audit } = bot({ REFLEX_EASY_AUTH: 'on' });
    const before = botWrites(emulator).length;
    const anonymous = await manual(contain(armIds.nsg('nsg-c'), { requestedBy: RESPONDER.name }));
    expect(anonymous.status).toBe(401);
    const reader = await manual(contain(armIds.nsg('nsg-c')), principalHeader(ALICE.oid, 'alice', ['Reader']));
    expect(reader).toMatchObject({ status: 403, jsonBody: { error: 'NotAResponder' } });
    const forged = await manual(contain(armIds.nsg('nsg-c')), { 'x-ms-client-principal': 'bm90IGpzb24=' });
    expect(forged.status).toBe(401);
    expect(botWrites(emulator).length).toBe(before);
    expect(audit.records).toEqual([]);
    expect(await rulesOf('nsg-c')).toEqual(['ssh']);
  });
});

describe('refused and failed manual actions answer non-2xx', () => {
  it('contain of an NSG that does not exist → 404; a bad body → 400', async () => {
    bot();
    const res = await manual(contain(armIds.nsg('nsg-missing')));
    expect(res.status).toBe(404);
    expect(outcomeOf(res).status).toBe('ignored');
    expect((await manual({ action: 'contain', resource: armIds.nsg('nsg-x') })).status).toBe(400);
  });
});

describe('the kill switch stops manual contain and undo', () => {
  it('contain and undo answer 403 KillSwitchOn and change nothing; a dry-run still answers', async () => {
    await openNsg('nsg-k');
    // Contained before the switch is thrown, so there is something to undo.
    const { audit } = bot();
    const contained = outcomeOf(await manual(contain(armIds.nsg('nsg-k'))));
    expect(contained.status).toBe('fixed');
    const rulesContained = await rulesOf('nsg-k');

    bot({ REFLEX_KILL_SWITCH: 'on' });
    const writes = botWrites(emulator).length;
    const again = await manual(contain(armIds.nsg('nsg-k')));
    expect(again).toMatchObject({ status: 403, jsonBody: { error: 'KillSwitchOn' } });
    const undo = await manual({ action: 'undo', remediationId: contained.remediationId, reason: 'done' });
    expect(undo).toMatchObject({ status: 403, jsonBody: { error: 'KillSwitchOn' } });
    expect(botWrites(emulator).length).toBe(writes);
    expect(await rulesOf('nsg-k')).toEqual(rulesContained);
    expect(audit.records.filter((r) => r.status === 'undone')).toEqual([]);
    const dry = await manual(contain(armIds.nsg('nsg-k'), { dryRun: true }));
    expect(dry.status).toBe(200);
    expect(outcomeOf(dry).status).toBe('ticketed');
  });
});

describe('loop guard: the bot knows its own managed identity (no identities in the policy)', () => {
  it('the event of its own undo write is ignored (the undo holds); a person’s identical write is fixed', async () => {
    const opened = await openNsg('nsg-loop');
    bot();
    const fixed = (await reflexEvents(opened.eventGrid, context())).outcomes.find((o) => o.rule === 'openIngress')!;
    expect(fixed.status).toBe('fixed');
    expect(await rulesOf('nsg-loop')).toEqual([]);

    const undone = await manual({ action: 'undo', remediationId: fixed.remediationId, reason: 'CHG-7 approved' });
    expect((undone.jsonBody as UndoResult).status).toBe('undone');
    expect(await rulesOf('nsg-loop')).toEqual(['ssh']);
    const ownWrite = emulator.events().at(-1)!;
    expect(JSON.stringify(ownWrite.eventGrid)).toContain(BOT.oid);

    const report = await reflexEvents(ownWrite.eventGrid, context());
    expect(report.outcomes).toHaveLength(1);
    expect(report.outcomes[0]).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/own identity/) });
    expect(await rulesOf('nsg-loop')).toEqual(['ssh']);

    // The same write by a person is fixed.
    await humanClients(emulator).network.securityRules.beginCreateOrUpdateAndWait(
      RG,
      'nsg-loop',
      'ssh',
      inbound('ssh', 200, { sourceAddressPrefix: '*', destinationPortRange: '22' }),
      FAST_LRO,
    );
    const personWrite = emulator.events().at(-1)!;
    const second = await reflexEvents(personWrite.eventGrid, context());
    expect(second.outcomes.find((o) => o.rule === 'openIngress')?.status).toBe('fixed');
    expect(await rulesOf('nsg-loop')).toEqual([]);
  });
});
