/**
 * Reflex's state in DynamoDB, for Lambda, where memory does not outlive a container:
 *
 * - `DynamoDbAuditStore` (table `REFLEX_AUDIT_TABLE`): one item per step and phase, partition key `remediationId`
 *   (S), sort key `sk` (S) = `<stepId>#step` (written `intended` ahead of the write, replaced by `applied` / `failed`)
 *   or `<stepId>#undo` (`undone`), the record itself as JSON in `record` (S), plus `stepId`, `status`, `resourceId`
 *   and `at` for reading the table by hand. `byRemediation` is one Query (consistent, paginated), ordered by time,
 *   then step. No TTL: the audit trail is kept.
 * - `DynamoDbBlastRadiusStore`, `DynamoDbEventLedger` and `DynamoDbLeaseStore` (table `REFLEX_STATE_TABLE`):
 *   partition key `pk` (S), TTL attribute `expiresAt` (N, epoch seconds) so old items go away on their own.
 *
 * The SDK client is loaded with `import()` on first use, so a handler configured without tables never loads it.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type AuditRecord,
  type AuditStore,
  auditPhase,
  type BlastRadiusStore,
  CLAIM_TTL_MS,
  type Claim,
  type EventLedger,
  type LeaseStore,
  latestAuditRecords,
} from '@reflex/core';
import { type AwsClientOptions, defaultRegion } from '../clients.js';
import { errorCode } from '../errors.js';

type Sdk = typeof import('../sdk/dynamodb.js');
let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => {
  sdk ??= import('../sdk/dynamodb.js');
  return sdk;
};

export interface DynamoStoreOptions extends AwsClientOptions {
  tableName: string;
  /** An existing client (tests, or a shared one); else one is created from the options on first use. */
  client?: DynamoDBClient;
  region?: string;
}

/** One lazily created client per store options; the SDK's standard retries apply. */
class Table {
  private client?: Promise<{ client: DynamoDBClient; sdk: Sdk }>;
  constructor(readonly options: DynamoStoreOptions) {}

  get name() {
    return this.options.tableName;
  }

  use(): Promise<{ client: DynamoDBClient; sdk: Sdk }> {
    this.client ??= loadSdk().then((s) => {
      const o = this.options;
      const endpoint = o.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL;
      const client =
        o.client ??
        new s.DynamoDBClient({
          region: o.region ?? defaultRegion(),
          maxAttempts: o.maxAttempts ?? Number(process.env.AWS_MAX_ATTEMPTS ?? 8),
          retryMode: process.env.AWS_RETRY_MODE ?? 'standard',
          ...(endpoint ? { endpoint } : {}),
          ...(o.credentials ? { credentials: o.credentials } : {}),
        });
      return { client, sdk: s };
    });
    return this.client;
  }
}

const isConditionFailure = (err: unknown) => errorCode(err) === 'ConditionalCheckFailedException';

export class DynamoDbAuditStore implements AuditStore {
  private readonly table: Table;
  constructor(options: DynamoStoreOptions) {
    this.table = new Table(options);
  }

  async record(r: AuditRecord): Promise<void> {
    const { client, sdk } = await this.table.use();
    await client.send(
      new sdk.PutItemCommand({
        TableName: this.table.name,
        Item: {
          remediationId: { S: r.remediationId },
          sk: { S: `${r.stepId}#${auditPhase(r)}` },
          stepId: { S: r.stepId },
          status: { S: r.status },
          at: { S: r.at },
          resourceId: { S: r.resource.id },
          record: { S: JSON.stringify(r) },
        },
      }),
    );
  }

  async byRemediation(remediationId: string): Promise<AuditRecord[]> {
    const { client, sdk } = await this.table.use();
    const out: AuditRecord[] = [];
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new sdk.QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: '#id = :id',
          ExpressionAttributeNames: { '#id': 'remediationId' },
          ExpressionAttributeValues: { ':id': { S: remediationId } },
          ConsistentRead: true,
          ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) if (item.record?.S) out.push(JSON.parse(item.record.S) as AuditRecord);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    // Items written before one item per step and phase (sk `<at>#<stepId>#<status>`) fold into the latest.
    const stepIndex = (id: string) => Number(/\.(\d+)$/.exec(id)?.[1] ?? 0);
    return latestAuditRecords(out.sort((a, b) => a.at.localeCompare(b.at))).sort(
      (a, b) => a.at.localeCompare(b.at) || stepIndex(a.stepId) - stepIndex(b.stepId),
    );
  }
}

/**
 * Blast radius across every container: a sliding-window counter. Each scope has one counter item per fixed window
 * (`blast#<scope>#<windowMs>#<n>`); the count that is checked is this window's count plus the previous window's,
 * weighted by how much of it still overlaps the sliding window (the approximation Cloudflare and others use; exact
 * when enforcements are spread evenly, and never more than the limit within one fixed window). The increment is one
 * atomic conditional UpdateItem (`ADD count 1` if `count < limit - weightedPrevious`), so concurrent instances agree.
 */
export class DynamoDbBlastRadiusStore implements BlastRadiusStore {
  private readonly table: Table;
  constructor(options: DynamoStoreOptions) {
    this.table = new Table(options);
  }

