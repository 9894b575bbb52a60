import { awsRefs, type ResourceRef } from '@reflex/core';
import { obj, str } from './json.js';
import type { Envelope } from './types.js';

const ACCOUNT_RE = /^\d{12}$/;

/** The partition a region belongs to (ARNs need it; EventBridge envelopes do not carry it). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/** Reads the envelope, or names what is missing. Account and region come from the envelope, not the payload. */
export function readEnvelope(event: unknown): Envelope | { problem: string; id: string } {
  const e = obj(event);
  if (!e) return { problem: 'the event is not a JSON object', id: '' };
  const id = str(e.id) ?? '';
  const source = str(e.source);
  const detailType = str(e['detail-type']);
  const detail = obj(e.detail);
  const account = str(e.account);
  const region = str(e.region);
  const missing = [
    !id && 'id',
    !source && 'source',
    !detailType && 'detail-type',
    !detail && 'detail (an object)',
    !account && 'account',
    !region && 'region',
  ].filter(Boolean);
  if (missing.length > 0) return { problem: `not an EventBridge event: missing ${missing.join(', ')}`, id };
  if (!ACCOUNT_RE.test(account!)) return { problem: `account ${JSON.stringify(account)} is not a 12-digit id`, id };
  return {
    id,
    source: source!,
    detailType: detailType!,
    account: account!,
    region: region!,
    partition: partitionOf(region!),
    detail: detail!,
    ...(str(e.time) ? { time: str(e.time) } : {}),
  };
}

export function accountRef(env: Pick<Envelope, 'account' | 'region' | 'partition'>): ResourceRef {
  return awsRefs.account(env.account, env.region, env.partition);
}
