import {
  type CloudTrailClient,
  GetTrailStatusCommand,
  ListTagsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import type {
  AuditRecord,
  CallDescription,
  Fix,
  ResourceRef,
  RestoreResult,
  StepResult,
  TrailPosture,
} from '@reflex/core';
import { errorCode, requestIdOf } from '../errors.js';

/**
 * Calls name the trail by its name: CloudTrail accepts it in the home region, and moto answers a
 * StartLogging by ARN with a 500 (a transient-looking error that would make Lambda retry forever).
 */
export async function readTrail(cloudtrail: CloudTrailClient, ref: ResourceRef): Promise<TrailPosture | null> {
  try {
    const [status, tags] = await Promise.all([
      cloudtrail.send(new GetTrailStatusCommand({ Name: ref.name })),
      cloudtrail.send(new ListTagsCommand({ ResourceIdList: [ref.id] })).catch(() => undefined),
    ]);
    const tagList = tags?.ResourceTagList?.[0]?.TagsList ?? [];
    return {
      kind: 'trail',
      ref,
      logging: status.IsLogging === true,
      tags: Object.fromEntries(tagList.map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  } catch (err) {
    if (errorCode(err) === 'TrailNotFoundException') return null;
    throw err;
  }
}

export async function applyStartLogging(
  cloudtrail: CloudTrailClient,
  fix: Fix,
  posture: TrailPosture,
): Promise<StepResult> {
  if (fix.type !== 'start-trail-logging') throw new Error(`fix ${fix.type} does not apply to a trail`);
  const out = await cloudtrail.send(new StartLoggingCommand({ Name: posture.ref.name }));
  return { before: { logging: posture.logging }, after: { logging: true }, requestIds: requestIdOf(out) };
}

export function describeTrailFix(fix: Fix, posture: TrailPosture): CallDescription[] {
  if (fix.type !== 'start-trail-logging') return [];
  return [
    {
      api: 'cloudtrail:StartLogging',
      argv: ['aws', 'cloudtrail', 'start-logging', '--name', posture.ref.name],
      permission: 'cloudtrail:StartLogging',
    },
  ];
}

/** Undo of StartLogging: StopLogging, only if the trail was recorded as not logging and logs now as Reflex left it. */
export async function restoreTrailLogging(
  cloudtrail: CloudTrailClient,
  record: AuditRecord,
  current: TrailPosture | null,
  check: boolean,
): Promise<RestoreResult> {
  const name = record.resource.name;
  if (!current) return { status: 'refused', differences: [`trail ${name} no longer exists`] };
  const before = record.before as { logging: boolean };
  if (current.logging === before.logging) return { status: 'restored', requestIds: [] };
  if (!current.logging) return { status: 'refused', differences: [`trail ${name} is not logging; Reflex started it`] };
  if (check) return { status: 'restorable', requestIds: [] };
  const out = await cloudtrail.send(new StopLoggingCommand({ Name: name }));
  return { status: 'restored', requestIds: requestIdOf(out) };
}