  async tryAcquire(scope: string, now: Date, windowMs: number, limit: number) {
    const { client, sdk } = await this.table.use();
    const t = now.getTime();
    const n = Math.floor(t / windowMs);
    const key = (i: number) => ({ pk: { S: `blast#${scope}#${windowMs}#${i}` } });
    const countOf = async (i: number) => {
      const got = await client.send(
        new sdk.GetItemCommand({ TableName: this.table.name, Key: key(i), ConsistentRead: true }),
      );
      return Number(got.Item?.count?.N ?? 0);
    };
    const [previous, current] = await Promise.all([countOf(n - 1), countOf(n)]);
    const overlap = 1 - (t - n * windowMs) / windowMs;
    const carried = Math.floor(previous * overlap);
    const cap = limit - carried;
    if (cap <= 0 || current >= cap) return { allowed: false, count: carried + current };
    try {
      const out = await client.send(
        new sdk.UpdateItemCommand({
          TableName: this.table.name,
          Key: key(n),
          UpdateExpression: 'ADD #c :one SET #e = :expires',
          ConditionExpression: 'attribute_not_exists(#c) OR #c < :cap',
          ExpressionAttributeNames: { '#c': 'count', '#e': 'expiresAt' },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':cap': { N: String(cap) },
            // Kept for two windows: the next window still weighs this one.
            ':expires': { N: String(Math.ceil(((n + 2) * windowMs) / 1000)) },
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { allowed: true, count: carried + Number(out.Attributes?.count?.N ?? current + 1) };
    } catch (err) {
      if (isConditionFailure(err)) return { allowed: false, count: carried + (await countOf(n)) };
      throw err;
    }
  }
}

/**
 * Event ledger, claim-first: one item per event (`event#<id>`), `state` = `claimed` (expires after `claimTtlMs`: its
 * holder died) or `handled` (expires after the retention). A claim is a conditional put that only succeeds when no
 * unexpired item is there, so of concurrent deliveries exactly one goes ahead. Expiry is checked by the conditions
 * themselves: DynamoDB deletes expired items only eventually. Errors are thrown: the engine skips a failing ledger.
 */
export class DynamoDbEventLedger implements EventLedger {
  private readonly table: Table;
  constructor(
    options: DynamoStoreOptions,
    private readonly retentionMs = 24 * 3_600_000,
    private readonly claimTtlMs = CLAIM_TTL_MS,
  ) {
    this.table = new Table(options);
  }

  async claim(eventId: string, now: Date): Promise<Claim> {
    const { client, sdk } = await this.table.use();
    const key = { pk: { S: `event#${eventId}` } };
    try {
      await client.send(
        new sdk.PutItemCommand({
          TableName: this.table.name,
          Item: {
            ...key,
            state: { S: 'claimed' },
            at: { S: now.toISOString() },
            expiresAt: { N: String(Math.ceil((now.getTime() + this.claimTtlMs) / 1000)) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': { N: String(Math.floor(now.getTime() / 1000)) } },
        }),
      );
      return 'claimed';
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const got = await client.send(
      new sdk.GetItemCommand({ TableName: this.table.name, Key: key, ConsistentRead: true }),
    );
    // Items written before claims existed carry no state: they were handled.
    return got.Item?.state?.S === 'claimed' ? 'in-progress' : 'handled';
  }

  async remember(eventId: string, now: Date): Promise<void> {
    const { client, sdk } = await this.table.use();
    await client.send(
      new sdk.PutItemCommand({
        TableName: this.table.name,
        Item: {
          pk: { S: `event#${eventId}` },
          state: { S: 'handled' },
          handledAt: { S: now.toISOString() },
          expiresAt: { N: String(Math.ceil((now.getTime() + this.retentionMs) / 1000)) },
        },
      }),
    );
  }

  async release(eventId: string): Promise<void> {
    const { client, sdk } = await this.table.use();
    try {
      // Expired at once (UpdateItem: the role has no DeleteItem), and only while still a claim.
      await client.send(
        new sdk.UpdateItemCommand({
          TableName: this.table.name,
          Key: { pk: { S: `event#${eventId}` } },
          UpdateExpression: 'SET expiresAt = :zero',
          ConditionExpression: '#s = :claimed',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':claimed': { S: 'claimed' } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

/**
 * Per-resource leases (`lease#<key>`): the holder's token and `until` (ms). Taken with a conditional put that only
 * succeeds when the lease is absent, expired, or already the caller's; renewed and released with conditional
 * updates on the token, so a holder whose lease expired and was taken cannot extend or free someone else's.
 */
export class DynamoDbLeaseStore implements LeaseStore {
  private readonly table: Table;
  constructor(options: DynamoStoreOptions) {
    this.table = new Table(options);
  }

  async tryAcquire(key: string, token: string, now: Date, ttlMs: number): Promise<boolean> {
    const { client, sdk } = await this.table.use();
    const until = now.getTime() + ttlMs;
    try {
      await client.send(
        new sdk.PutItemCommand({
          TableName: this.table.name,
          Item: {
            pk: { S: `lease#${key}` },
            token: { S: token },
            until: { N: String(until) },
            expiresAt: { N: String(Math.ceil(until / 1000) + 3600) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #u <= :now OR #t = :token',
          ExpressionAttributeNames: { '#u': 'until', '#t': 'token' },
          ExpressionAttributeValues: { ':now': { N: String(now.getTime()) }, ':token': { S: token } },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async renew(key: string, token: string, now: Date, ttlMs: number): Promise<boolean> {
    return this.update(key, token, now.getTime() + ttlMs);
  }

  async release(key: string, token: string): Promise<void> {
    await this.update(key, token, 0);
  }

  private async update(key: string, token: string, until: number): Promise<boolean> {
    const { client, sdk } = await this.table.use();
    try {
      await client.send(
        new sdk.UpdateItemCommand({
          TableName: this.table.name,
          Key: { pk: { S: `lease#${key}` } },
          UpdateExpression: 'SET #u = :until, expiresAt = :expires',
          ConditionExpression: '#t = :token',
          ExpressionAttributeNames: { '#u': 'until', '#t': 'token' },
          ExpressionAttributeValues: {
            ':until': { N: String(until) },
            ':expires': { N: String(Math.ceil(until / 1000) + 3600) },
            ':token': { S: token },
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
