import { randomUUID } from 'node:crypto';
import {
  awsRefs,
  errorMessage,
  handleTargets,
  type ManualRequest,
  type Outcome,
  PolicyError,
  parseManualRequest,
  ReflexError,
  type Report,
  type ResourceRef,
  refFromArn,
  type Trigger,
} from '@reflex/core';
import { defaultRegion } from '../clients.js';
import { isTransient } from '../errors.js';
import { sweepTargets } from '../sweep.js';
import {
  accountOf,
  type BotDeps,
  createBot,
  finish,
  type InvocationContext,
  invalidPolicyReport,
  TransientFailure,
} from './bot.js';

/**
 * Direct invocation: `{ action: 'remediate' | 'sweep', resource, dryRun?, reason?, rules? }`.
 * `contain` and `undo` answer with a clear `failed` outcome until they are built.
 */
export function createManualHandler(deps: BotDeps = {}) {
  const bot = createBot(deps);
  return async function handleManual(input: unknown, context?: InvocationContext): Promise<Report> {
    const policy = bot.policy();
    if (policy instanceof PolicyError) return finish(bot, invalidPolicyReport(policy), 'invalid policy');
    let request: ManualRequest;
    try {
      request = parseManualRequest(input);
    } catch (err) {
      const code = err instanceof ReflexError ? err.code : 'MalformedEvent';
      return finish(bot, { outcomes: [], errors: [{ code, message: errorMessage(err) }] }, 'invalid request');
    }
    const account = accountOf(context, bot.account);
    const region = defaultRegion();
    const eventId = `manual-${context?.awsRequestId ?? randomUUID()}`;
    const trigger: Trigger = {
      source: 'manual',
      eventId,
      eventName: request.action,
      ...(request.reason || request.requestedBy
        ? {
            reason: [request.reason, request.requestedBy && `requested by ${request.requestedBy}`]
              .filter(Boolean)
              .join('; '),
          }
        : {}),
      ...(request.dryRun ? { dryRun: true } : {}),
    };
    // Without the ledger: a person asked, so the request runs even if an identical one ran before.
    const ports = { ...bot.ports, ledger: undefined };

    let ref: ResourceRef | undefined;
    if (request.resource) {
      try {
        ref = refFromArn(request.resource, { account, region });
      } catch (err) {
        return finish(
          bot,
          { outcomes: [], errors: [{ code: 'MalformedResourceId', message: errorMessage(err) }] },
          'invalid resource',
        );
      }
    }

    switch (request.action) {
      case 'remediate': {
        const target = { ref: ref!, trigger, ...(request.rules ? { rules: request.rules } : {}) };
        return finish(bot, await handleTargets(eventId, [target], policy, ports, bot.concurrency), 'manual remediate');
      }
      case 'sweep': {
        const sweepAccount = ref?.account || account;
        const sweepRegion = ref?.region || region;
        if (!sweepAccount)
          return finish(
            bot,
            {
              outcomes: [],
              errors: [
                {
                  code: 'MissingAccount',
                  message: 'sweep needs the account: invoke through Lambda or name an account resource',
                },
              ],
            },
            'manual sweep',
          );
        try {
          const targets = await sweepTargets(bot.clients(sweepRegion), sweepAccount, sweepRegion, {
            ...trigger,
            source: 'manual',
          });
          return finish(bot, await handleTargets(eventId, targets, policy, ports, bot.concurrency), 'manual sweep');
        } catch (err) {
          if (isTransient(err) && !(err instanceof TransientFailure))
            throw new TransientFailure(`sweep listing failed transiently: ${errorMessage(err)}`, { outcomes: [] });
          throw err;
        }
      }
      default: {
        const resource = ref ?? awsRefs.account(account || '000000000000', region);
        const outcome: Outcome = {
          status: 'failed',
          resource,
          trigger,
          reason: `action ${request.action} is not supported by the AWS bot yet; nothing was changed`,
        };
        return finish(bot, { outcomes: [outcome] }, `manual ${request.action}`);
      }
    }
  };
}

let shared: ReturnType<typeof createManualHandler> | undefined;
export const handler = (event: unknown, context?: InvocationContext): Promise<Report> => {
  shared ??= createManualHandler();
  return shared(event, context);
};
