import {
  awsRefs,
  errorMessage,
  type ResourceRef,
  type RuleName,
  refFromArn,
  type Target,
  type Trigger,
} from '@reflex/core';
import { actorOf } from './actor.js';
import { accountRef } from './envelope.js';
import { isObject, items, list, obj, str } from './json.js';
import type { Envelope, Lookup, ParsedEvent } from './types.js';

/**
 * Bucket-level calls that change who can reach a bucket, or how it is encrypted or logged, with the rules each call
 * can affect: the handler reads and judges only what those rules look at. `undefined`: every rule (a new bucket).
 */
export const S3_BUCKET_CALLS = new Map<string, RuleName[] | undefined>([
  ['CreateBucket', undefined],
  ['PutBucketAcl', ['publicStorage']],
  ['PutBucketPolicy', ['publicStorage', 'insecureTransport']],
  ['DeleteBucketPolicy', ['publicStorage', 'insecureTransport']],
  ['PutBucketPublicAccessBlock', ['publicStorage']],
  ['DeleteBucketPublicAccessBlock', ['publicStorage']],
  ['PutBucketEncryption', ['unencryptedStorage']],
  ['DeleteBucketEncryption', ['unencryptedStorage']],
  ['PutBucketLogging', ['storageWithoutLogging']],
  ['PutBucketOwnershipControls', ['publicStorage']],
  ['DeleteBucketOwnershipControls', ['publicStorage']],
  // Tags can exempt any rule: a tag write has every rule judged, so an exemption set or removed is reported.
  ['PutBucketTagging', undefined],
  ['DeleteBucketTagging', undefined],
]);
/** EC2 tag writes: judged for the security groups among the resources they name. */
const EC2_TAG_CALLS = new Set(['CreateTags', 'DeleteTags']);
/** Account-level Block Public Access (S3 Control); CloudTrail names them with or without "Account". */
export const S3_ACCOUNT_CALLS = new Set([
  'PutAccountPublicAccessBlock',
  'DeleteAccountPublicAccessBlock',
  'PutPublicAccessBlock',
  'DeletePublicAccessBlock',
]);
const SG_ID_RE = /^sg-[0-9a-f]{8,17}$/;
/** Parts of an EC2 request that name other groups (referenced sources), not the group being changed. */
const REFERENCE_KEYS = new Set([
  'ippermissions',
  'ippermissionsegress',
  'groups',
  'useridgrouppairs',
  'securitygrouprule',
  'referencedgroupid',
  'sourcesecuritygroupname',
  'sourcesecuritygroupownerid',
]);

export function parseCloudTrail(env: Envelope): ParsedEvent {
  const d = env.detail;
  const eventName = str(d.eventName);
  const request = obj(d.requestParameters) ?? {};
  const tagsWritten = eventName ? tagKeysWritten(eventName, request) : undefined;
  const trigger: Trigger = {
    source: 'cloudtrail',
    eventId: env.id,
    ...(eventName ? { eventName } : {}),
    ...(str(d.eventTime) ? { eventTime: str(d.eventTime) } : {}),
    ...actorOf(d.userIdentity),
    ...(tagsWritten ? { tagsWritten } : {}),
  };
  const account = accountRef(env);
  if (!eventName) return { kind: 'malformed', eventId: env.id, ref: account, trigger, problem: 'no eventName' };
  const response = obj(d.responseElements) ?? {};
  const ignored = (reason: string, ref: ResourceRef = account): ParsedEvent => ({
    kind: 'ignored',
    eventId: env.id,
    ref,
    trigger,
    reason,
  });
  const malformed = (problem: string): ParsedEvent => ({
    kind: 'malformed',
    eventId: env.id,
    ref: account,
    trigger,
    problem: `${eventName}: ${problem}`,
  });
  const one = (ref: ResourceRef, rules?: RuleName[]): ParsedEvent => ({
    kind: 'targets',
    eventId: env.id,
    targets: [{ ref, trigger, ...(rules ? { rules } : {}) }],
    lookups: [],
    skipped: [],
  });

  // A failed call changed nothing; the resource is as it was.
  const errorCode = str(d.errorCode);
  if (errorCode) {
    return ignored(
      `${eventName} failed with ${errorCode}${str(d.errorMessage) ? ` (${str(d.errorMessage)})` : ''}: nothing changed`,
      bucketRefOrNull(request, env) ?? account,
    );
  }
  if (d.readOnly === true || /^(Get|List|Describe|Head)/.test(eventName))
    return ignored(`${eventName} is a read-only call`, bucketRefOrNull(request, env) ?? account);

  switch (env.source) {
    case 'aws.s3': {
      if (S3_ACCOUNT_CALLS.has(eventName) && !str(request.bucketName))
        return one(account, ['accountPublicAccessUnblocked']);
      if (!S3_BUCKET_CALLS.has(eventName))
        return ignored(`${eventName} does not change a bucket's exposure, encryption or logging`);
      const name = str(request.bucketName);
      if (!name) return malformed('requestParameters.bucketName is missing or empty');
      try {
        return one(awsRefs.bucket(name, env.account, env.region, env.partition), S3_BUCKET_CALLS.get(eventName));
      } catch (err) {
        return malformed(errorMessage(err));
      }
    }
    case 'aws.ec2':
      return parseEc2(env, eventName, request, response, trigger, { ignored, malformed, one });
    case 'aws.cloudtrail': {
      if (eventName !== 'StopLogging') return ignored(`${eventName} is not a change Reflex undoes`);
      const name = str(request.name);
      if (!name) return malformed('requestParameters.name is missing');
      try {
        return one(
          name.startsWith('arn:')
            ? refFromArn(name, { account: env.account, region: env.region })
            : awsRefs.trail(name, env.account, env.region, env.partition),
        );
      } catch (err) {
        return malformed(errorMessage(err));
      }
    }
    default:
      return ignored(`CloudTrail events from ${env.source} are not handled`);
  }
}

