import {
  awsRefs,
  errorMessage,
  handleTargets,
  type Outcome,
  PolicyError,
  type Report,
  type Target,
} from '@reflex/core';
import { isTransient } from '../errors.js';
import { claimsOf } from '../events/evidence.js';
import { parseEvent, partitionOf } from '../events/index.js';
import type { Lookup } from '../events/types.js';
import { resolveLookup, sweepTargets } from '../sweep.js';
import {
  type BotDeps,
  createBot,
  finish,
  type InvocationContext,
  invalidPolicyReport,
  reachable,
  sweepOptions,
  TransientFailure,
} from './bot.js';

/**
 * The EventBridge handler: CloudTrail, Config, Security Hub and schedule events. Resolves with a report for
 * everything except transient cloud failures, which throw so that Lambda retries (and then dead-letters).
 */
export function createEventsHandler(deps: BotDeps = {}) {
  const bot = createBot(deps);
  return async function handleEvent(event: unknown, context?: InvocationContext): Promise<Report> {
    const policy = bot.policy();
    if (policy instanceof PolicyError) return finish(bot, invalidPolicyReport(policy), 'invalid policy');
    await bot.prepare(policy);
    const parsed = parseEvent(event);
    bot.begin(context, parsed.eventId);
    switch (parsed.kind) {
      case 'malformed': {
        const outcomes: Outcome[] =
          parsed.ref && parsed.trigger
            ? [
                {
                  status: 'failed',
                  resource: parsed.ref,
                  trigger: parsed.trigger,
                  reason: `malformed event: ${parsed.problem}`,
                },
              ]
            : [];
        return finish(
          bot,
          { outcomes, errors: [{ code: 'MalformedEvent', message: parsed.problem }] },
          'malformed event',
        );
      }
      case 'ignored':
        return finish(
          bot,
          { outcomes: [{ status: 'ignored', resource: parsed.ref, trigger: parsed.trigger, reason: parsed.reason }] },
          'ignored event',
        );
      case 'sweep': {
        // A scheduled sweep covers the function's own account; member accounts are swept by the manual handler.
        if (bot.account && parsed.account !== bot.account) {
          const reason =
            `a scheduled sweep from account ${parsed.account} is not run: scheduled sweeps cover the bot's own ` +
            `account (${bot.account}); sweep a member account with the manual handler`;
          return finish(
            bot,
            { outcomes: [{ status: 'ignored', resource: accountRefOf(parsed), trigger: parsed.trigger, reason }] },
            'ignored sweep',
          );
        }
        let targets: Target[];
        try {
          const c = bot.clients(parsed.region, parsed.account);
          targets = await sweepTargets(c, parsed.account, parsed.region, parsed.trigger);
        } catch (err) {
          return failedListing(err, `sweep of ${parsed.account}/${parsed.region}`);
        }
        const report = await handleTargets(parsed.eventId, targets, policy, bot.ports, sweepOptions(bot));
        return finish(bot, report, 'sweep');
      }
      case 'targets': {
        const claims = claimsOf(event);
        if (claims.length > 0) bot.logger.info('reflex.event.claims', { eventId: parsed.eventId, claims });
        const resolved: Target[] = [];
        const problems: Outcome[] = [];
        for (const lookup of parsed.lookups) {
          const refusal = bot.refusal(lookup.account);
          if (refusal) {
            problems.push({ ...lookupEmpty(lookup), reason: refusal });
            continue;
          }
          try {
            resolved.push(...(await resolveLookup(bot.clients(lookup.region, lookup.account), lookup)));
          } catch (err) {
            if (isTransient(err)) throw transient(err, lookup);
            problems.push(lookupFailed(lookup, err));
          }
        }
        // Another account's resources: through its member role, or ignored (no cloud call) without one.
        const { targets, refused } = reachable(bot, dedupe([...parsed.targets, ...resolved]));
        // The loop guard: the bot's own role, learnt without configuration, when some target names a caller.
        const named = targets.some((t) => t.trigger.actor || t.trigger.actorIds?.length);
        const forTargets = bot.policyFor(
          named ? await bot.withOwnIdentity(policy) : policy,
          targets.map((t) => t.ref),
        );
        const report = await handleTargets(parsed.eventId, targets, forTargets, bot.ports, bot.concurrency);
        const skipped: Outcome[] = parsed.skipped.map((s) => ({
          status: 'ignored',
          resource: s.ref,
          trigger: s.trigger,
          reason: s.reason,
        }));
        if (targets.length === 0 && problems.length === 0 && parsed.lookups.length > 0)
          skipped.push(...parsed.lookups.map((l) => lookupEmpty(l)));
        return finish(bot, { ...report, outcomes: [...report.outcomes, ...refused, ...problems, ...skipped] }, 'event');
      }
    }
  };

  function failedListing(err: unknown, what: string): Report {
    const report: Report = {
      outcomes: [],
      errors: [{ code: 'ListingFailed', message: `${what}: ${errorMessage(err)}` }],
    };
    if (isTransient(err)) throw new TransientFailure(`${what} failed transiently: ${errorMessage(err)}`, report);
    return finish(bot, report, what);
  }
}

function transient(err: unknown, lookup: Lookup): TransientFailure {
  return new TransientFailure(`resolving ${lookup.kind} failed transiently: ${errorMessage(err)}`, { outcomes: [] });
}

function lookupFailed(lookup: Lookup, err: unknown): Outcome {
  return {
    status: 'failed',
    resource: {
      cloud: 'aws',
      partition: 'aws',
      account: lookup.account,
      region: lookup.region,
      type: 'AWS::::Account',
      id: `arn:aws:iam::${lookup.account}:root`,
      name: lookup.account,
    },
    trigger: lookup.trigger,
    reason: `could not resolve ${lookup.kind}: ${errorMessage(err)}`,
  };
}

function accountRefOf(sweep: { account: string; region: string }) {
  return awsRefs.account(sweep.account, sweep.region, partitionOf(sweep.region));
}

function lookupEmpty(lookup: Lookup): Outcome {
  const what = lookup.kind === 'security-group-by-name' ? `security group named ${lookup.groupName}` : lookup.kind;
  return {
    status: 'ignored',
    resource: {
      cloud: 'aws',
      partition: 'aws',
      account: lookup.account,
      region: lookup.region,
      type: 'AWS::::Account',
      id: `arn:aws:iam::${lookup.account}:root`,
      name: lookup.account,
    },
    trigger: lookup.trigger,
    reason: `no ${what} found in ${lookup.region}`,
  };
}

function dedupe(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => !seen.has(t.ref.id) && seen.add(t.ref.id) !== undefined);
}

/** The Lambda entry point: one handler per container, built on first use. */
let shared: ReturnType<typeof createEventsHandler> | undefined;
export const handler = (event: unknown, context?: InvocationContext): Promise<Report> => {
  shared ??= createEventsHandler();
  return shared(event, context);
};
