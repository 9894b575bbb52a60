/**
 * The open-NSG-rule fix is read → write → verify: when the verifying GET shows the write settled, the fix is
 * verified without polling the write's operation (depth 3, three calls); otherwise the bot polls it to its end. The
 * emulator applies a write at once; how ARM answers mid-operation (a rule in Deleting / Updating, a Failed
 * operation) is played by a client-side policy that rewrites what the bot sees, after the emulator validated it.
 */
import type { SecurityRule } from '@azure/arm-network';
import type { PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { reflexEvents } from '@reflex/azure';
import type { Report } from '@reflex/core';
import type { AdditionalPolicyConfig, ArmEmulator, RecordedCall } from '@reflex/sim';
import { describe, expect, it } from 'vitest';
import { criticalPath } from '../../bench/stats.js';
import { CallLog, timingPolicy } from '../../bench/timing.js';
import { BOT, botOnEmulator, context, humanClients, inbound, nsgWith as nsgIn, RG, useEmulator } from './harness.js';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

const ssh = () => inbound('ssh', 100, { sourceAddressPrefix: '*', destinationPortRange: '22' });

const nsgWith = (name: string, securityRules: SecurityRule[]) => nsgIn(emulator, name, securityRules);

interface RuleJson {
  name: string;
  properties: Record<string, unknown>;
}

interface Script {
  /** The first NSG GET after the rule write shows that rule mid-operation (as before in Deleting, or Updating). */
  running?: string;
  /** This poll of the write's operation (1 = first) answers Failed. */
  failPoll?: number;
}

const isPoll = (url: string) => /\/operations\/[^/?]+/i.test(url);
const isNsg = (url: string) => /\/networkSecurityGroups\/[^/?]+(\?|$)/i.test(url);

/** Rewrites the bot's view of ARM's answers as `script` says. */
function asMidOperation(script: Script): AdditionalPolicyConfig {
  const seen = new Map<string, RuleJson>();
  let wrote = false;
  let polls = 0;
  let shown = false;
  const rewrite = <T>(res: PipelineResponse, fn: (body: T) => T) => {
    res.bodyAsText = JSON.stringify(fn(JSON.parse(res.bodyAsText ?? '{}') as T));
  };
  return {
    position: 'perRetry',
    policy: {
      name: 'reflexTestMidOperation',
      async sendRequest(req: PipelineRequest, next) {
        const res = await next(req);
        if (req.method !== 'GET' && /\/securityRules\//i.test(req.url)) wrote = true;
        else if (req.method === 'GET' && isPoll(req.url) && ++polls === script.failPoll) {
          rewrite<object>(res, (b) => ({
            ...b,
            status: 'Failed',
            error: { code: 'InternalServerError', message: 'the rule could not be programmed' },
          }));
        } else if (req.method === 'GET' && isNsg(req.url) && res.status === 200) {
          rewrite<{ properties: { securityRules: RuleJson[] } }>(res, (nsg) => {
            const rules = nsg.properties.securityRules;
            if (!wrote) for (const r of rules) seen.set(r.name, r);
            const name = script.running;
            if (!wrote || shown || !name) return nsg;
            shown = true;
            const now = rules.find((r) => r.name === name);
            const was = seen.get(name)!;
            if (now) now.properties['provisioningState'] = 'Updating';
            else rules.push({ ...was, properties: { ...was.properties, provisioningState: 'Deleting' } });
            return nsg;
          });
        }
        return res;
      },
    },
  };
}

/** The bot's calls in the emulator's log: `GET nsg`, `DELETE rule`, `GET poll:InProgress`. */
function botCalls(): string[] {
  const what = (c: RecordedCall) =>
    isPoll(c.path)
      ? `poll:${(c.responseBody as { status?: string }).status}`
      : /\/securityRules\//i.test(c.path)
        ? 'rule'
        : 'nsg';
  return emulator
    .calls()
    .filter((c) => c.principal.oid === BOT.oid)
    .map((c) => `${c.method} ${what(c)}`);
}

const openIngress = (r: Report) => r.outcomes.find((o) => o.rule === 'openIngress')!;

async function ruleNames(name: string): Promise<string[]> {
  const nsg = await humanClients(emulator).network.networkSecurityGroups.get(RG, name);
  return (nsg.securityRules ?? []).map((r) => r.name!).sort();
}

describe('verifying an NSG rule write', () => {
  it('a delete the first GET shows done is verified there: GET → DELETE → GET, depth 3, no poll', async () => {
    const event = await nsgWith('nsg-ssh', [ssh()]);
    const log = new CallLog();
    botOnEmulator(emulator, undefined, [timingPolicy(log)]);
    const report = await reflexEvents(event.eventGrid, context());

    expect(openIngress(report).status).toBe('fixed');
    expect(await ruleNames('nsg-ssh')).toEqual([]);
    // The operation may still be running (the emulator would answer InProgress once); the GET was enough.
    expect(botCalls()).toEqual(['GET nsg', 'DELETE rule', 'GET nsg']);
    expect(criticalPath(log.take()).depth).toBe(3);
  });

  it('a delete still running at the first GET: the bot polls the operation to its end, then reads again', async () => {
    const event = await nsgWith('nsg-slow', [ssh()]);
    botOnEmulator(emulator, undefined, [asMidOperation({ running: 'ssh' })]);
    const report = await reflexEvents(event.eventGrid, context());

    expect(openIngress(report).status).toBe('fixed');
    expect(await ruleNames('nsg-slow')).toEqual([]);
    expect(botCalls()).toEqual([
      'GET nsg',
      'DELETE rule',
      'GET nsg',
      'GET poll:InProgress',
      'GET poll:Succeeded',
      'GET nsg',
    ]);
  });

  it('a rewrite still Updating at the first GET is read again once its operation is done', async () => {
    const event = await nsgWith('nsg-app', [
      inbound('app', 200, { sourceAddressPrefixes: ['10.1.0.0/16', '0.0.0.0/0'], destinationPortRange: '8080' }),
    ]);
    botOnEmulator(emulator, undefined, [asMidOperation({ running: 'app' })]);
    const report = await reflexEvents(event.eventGrid, context());

    expect(openIngress(report).status).toBe('fixed');
    const rule = await humanClients(emulator).network.securityRules.get(RG, 'nsg-app', 'app');
    expect(rule.sourceAddressPrefix).toBe('10.1.0.0/16');
    // The emulator answers an update at once (200, nothing to poll): the second GET follows directly.
    expect(botCalls()).toEqual(['GET nsg', 'PUT rule', 'GET nsg', 'GET nsg']);
  });

  it('an operation that ends Failed after the first GET showed it running is failed', async () => {
    const event = await nsgWith('nsg-fail-late', [ssh()]);
    botOnEmulator(emulator, undefined, [asMidOperation({ running: 'ssh', failPoll: 2 })]);
    const o = openIngress(await reflexEvents(event.eventGrid, context()));

    expect(o.status).toBe('failed');
    expect(o.reason).toContain('the rule could not be programmed');
    // The second poll (logged as the emulator answered it, seen as Failed) is the last call: no GET after it.
    expect(botCalls()).toEqual(['GET nsg', 'DELETE rule', 'GET nsg', 'GET poll:InProgress', 'GET poll:Succeeded']);
  });
});