/**
 * The tag keys a tag-writing call set (its actor is who set them): S3 PutBucketTagging replaces the whole set
 * (`Tagging.TagSet.Tag`), EC2 CreateTags adds `tagSet.items`. `all` when the request does not list them.
 */
function tagKeysWritten(eventName: string, request: Record<string, unknown>): string[] | 'all' | undefined {
  if (eventName === 'PutBucketTagging') {
    const tags = list(obj(obj(request.Tagging)?.TagSet)?.Tag);
    const keys = tags.map((t) => str(obj(t)?.Key)).filter((k): k is string => k !== undefined);
    return keys.length > 0 ? keys : 'all';
  }
  if (eventName === 'CreateTags') {
    const keys = items(request.tagSet)
      .map((t) => str(obj(t)?.key))
      .filter((k): k is string => k !== undefined);
    return keys.length > 0 ? keys : 'all';
  }
  return undefined;
}

function bucketRefOrNull(request: Record<string, unknown>, env: Envelope): ResourceRef | null {
  const name = str(request.bucketName);
  if (!name) return null;
  try {
    return awsRefs.bucket(name, env.account, env.region, env.partition);
  } catch {
    return null;
  }
}

function parseEc2(
  env: Envelope,
  eventName: string,
  request: Record<string, unknown>,
  response: Record<string, unknown>,
  trigger: Trigger,
  out: {
    ignored: (reason: string, ref?: ResourceRef) => ParsedEvent;
    malformed: (problem: string) => ParsedEvent;
    one: (ref: ResourceRef, rules?: RuleName[]) => ParsedEvent;
  },
): ParsedEvent {
  if (eventName === 'DisableEbsEncryptionByDefault') return out.one(accountRef(env), ['ebsEncryptionByDefaultOff']);
  if (EC2_TAG_CALLS.has(eventName)) {
    const groups = items(request.resourcesSet)
      .map((r) => str(obj(r)?.resourceId))
      .filter((id): id is string => id !== undefined && SG_ID_RE.test(id));
    // No group among the tagged resources: the generic reading below decides (a groupId, or nothing).
    if (groups.length > 0) {
      const targets: Target[] = [...new Set(groups)].map((id) => ({
        ref: awsRefs.securityGroup(id, env.account, env.region, env.partition),
        trigger,
      }));
      return { kind: 'targets', eventId: env.id, targets, lookups: [], skipped: [] };
    }
  }
  if (eventName === 'DeleteFlowLogs') {
    const lookup: Lookup = { kind: 'vpcs', account: env.account, region: env.region, trigger };
    return { kind: 'targets', eventId: env.id, targets: [], lookups: [lookup], skipped: [] };
  }
  const ids = new Set<string>();
  collectGroupIds(request, ids, 0);
  const created = str(response.groupId);
  if (created && SG_ID_RE.test(created)) ids.add(created);
  if (eventName === 'DeleteSecurityGroup') return out.ignored('the security group was deleted');
  if (ids.size > 0) {
    const targets: Target[] = [...ids].map((id) => ({
      ref: awsRefs.securityGroup(id, env.account, env.region, env.partition),
      trigger,
    }));
    return { kind: 'targets', eventId: env.id, targets, lookups: [], skipped: [] };
  }
  const groupName = str(request.groupName) ?? str(request.GroupName);
  if (groupName) {
    const vpcId = str(request.vpcId);
    const lookup: Lookup = {
      kind: 'security-group-by-name',
      groupName,
      ...(vpcId ? { vpcId } : {}),
      account: env.account,
      region: env.region,
      trigger,
    };
    return { kind: 'targets', eventId: env.id, targets: [], lookups: [lookup], skipped: [] };
  }
  if (/SecurityGroup/.test(eventName)) return out.malformed('names no security group (no groupId or groupName)');
  return out.ignored(`${eventName} does not change a security group, flow log or account setting Reflex watches`);
}

/** Every `groupId` the request names for the group being changed (top level, `*Request` wrappers, group sets). */
function collectGroupIds(value: unknown, ids: Set<string>, depth: number): void {
  if (depth > 6) return;
  if (Array.isArray(value)) {
    for (const v of value) collectGroupIds(v, ids, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const k = key.toLowerCase();
    if (REFERENCE_KEYS.has(k)) continue;
    if ((k === 'groupid' || k === 'groupids') && typeof v === 'string' && SG_ID_RE.test(v)) ids.add(v);
    else if (k === 'groupid' || k === 'groupids' || k === 'items' || k === 'groupset')
      for (const item of items(v)) {
        if (typeof item === 'string' && SG_ID_RE.test(item)) ids.add(item);
        else collectGroupIds(item, ids, depth + 1);
      }
    else if (isObject(v) || Array.isArray(v)) collectGroupIds(v, ids, depth + 1);
  }
}
