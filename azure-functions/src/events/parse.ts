import type { Target, Trigger } from '@reflex/core';
import { callerOf } from './caller.js';
import { asObject, asString, deliveryItems, type GridEvent, readEnvelope } from './envelope.js';
import { governedResource, rulesForChange } from './governed.js';
import { rulesForPolicyDefinition } from './policyDefinitions.js';

/** What one delivered event means for Reflex. */
export type EventVerdict =
  | { kind: 'targets'; eventId: string; eventType: string; targets: Target[] }
  | { kind: 'ignored'; eventId: string; eventType: string; reason: string }
  | { kind: 'validation'; eventId: string; eventType: string; validationCode: string; validationUrl?: string };

const WRITE_SUCCESS = 'microsoft.resources.resourcewritesuccess';
const DELETE_SUCCESS = 'microsoft.resources.resourcedeletesuccess';
const VALIDATION = 'microsoft.eventgrid.subscriptionvalidationevent';
const POLICY_STATE = new Set([
  'microsoft.policyinsights.policystatecreated',
  'microsoft.policyinsights.policystatechanged',
]);

/** Parses a delivery (array, single event, either schema) into one verdict per event. Never throws. */
export function parseDelivery(body: unknown): EventVerdict[] {
  return deliveryItems(body).map((item) => {
    const env = readEnvelope(item);
    if (!env.ok) return { kind: 'ignored', eventId: env.id, eventType: '', reason: env.reason };
    try {
      return verdictFor(env.event);
    } catch (err) {
      // A shape we did not foresee is reported, never thrown: a throw would make Event Grid redeliver forever.
      return {
        kind: 'ignored',
        eventId: env.event.id,
        eventType: env.event.type,
        reason: `unreadable event: ${String(err)}`,
      };
    }
  });
}

function verdictFor(e: GridEvent): EventVerdict {
  const type = e.type.toLowerCase();
  const ignore = (reason: string): EventVerdict => ({ kind: 'ignored', eventId: e.id, eventType: e.type, reason });
  if (type === VALIDATION) {
    const code = asString(e.data['validationCode']);
    if (!code) return ignore('subscription validation event without a validationCode');
    const url = asString(e.data['validationUrl']);
    return {
      kind: 'validation',
      eventId: e.id,
      eventType: e.type,
      validationCode: code,
      ...(url ? { validationUrl: url } : {}),
    };
  }
  if (type === WRITE_SUCCESS || type === DELETE_SUCCESS) return resourceEvent(e, type === DELETE_SUCCESS, ignore);
  if (POLICY_STATE.has(type)) return policyStateEvent(e, ignore);
  if (type.startsWith('microsoft.resources.resource')) {
    return ignore(`${e.type}: failed, cancelled and action events change nothing Reflex needs to re-read`);
  }
  if (type === 'microsoft.policyinsights.policystatedeleted')
    return ignore(`${e.type}: the resource or assignment is gone`);
  return ignore(`${e.type} is not an event type Reflex handles`);
}

function trigger(e: GridEvent, source: Trigger['source'], extra: Partial<Trigger> = {}): Trigger {
  return { source, eventId: e.id, eventName: e.type, ...(e.time ? { eventTime: e.time } : {}), ...extra };
}

function resourceEvent(e: GridEvent, isDelete: boolean, ignore: (r: string) => EventVerdict): EventVerdict {
  const d = e.data;
  const written = asString(d['resourceUri']) ?? asString(asObject(d['authorization'])?.['scope']) ?? e.subject;
  const operation = asString(d['operationName']) ?? asString(asObject(d['authorization'])?.['action']) ?? '';
  // Tags written through the Tags API (Tag Contributor's way) land on `<resource>/providers/Microsoft.Resources/
  // tags/default`: the resource is judged on every rule, and the caller is who set its tags (an exemption among them).
  const tagScope = /^(.+)\/providers\/microsoft\.resources\/tags\/default$/i.exec(written ?? '');
  const uri = tagScope ? tagScope[1]! : written;
  // Published samples have carried failure data inside success-typed events: trust a stated failure.
  const status = asString(d['status']);
  if (status && !/^succeeded$/i.test(status)) return ignore(`${e.type} with status ${status}: nothing was written`);
  // Deleting a diagnostic setting or a flow log turns logging off; any other delete removes what would be fixed.
  const turnsLoggingOff =
    /\/providers\/microsoft\.insights\/diagnosticsettings\//i.test(uri) ||
    /\/providers\/microsoft\.network\/networkwatchers\/[^/]+\/flowlogs\//i.test(uri);
  if (isDelete && !turnsLoggingOff) return ignore(`${e.type}: the resource was deleted, nothing to fix`);
  if (!uri) return ignore(`${e.type} names no resource`);
  const governed = governedResource(uri);
  if (!governed.ok) return ignore(governed.reason);
  const caller = callerOf(d);
  // The method ARM was called with: a PATCH updates, only a PUT can create (see rulesForChange).
  const rules = tagScope ? undefined : rulesForChange(uri, asString(asObject(d['httpRequest'])?.['method']));
  return {
    kind: 'targets',
    eventId: e.id,
    eventType: e.type,
    targets: [
      {
        ref: governed.ref,
        trigger: trigger(e, 'eventgrid', {
          ...caller,
          ...(operation ? { eventName: operation } : {}),
          ...(tagScope ? { tagsWritten: 'all' as const } : {}),
        }),
        ...(rules ? { rules } : {}),
      },
    ],
  };
}

function policyStateEvent(e: GridEvent, ignore: (r: string) => EventVerdict): EventVerdict {
  const d = e.data;
  const state = asString(d['complianceState']) ?? '';
  if (!/^noncompliant$/i.test(state)) return ignore(`policy state ${state || '(none)'}: nothing to fix`);
  const definitionId = asString(d['policyDefinitionId']) ?? '';
  const mapped = rulesForPolicyDefinition(definitionId);
  if (!mapped) return ignore(`policy definition ${definitionId || '(none)'} does not map to a Reflex rule`);
  const governed = governedResource(e.subject);
  if (!governed.ok) return ignore(`${mapped.displayName}: ${governed.reason}`);
  return {
    kind: 'targets',
    eventId: e.id,
    eventType: e.type,
    targets: [{ ref: governed.ref, trigger: trigger(e, 'policy'), rules: mapped.rules }],
  };
}
