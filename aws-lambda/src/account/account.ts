import { EnableEbsEncryptionByDefaultCommand, GetEbsEncryptionByDefaultCommand } from '@aws-sdk/client-ec2';
import { GetPublicAccessBlockCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import type { AccountPosture, CallDescription, Fix, ResourceRef, StepResult } from '@reflex/core';
import type { AwsClients } from '../clients.js';
import { requestIdOf, unlessMissing } from '../errors.js';
import { toBlock } from '../s3/posture.js';

/** Account-wide settings of one region: EBS encryption by default (regional) and S3 Block Public Access (global). */
export async function readAccount(clients: AwsClients, ref: ResourceRef): Promise<AccountPosture> {
  const [ebs, block] = await Promise.all([
    clients.ec2.send(new GetEbsEncryptionByDefaultCommand({})),
    unlessMissing(
      clients.s3control.send(new GetPublicAccessBlockCommand({ AccountId: ref.account })),
      ['NoSuchPublicAccessBlockConfiguration'],
      null,
    ),
  ]);
  return {
    kind: 'account',
    ref,
    ebsEncryptionByDefault: ebs.EbsEncryptionByDefault === true,
    s3PublicAccessBlock: toBlock(block?.PublicAccessBlockConfiguration),
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
          cli: `aws ec2 enable-ebs-encryption-by-default --region ${posture.ref.region}`,
          permission: 'ec2:EnableEbsEncryptionByDefault',
        },
      ];
    case 'block-public-access':
      return [
        {
          api: 's3control:PutPublicAccessBlock',
          cli: `aws s3control put-public-access-block --account-id ${posture.ref.account} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
          permission: 's3:PutAccountPublicAccessBlock',
        },
      ];
    default:
      return [];
  }
}
