import {
  DisableEbsEncryptionByDefaultCommand,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3-control';
import type {
  AccountPosture,
  AuditRecord,
  CallDescription,
  Fix,
  PublicAccessBlock,
  ResourceRef,
  RestoreResult,
  RuleName,
  StepResult,
} from '@reflex/core';
import type { AwsClients } from '../clients.js';
import { requestIdOf, unlessMissing } from '../errors.js';
import { blockDifference, sameBlock } from '../s3/containment.js';
import { toBlock } from '../s3/posture.js';

/** Account-wide settings of one region: EBS encryption by default (regional) and S3 Block Public Access (global). */
/** The account's settings, or only those `rules` look at (a setting left unread stays undefined). */
export async function readAccount(
  clients: AwsClients,
  ref: ResourceRef,
  rules?: readonly RuleName[],
): Promise<AccountPosture> {
  const wants = (rule: RuleName) => !rules || rules.includes(rule);
  const [ebs, block] = await Promise.all([
    wants('ebsEncryptionByDefaultOff') ? clients.ec2.send(new GetEbsEncryptionByDefaultCommand({})) : undefined,
    wants('accountPublicAccessUnblocked')
      ? unlessMissing(
          clients.s3control.send(new GetPublicAccessBlockCommand({ AccountId: ref.account })),
          ['NoSuchPublicAccessBlockConfiguration'],
          null,
        )
      : undefined,
  ]);
  return {
    kind: 'account',
    ref,
    ...(ebs ? { ebsEncryptionByDefault: ebs.EbsEncryptionByDefault === true } : {}),
    ...(block !== undefined ? { s3PublicAccessBlock: toBlock(block?.PublicAccessBlockConfiguration) } : {}),
    tags: {},
  };
}

export async function applyAccountFix(clients: AwsClients, fix: Fix, posture: AccountPosture): Promise<StepResult> {
  switch (fix.type) {
    case 'enable-ebs-default-encryption': {
      const out = await clients.ec2.send(new EnableEbsEncryptionByDefaultCommand({}));
      return {
        before: { ebsEncryptionByDefault: posture.ebsEncryptionByDefault },
        after: { ebsEncryptionByDefault: out.EbsEncryptionByDefault === true },
        requestIds: requestIdOf(out),
      };
    }
    case 'block-public-access': {
      const out = await clients.s3control.send(
        new PutPublicAccessBlockCommand({
          AccountId: posture.ref.account,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: fix.block.blockPublicAcls,
            IgnorePublicAcls: fix.block.ignorePublicAcls,
            BlockPublicPolicy: fix.block.blockPublicPolicy,
            RestrictPublicBuckets: fix.block.restrictPublicBuckets,
          },
        }),
      );
      return { before: posture.s3PublicAccessBlock ?? null, after: fix.block, requestIds: requestIdOf(out) };
    }
    default:
      throw new Error(`fix ${fix.type} does not apply to an account`);
  }
}

export function describeAccountFix(fix: Fix, posture: AccountPosture): CallDescription[] {
  switch (fix.type) {
    case 'enable-ebs-default-encryption':
      return [
        {
          api: 'ec2:EnableEbsEncryptionByDefault',
          argv: ['aws', 'ec2', 'enable-ebs-encryption-by-default', '--region', posture.ref.region],
          permission: 'ec2:EnableEbsEncryptionByDefault',
        },
      ];
    case 'block-public-access':
      return [
        {
          api: 's3control:PutPublicAccessBlock',
          argv: [
            'aws',
            's3control',
            'put-public-access-block',
            '--account-id',
            posture.ref.account,
            '--public-access-block-configuration',
            'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
          ],
          permission: 's3:PutAccountPublicAccessBlock',
        },
      ];
    default:
      return [];
  }
}

/** Undo of the account-level fixes: EBS encryption by default off again, the account's S3 block as it was. */
export async function restoreAccountFix(
  clients: AwsClients,
  record: AuditRecord,
  current: AccountPosture,
  check: boolean,
): Promise<RestoreResult> {
  const account = record.resource.account;
  const done = (requestIds: string[] = []): RestoreResult => ({
    status: check ? 'restorable' : 'restored',
    requestIds,
  });
  switch (record.fix.type) {
    case 'enable-ebs-default-encryption': {
      const before = (record.before as { ebsEncryptionByDefault?: boolean }).ebsEncryptionByDefault === true;
      if (current.ebsEncryptionByDefault === before) return { status: 'restored', requestIds: [] };
      if (!current.ebsEncryptionByDefault)
        return {
          status: 'refused',
          differences: [`${account}/${record.resource.region}: EBS encryption by default is off; Reflex turned it on`],
        };
      if (check) return done();
      return done(requestIdOf(await clients.ec2.send(new DisableEbsEncryptionByDefaultCommand({}))));
    }
    case 'block-public-access': {
      const before = record.before as PublicAccessBlock | null;
      const now = current.s3PublicAccessBlock ?? null;
      if (sameBlock(now, before)) return { status: 'restored', requestIds: [] };
      const diff = blockDifference(`account ${account} (S3)`, now, record.after as PublicAccessBlock);
      if (diff.length > 0) return { status: 'refused', differences: diff };
      if (check) return done();
      const out = before
        ? await clients.s3control.send(
            new PutPublicAccessBlockCommand({
              AccountId: account,
              PublicAccessBlockConfiguration: {
                BlockPublicAcls: before.blockPublicAcls,
                IgnorePublicAcls: before.ignorePublicAcls,
                BlockPublicPolicy: before.blockPublicPolicy,
                RestrictPublicBuckets: before.restrictPublicBuckets,
              },
            }),
          )
        : await clients.s3control.send(new DeletePublicAccessBlockCommand({ AccountId: account }));
      return done(requestIdOf(out));
    }
    default:
      return { status: 'refused', differences: [`Reflex cannot undo ${record.fix.type} on an account`] };
  }
}
