import { ListTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { awsRefs, type ResourceRef, type Target, type Trigger } from '@reflex/core';
import type { AwsClients } from './clients.js';
import { listGroupPostures } from './ec2/securityGroup.js';
import { partitionOf } from './events/envelope.js';
import type { Lookup } from './events/types.js';

/** Every bucket of the region: ListBuckets filtered to the region (all, when the service does not say). */
export async function listBuckets(c: AwsClients, account: string, region: string): Promise<ResourceRef[]> {
  const out: ResourceRef[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await c.s3.send(new ListBucketsCommand({ BucketRegion: region, ContinuationToken }));
    for (const b of page.Buckets ?? []) {
      if (!b.Name || (b.BucketRegion && b.BucketRegion !== region)) continue;
      out.push(awsRefs.bucket(b.Name, account, region, partitionOf(region)));
    }
    ContinuationToken = page.ContinuationToken;
  } while (ContinuationToken);
  return out;
}

export async function listSecurityGroups(
  c: AwsClients,
  account: string,
  region: string,
  filter?: { name: string; vpcId?: string },
) {
  const out: ResourceRef[] = [];
  let NextToken: string | undefined;
  const Filters = filter
    ? [
        { Name: 'group-name', Values: [filter.name] },
        ...(filter.vpcId ? [{ Name: 'vpc-id', Values: [filter.vpcId] }] : []),
      ]
    : undefined;
  do {
    const page = await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters, NextToken }));
    for (const g of page.SecurityGroups ?? [])
      if (g.GroupId) out.push(awsRefs.securityGroup(g.GroupId, account, region, partitionOf(region)));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

export async function listVpcs(c: AwsClients, account: string, region: string): Promise<ResourceRef[]> {
  const out: ResourceRef[] = [];
  let NextToken: string | undefined;
  do {
    const page = await c.ec2.send(new DescribeVpcsCommand({ NextToken }));
    for (const v of page.Vpcs ?? []) if (v.VpcId) out.push(awsRefs.vpc(v.VpcId, account, region, partitionOf(region)));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Trails whose home is this region (a multi-region trail is fixed where it lives). */
export async function listTrails(c: AwsClients, account: string, region: string): Promise<ResourceRef[]> {
  const out: ResourceRef[] = [];
  let NextToken: string | undefined;
  do {
    const page = await c.cloudtrail.send(new ListTrailsCommand({ NextToken }));
    for (const t of page.Trails ?? []) {
      if (!t.Name || (t.HomeRegion && t.HomeRegion !== region)) continue;
      out.push(
        t.TrailARN
          ? { ...awsRefs.trail(t.Name, account, region, partitionOf(region)), id: t.TrailARN }
          : awsRefs.trail(t.Name, account, region, partitionOf(region)),
      );
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Everything Reflex watches in one account and region. */
export async function sweepTargets(
  c: AwsClients,
  account: string,
  region: string,
  trigger: Trigger,
): Promise<Target[]> {
  const [buckets, groups, trails, vpcs] = await Promise.all([
    listBuckets(c, account, region),
    listGroupPostures(c.ec2, (id) => awsRefs.securityGroup(id, account, region, partitionOf(region))),
    listTrails(c, account, region),
    listVpcs(c, account, region),
  ]);
  const refs = [...buckets, ...trails, ...vpcs, awsRefs.account(account, region, partitionOf(region))];
  // Groups come with their rules from the listing: only a group with a finding there is read again.
  return [...refs.map((ref) => ({ ref, trigger })), ...groups.map((screen) => ({ ref: screen.ref, trigger, screen }))];
}

/** Resolves what an event named only indirectly, with read-only calls. */
export async function resolveLookup(c: AwsClients, lookup: Lookup): Promise<Target[]> {
  const { account, region, trigger } = lookup;
  let refs: ResourceRef[];
  switch (lookup.kind) {
    case 'security-group-by-name':
      // Without a VPC id the name means the default VPC's group; every match is re-read, the rules decide.
      refs = await listSecurityGroups(c, account, region, {
        name: lookup.groupName,
        ...(lookup.vpcId ? { vpcId: lookup.vpcId } : {}),
      });
      break;
    case 'vpcs':
      refs = await listVpcs(c, account, region);
      break;
    case 'trails':
      refs = await listTrails(c, account, region);
      break;
  }
  return refs.map((ref) => ({ ref, trigger }));
}
