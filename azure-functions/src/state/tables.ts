/**
 * Reflex's state in Azure Table storage: the audit trail (what undo reads), the blast-radius window shared by
 * every Functions instance, and the event ledger. @azure/data-tables is imported on first use, so an app that
 * configures no table does not load it.
 */

import type { TokenCredential } from '@azure/core-auth';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { AuditRecord, AuditStore, BlastRadiusStore, EventLedger } from '@reflex/core';

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
 * The audit trail in an Azure Table: one partition per remediation id, one row per recorded step and status
 * (applied, failed, undone), so undo reads a remediation with one partition query. Queryable columns (resource,
 * rule, fix, status, actor, reason, event) sit beside the full record as JSON.
 */
export class TableAuditStore implements AuditStore {
  constructor(private readonly table: LazyTable) {}

  async record(r: AuditRecord): Promise<void> {
    const json = JSON.stringify(r);
    const chunks: Record<string, string> = {};
    for (let i = 0; i * CHUNK < json.length; i++) chunks[`record${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
    const at = Date.parse(r.at) || Date.now();
    const client = await this.table.get();
    await client.createEntity({
      partitionKey: tableKey(r.remediationId),
      rowKey: `${String(stepIndex(r.stepId)).padStart(4, '0')}-${r.status}-${String(at).padStart(15, '0')}-${Math.random().toString(36).slice(2, 8)}`,
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
    });
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
 * The event ledger in an Azure Table: one row per handled event id. It only saves work (the engine re-reads
 * state anyway), so a table that cannot be reached means "not seen" and a failed write is ignored.
 */
export class TableEventLedger implements EventLedger {
  constructor(
    private readonly table: LazyTable,
    private readonly retentionMs = 24 * 3_600_000,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async has(eventId: string, now: Date): Promise<boolean> {
    try {
      const client = await this.table.get();
      const row = await client.getEntity<{ handledAt?: number }>('ledger', tableKey(eventId));
      return typeof row.handledAt === 'number' && row.handledAt > now.getTime() - this.retentionMs;
    } catch (err) {
      if (statusOf(err) !== 404) this.onError(err);
      return false;
    }
  }

  async remember(eventId: string, now: Date): Promise<void> {
    try {
      const client = await this.table.get();
      await client.upsertEntity(
        { partitionKey: 'ledger', rowKey: tableKey(eventId), handledAt: now.getTime() },
        'Replace',
      );
    } catch (err) {
      this.onError(err);
    }
  }
}

export interface StateStores {
  audit?: TableAuditStore;
  blastRadius?: TableBlastRadiusStore;
  ledger?: TableEventLedger;
  /** Where state lives, for the startup log. */
  description: string;
}

/**
 * The stores the environment configures:
 * - `REFLEX_STATE_CONNECTION_STRING` (a storage connection string; azurite locally), or
 *   `REFLEX_STATE_ACCOUNT_URL` (`https://<account>.table.core.windows.net`) with the managed identity;
 * - `REFLEX_AUDIT_TABLE`: the audit table (undo needs it);
 * - `REFLEX_STATE_TABLE`: blast radius and event ledger, shared by every instance.
 * Nothing configured: no stores (the bot keeps them in memory and logs audit records).
 */
export function stateStoresFromEnv(
  env: NodeJS.ProcessEnv,
  credential: () => TokenCredential,
  onError?: (err: unknown) => void,
): StateStores {
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
      ? { blastRadius: new TableBlastRadiusStore(state), ledger: new TableEventLedger(state, undefined, onError) }
      : {}),
    description: `Azure Tables at ${connectionString ? 'the connection string' : url}: audit=${auditTable ?? '(none)'} state=${stateTable ?? '(none)'}`,
  };
}
