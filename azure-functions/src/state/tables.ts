/**
 * Reflex's state in Azure Table storage: the audit trail (what undo reads), the blast-radius window shared by
 * every Functions instance, and the event ledger. @azure/data-tables is imported on first use, so an app that
 * configures no table does not load it.
 */

import type { TokenCredential } from '@azure/core-auth';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import {
  type AuditRecord,
  type AuditStore,
  auditPhase,
  type BlastRadiusStore,
  CLAIM_TTL_MS,
  type Claim,
  type EventLedger,
  type LeaseStore,
} from '@reflex/core';

/** Where the tables are: an account URL with a token credential (managed identity), or a connection string. */
export type TableAccount =
  | { url: string; credential: TokenCredential; allowInsecureConnection?: boolean }
  | { connectionString: string; allowInsecureConnection?: boolean };

/** The subset of TableClient these stores use. */
export type TableLike = Pick<
  TableClient,
  'createTable' | 'createEntity' | 'upsertEntity' | 'updateEntity' | 'getEntity' | 'listEntities'
>;

/** Creates the table client on first use (one dynamic import) and the table itself if it is missing. */
export class LazyTable {
  private client?: Promise<TableLike>;

  constructor(
    private readonly account: TableAccount,
    readonly tableName: string,
    /** The SDK's retries (default 3, exponential); tests of an unreachable table set 0. */
    private readonly maxRetries?: number,
  ) {}

