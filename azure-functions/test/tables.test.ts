import {
  type Alarm,
  type AuditRecord,
  type CloudAdapter,
  type EnginePorts,
  handleTargets,
  InMemoryBlastRadiusStore,
  MemoryAuditStore,
  MemoryTicketSink,
  parsePolicy,
  undo,
} from '@reflex/core';
import { type AzuriteTable, startAzuriteTable } from '@reflex/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LazyTable,
  stateStoresFromEnv,
  TableAuditStore,
  TableBlastRadiusStore,
  TableEventLedger,
  TableLeaseStore,
  tableKey,
} from '../src/state/tables.js';

let azurite: AzuriteTable;
beforeAll(async () => {
  azurite = await startAzuriteTable();
});
afterAll(async () => {
  await azurite?.stop();
});

const table = (name: string) =>
  new LazyTable({ connectionString: azurite.connectionString, allowInsecureConnection: true }, name);

const SUB = '11111111-2222-3333-4444-555555555555';
const resource = {
  cloud: 'azure' as const,
  partition: 'AzureCloud',
  account: SUB,
  region: 'westeurope',
  type: 'Microsoft.Network/networkSecurityGroups',
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1`,
  name: 'nsg1',
  resourceGroup: 'rg',
};

function record(remediationId: string, step: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    remediationId,
    stepId: `${remediationId}.${step}`,
    at: new Date(Date.UTC(2025, 0, 1, 0, 0, step)).toISOString(),
    resource,
    rule: 'openIngress',
    fix: { type: 'revoke-ingress', changes: [] },
    mode: 'enforce',
    status: 'applied',
    before: { step },
    after: { step: -step },
    correlation: { eventId: 'evt-1', source: 'eventgrid', requestIds: [], actor: 'alice', reason: 'why' },
    ...extra,
  };
}

describe('TableAuditStore (azurite)', () => {
  it('reads a remediation back in step order (.2 before .10), records over 64 KiB included', async () => {
    const store = new TableAuditStore(table('audit1'));
    const big = 'x'.repeat(100_000);
    await store.record(record('rem-a/b#1', 10));
    await store.record(record('rem-a/b#1', 2, { before: { big } }));
    await store.record(record('rem-other', 1));
    const got = await store.byRemediation('rem-a/b#1');
    expect(got.map((r) => r.stepId)).toEqual(['rem-a/b#1.2', 'rem-a/b#1.10']);
    expect((got[0]!.before as { big: string }).big).toHaveLength(100_000);
    expect(got[1]).toEqual(record('rem-a/b#1', 10));
  });

  it('is what core undo reads and writes: undone once, then already-undone', async () => {
    const store = new TableAuditStore(table('audit2'));
    await store.record(record('rem-u', 1));
    await store.record(record('rem-u', 2));
    const restored: string[] = [];
    const adapter: CloudAdapter = {
      cloud: 'azure',
      read: async () => null,
      describe: () => [],
      apply: async () => [],
      isTransient: () => false,
      restore: async (r, { check }) => {
        if (!check) restored.push(r.stepId);
        return { status: check ? 'restorable' : 'restored', requestIds: [] };
      },
    };
    const ports: EnginePorts = {
      adapter,
      tickets: new MemoryTicketSink(),
      audit: store,
      blastRadius: new InMemoryBlastRadiusStore(),
    };
    const first = await undo('rem-u', store, ports, { reason: 'INC-1', actor: 'bob' });
    expect(first.status).toBe('undone');
    expect(restored).toEqual(['rem-u.2', 'rem-u.1']);
    const rows = await store.byRemediation('rem-u');
    expect(rows.filter((r) => r.status === 'undone').map((r) => r.correlation.actor)).toEqual(['bob', 'bob']);
    expect((await undo('rem-u', store, ports, { reason: 'again' })).status).toBe('already-undone');
    expect((await undo('rem-none', store, ports, { reason: 'x' })).status).toBe('not-found');
  });
});

describe('TableBlastRadiusStore (azurite)', () => {
  it('holds the limit across instances racing on one row (ETag If-Match), and frees up after the window', async () => {
    // Three "instances", each with its own client.
    const stores = [0, 1, 2].map(() => new TableBlastRadiusStore(table('state1'), 50));
    const now = new Date('2025-01-01T00:00:00Z');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stores[i % 3]!.tryAcquire('azure:sub-1', now, 60_000, 5)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(results.filter((r) => !r.allowed).every((r) => r.count === 5)).toBe(true);
    // Another scope is independent; the same scope is open again after the window.
    expect((await stores[0]!.tryAcquire('azure:sub-2', now, 60_000, 5)).allowed).toBe(true);
    const later = new Date(now.getTime() + 61_000);
    expect(await stores[1]!.tryAcquire('azure:sub-1', later, 60_000, 5)).toEqual({ allowed: true, count: 1 });
  });
});

describe('TableEventLedger (azurite)', () => {
  it('claim-first: one claim wins, handled events are remembered for the retention, a released claim is free', async () => {
    const ledger = new TableEventLedger(table('state2'), 3_600_000);
    const other = new TableEventLedger(table('state2'), 3_600_000);
    const now = new Date('2025-01-01T00:00:00Z');
    const claims = await Promise.all([ledger.claim('evt/1', now), other.claim('evt/1', now)]);
    expect(claims.sort()).toEqual(['claimed', 'in-progress']);
    await ledger.remember('evt/1', now);
    expect(await other.claim('evt/1', new Date(now.getTime() + 1000))).toBe('handled');
    expect(await other.claim('evt/1', new Date(now.getTime() + 3_600_001))).toBe('claimed');
    expect(await ledger.claim('evt/2', now)).toBe('claimed');
    await ledger.release('evt/2');
    expect(await other.claim('evt/2', now)).toBe('claimed');
  });

  it('an unreachable table throws; the engine goes on without it (fail open, alarmed), like on AWS', async () => {
    const down = new TableEventLedger(
      new LazyTable(
        {
          connectionString: azurite.connectionString.replace(`:${azurite.port}/`, ':9/'),
          allowInsecureConnection: true,
        },
        'nowhere',
        0,
      ),
      3_600_000,
    );
    const now = new Date('2025-01-01T00:00:00Z');
    await expect(down.claim('evt/2', now)).rejects.toThrow();
    const alarms: Alarm[] = [];
    const adapter: CloudAdapter = {
      cloud: 'azure',
      read: async () => null,
      describe: () => [],
      apply: async () => [],
      isTransient: () => false,
    };
    const report = await handleTargets(
      'evt/2',
      [{ ref: resource, trigger: { source: 'eventgrid', eventId: 'evt/2' } }],
      parsePolicy('version: 1\nmode: enforce'),
      {
        adapter,
        tickets: new MemoryTicketSink(),
        audit: new MemoryAuditStore(),
        blastRadius: new InMemoryBlastRadiusStore(),
        ledger: down,
        onAlarm: (a) => alarms.push(a),
      },
    );
    expect(report.outcomes[0]!.reason).toMatch(/does not exist/); // the resource was read: the work went on
    expect(alarms).toContainEqual(expect.objectContaining({ kind: 'state-store', scope: 'event ledger' }));
  });
});

describe('TableLeaseStore (azurite)', () => {
  it('one holder at a time across instances; expired or released leases can be taken; only the holder renews', async () => {
    const a = new TableLeaseStore(table('state3'));
    const b = new TableLeaseStore(table('state3'));
    const now = new Date('2025-01-01T00:00:00Z');
    const key = `resource#azure#${resource.id}`;
    const first = await Promise.all([a.tryAcquire(key, 'ta', now, 10_000), b.tryAcquire(key, 'tb', now, 10_000)]);
    expect([...first].sort()).toEqual([false, true]);
    const [holder, holderToken, waiter, waiterToken] = first[0] ? [a, 'ta', b, 'tb'] : [b, 'tb', a, 'ta'];
    expect(await waiter.renew(key, waiterToken, now, 10_000)).toBe(false);
    expect(await holder.renew(key, holderToken, new Date(now.getTime() + 5000), 10_000)).toBe(true);
    expect(await waiter.tryAcquire(key, waiterToken, new Date(now.getTime() + 12_000), 10_000)).toBe(false);
    expect(await waiter.tryAcquire(key, waiterToken, new Date(now.getTime() + 15_000), 10_000)).toBe(true);
    await holder.release(key, holderToken); // no longer its own: changes nothing
    expect(await holder.tryAcquire(key, holderToken, new Date(now.getTime() + 16_000), 10_000)).toBe(false);
    await waiter.release(key, waiterToken);
    expect(await holder.tryAcquire(key, holderToken, new Date(now.getTime() + 16_000), 10_000)).toBe(true);
  });
});

describe('stateStoresFromEnv', () => {
  it('builds the stores from a connection string; nothing configured means in memory', async () => {
    const none = stateStoresFromEnv({}, () => {
      throw new Error('no credential needed');
    });
    expect(none.audit).toBeUndefined();
    expect(none.description).toMatch(/in memory/);
    const stores = stateStoresFromEnv(
      {
        REFLEX_STATE_CONNECTION_STRING: azurite.connectionString,
        REFLEX_AUDIT_TABLE: 'reflexaudit',
        REFLEX_STATE_TABLE: 'reflexstate',
      },
      () => {
        throw new Error('no credential needed');
      },
    );
    await stores.audit!.record(record('rem-env', 1));
    expect(await stores.audit!.byRemediation('rem-env')).toHaveLength(1);
    expect((await stores.blastRadius!.tryAcquire('s', new Date(), 1000, 1)).allowed).toBe(true);
  });

  it('escapes the characters table keys may not hold', () => {
    expect(tableKey('a/b\\c#d?e%f\u0001')).toBe('a%2fb%5cc%23d%3fe%25f%01');
  });
});