  get(): Promise<TableLike> {
    this.client ??= this.open().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  private async open(): Promise<TableLike> {
    const { TableClient } = await import('@azure/data-tables');
    const options = {
      ...(this.account.allowInsecureConnection ? { allowInsecureConnection: true } : {}),
      ...(this.maxRetries !== undefined ? { retryOptions: { maxRetries: this.maxRetries } } : {}),
    };
    const client =
      'connectionString' in this.account
        ? TableClient.fromConnectionString(this.account.connectionString, this.tableName, options)
        : new TableClient(this.account.url, this.tableName, this.account.credential, options);
    try {
      await client.createTable(); // no-op when it exists
    } catch (err) {
      // Infra creates the tables; an identity with data access only may not create them: that is fine.
      if (statusOf(err) !== 403) throw err;
    }
    return client;
  }
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Table keys may not hold `/ \ # ?` or control characters; those are escaped as %XX (and `%` itself). */
export function tableKey(value: string): string {
  let out = '';
  for (const c of value) {
    const code = c.charCodeAt(0);
    const bad = '%/\\#?'.includes(c) || code < 0x20 || (code >= 0x7f && code <= 0x9f);
    out += bad ? `%${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

/** A string property holds at most 64 KiB (32 Ki UTF-16 units): a long record is split across properties. */
const CHUNK = 30_000;

function stepIndex(stepId: string): number {
  const n = Number(/\.(\d+)$/.exec(stepId)?.[1]);
  return Number.isFinite(n) ? n : 0;
}

type AuditEntity = Record<string, unknown> & { recordChunks?: number };

/**
 * The audit trail in an Azure Table: one partition per remediation id, one row per step and phase (`step`: written
 * `intended` ahead of the write, replaced by `applied` / `failed`; `undo`: `undone`), so undo reads a remediation
 * with one partition query. Queryable columns (resource, rule, fix, status, actor, reason, event) sit beside the
 * full record as JSON.
 */
export class TableAuditStore implements AuditStore {
  constructor(private readonly table: LazyTable) {}

  async record(r: AuditRecord): Promise<void> {
    const json = JSON.stringify(r);
    const chunks: Record<string, string> = {};
    for (let i = 0; i * CHUNK < json.length; i++) chunks[`record${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
    const client = await this.table.get();
    await client.upsertEntity(
      {
        partitionKey: tableKey(r.remediationId),
        rowKey: `${String(stepIndex(r.stepId)).padStart(4, '0')}-${auditPhase(r)}`,
        at: r.at,
        stepId: r.stepId,
        status: r.status,
        resourceId: r.resource.id,
        rule: r.rule,
        fix: r.fix.type,
        mode: r.mode,
        eventId: r.correlation.eventId,
        ...(r.correlation.actor ? { actor: r.correlation.actor } : {}),
        ...(r.correlation.reason ? { reason: r.correlation.reason } : {}),
        ...(r.error ? { error: r.error.slice(0, CHUNK) } : {}),
        recordChunks: Object.keys(chunks).length,
        ...chunks,
      },
      'Replace',
    );
  }

  async byRemediation(remediationId: string): Promise<AuditRecord[]> {
    const client = await this.table.get();
    const pk = tableKey(remediationId).replace(/'/g, "''");
    const rows: TableEntityResult<AuditEntity>[] = [];
    for await (const e of client.listEntities<AuditEntity>({ queryOptions: { filter: `PartitionKey eq '${pk}'` } }))
      rows.push(e);
    return rows
      .map((e) => {
        let json = '';
        for (let i = 0; i < (e.recordChunks ?? 0); i++) json += String(e[`record${i}`] ?? '');
        return JSON.parse(json) as AuditRecord;
      })
      .sort((a, b) => stepIndex(a.stepId) - stepIndex(b.stepId) || a.at.localeCompare(b.at));
  }
}

/**
 * The blast-radius window in an Azure Table, shared by every instance: one row per scope holding the times of
 * the enforcements in the window. Read, decide, write back with the row's ETag (If-Match): a concurrent
 * instance that wrote first makes the write fail with 412, and the decision is taken again on fresh data.
 */
export class TableBlastRadiusStore implements BlastRadiusStore {
  constructor(
    private readonly table: LazyTable,
    private readonly maxAttempts = 10,
  ) {}

  async tryAcquire(scope: string, now: Date, windowMs: number, limit: number) {
    const client = await this.table.get();
    const keys = { partitionKey: 'blast-radius', rowKey: tableKey(scope) };
    const t = now.getTime();
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      let etag: string | undefined;
      let times: number[] = [];
      try {
        const row = await client.getEntity<{ times?: string }>(keys.partitionKey, keys.rowKey);
        etag = row.etag;
        times = JSON.parse(row.times ?? '[]') as number[];
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
      const recent = times.filter((at) => at > t - windowMs);
      if (recent.length >= limit) return { allowed: false, count: recent.length };
      recent.push(t);
      try {
        if (etag) await client.updateEntity({ ...keys, times: JSON.stringify(recent) }, 'Replace', { etag });
        else await client.createEntity({ ...keys, times: JSON.stringify(recent) });
        return { allowed: true, count: recent.length };
      } catch (err) {
        const status = statusOf(err);
        // 412: someone wrote since we read; 409: someone created the row first. Decide again.
        if (status !== 412 && status !== 409) throw err;
      }
    }
    // Still contended after every attempt: fail closed, so the finding is ticketed rather than enforced.
    return { allowed: false, count: limit };
  }
}

/**
 * The event ledger in an Azure Table, claim-first: one row per event id (`ledger` partition), `state` = `claimed`
 * or `handled`, `until` (ms) its expiry. A claim creates the row (409: someone has it) or replaces an expired one
 * with its ETag (412: someone replaced it first), so of concurrent deliveries exactly one goes ahead. Errors are
 * thrown: the engine skips a ledger that fails, and says so.
 */
export class TableEventLedger implements EventLedger {
  constructor(
    private readonly table: LazyTable,
    private readonly retentionMs = 24 * 3_600_000,
    private readonly claimTtlMs = CLAIM_TTL_MS,
  ) {}

  async claim(eventId: string, now: Date): Promise<Claim> {
    const client = await this.table.get();
    const row = { partitionKey: 'ledger', rowKey: tableKey(eventId) };
    const claim = { ...row, state: 'claimed', until: now.getTime() + this.claimTtlMs };
    try {
      await client.createEntity(claim);
      return 'claimed';
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
    const current = await client.getEntity<{ state?: string; until?: number; handledAt?: number }>(
      row.partitionKey,
      row.rowKey,
    );
    // Rows written before claims existed carry `handledAt` only: handled then, kept for the retention.
    const until = current.until ?? (current.handledAt ?? 0) + this.retentionMs;
    if (until > now.getTime()) return current.state === 'claimed' ? 'in-progress' : 'handled';
    try {
      await client.updateEntity(claim, 'Replace', { etag: current.etag });
      return 'claimed';
    } catch (err) {
      if (statusOf(err) === 412) return 'in-progress';
      throw err;
    }
  }

  async remember(eventId: string, now: Date): Promise<void> {
    const client = await this.table.get();
    await client.upsertEntity(
      {
        partitionKey: 'ledger',
        rowKey: tableKey(eventId),
        state: 'handled',
        handledAt: now.getTime(),
        until: now.getTime() + this.retentionMs,
      },
      'Replace',
    );
  }

  async release(eventId: string): Promise<void> {
    const client = await this.table.get();
    try {
      const current = await client.getEntity<{ state?: string }>('ledger', tableKey(eventId));
      if (current.state !== 'claimed') return;
      await client.updateEntity(
        { partitionKey: 'ledger', rowKey: tableKey(eventId), state: 'released', until: 0 },
        'Replace',
        { etag: current.etag },
      );
    } catch (err) {
      const status = statusOf(err);
      if (status !== 404 && status !== 412) throw err;
    }
  }
}

/**
 * Per-resource leases in an Azure Table (`lease` partition): the holder's token and `until` (ms). Taken by creating
 * the row (409: someone holds or held it) or by replacing an expired one (or our own) with its ETag (412: someone
 * else took it first); renewed and released the same way, only while the token is ours.
 */
export class TableLeaseStore implements LeaseStore {
  constructor(private readonly table: LazyTable) {}

  async tryAcquire(key: string, token: string, now: Date, ttlMs: number): Promise<boolean> {
    const client = await this.table.get();
    const lease = { partitionKey: 'lease', rowKey: tableKey(key), token, until: now.getTime() + ttlMs };
    try {
      await client.createEntity(lease);
      return true;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
    return this.replace(lease, (held) => held.token === token || (held.until ?? 0) <= now.getTime());
  }

  async renew(key: string, token: string, now: Date, ttlMs: number): Promise<boolean> {
    const lease = { partitionKey: 'lease', rowKey: tableKey(key), token, until: now.getTime() + ttlMs };
    return this.replace(lease, (held) => held.token === token);
  }

  async release(key: string, token: string): Promise<void> {
    await this.replace(
      { partitionKey: 'lease', rowKey: tableKey(key), token, until: 0 },
      (held) => held.token === token,
    );
  }

  private async replace(
    lease: { partitionKey: string; rowKey: string; token: string; until: number },
    allowed: (held: { token?: string; until?: number }) => boolean,
  ): Promise<boolean> {
    const client = await this.table.get();
    try {
      const held = await client.getEntity<{ token?: string; until?: number }>(lease.partitionKey, lease.rowKey);
      if (!allowed(held)) return false;
      await client.updateEntity(lease, 'Replace', { etag: held.etag });
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 412) return false;
      throw err;
    }
  }
}

export interface StateStores {
  audit?: TableAuditStore;
  blastRadius?: TableBlastRadiusStore;
  ledger?: TableEventLedger;
  leases?: TableLeaseStore;
  /** Where state lives, for the startup log. */
  description: string;
}

/**
 * The stores the environment configures:
 * - `REFLEX_STATE_CONNECTION_STRING` (a storage connection string; azurite locally), or
 *   `REFLEX_STATE_ACCOUNT_URL` (`https://<account>.table.core.windows.net`) with the managed identity;
 * - `REFLEX_AUDIT_TABLE`: the audit table (undo needs it);
 * - `REFLEX_STATE_TABLE`: blast radius, event ledger and per-resource leases, shared by every instance.
 * Nothing configured: no stores (the bot keeps them in memory and logs audit records).
 */
export function stateStoresFromEnv(env: NodeJS.ProcessEnv, credential: () => TokenCredential): StateStores {
  const connectionString = env['REFLEX_STATE_CONNECTION_STRING']?.trim();
  const url = env['REFLEX_STATE_ACCOUNT_URL']?.trim();
  const auditTable = env['REFLEX_AUDIT_TABLE']?.trim();
  const stateTable = env['REFLEX_STATE_TABLE']?.trim();
  if ((!connectionString && !url) || (!auditTable && !stateTable)) {
    return { description: 'in memory (set REFLEX_STATE_ACCOUNT_URL and REFLEX_AUDIT_TABLE / REFLEX_STATE_TABLE)' };
  }
  const insecure =
    /^http:\/\//i.test(url ?? '') || /(TableEndpoint=http:|UseDevelopmentStorage=true)/i.test(connectionString ?? '');
  const account: TableAccount = connectionString
    ? { connectionString, allowInsecureConnection: insecure }
    : { url: url!, credential: credential(), allowInsecureConnection: insecure };
  const state = stateTable ? new LazyTable(account, stateTable) : undefined;
  return {
    ...(auditTable ? { audit: new TableAuditStore(new LazyTable(account, auditTable)) } : {}),
    ...(state
      ? {
          blastRadius: new TableBlastRadiusStore(state),
          ledger: new TableEventLedger(state),
          leases: new TableLeaseStore(state),
        }
      : {}),
    description: `Azure Tables at ${connectionString ? 'the connection string' : url}: audit=${auditTable ?? '(none)'} state=${stateTable ?? '(none)'}`,
  };
}
