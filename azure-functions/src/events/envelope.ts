/**
 * One Event Grid delivery item, whichever schema the subscription uses. Event Grid schema items carry
 * `eventType`/`eventTime`/`topic`; CloudEvents 1.0 items carry `type`/`time`/`source`/`specversion`.
 * Published samples spell the version attribute in several ways, so any casing of `specversion` (and
 * the 0.1 `cloudEventsVersion`) is accepted.
 */
export interface GridEvent {
  schema: 'eventgrid' | 'cloudevents';
  id: string;
  type: string;
  subject: string;
  /** Event Grid `topic` or CloudEvents `source`. */
  source: string;
  time?: string;
  data: Record<string, unknown>;
}

export type Envelope = { ok: true; event: GridEvent } | { ok: false; id: string; reason: string };

export function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** The attribute value whose name matches case-insensitively (CloudEvents attributes are lower case by spec). */
function attribute(o: Record<string, unknown>, ...names: string[]): unknown {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const key = Object.keys(o).find((k) => wanted.has(k.toLowerCase()));
  return key === undefined ? undefined : o[key];
}

/** Event Grid posts arrays; a single event, a JSON string, or a `{ events: [...] }` wrapper are accepted too. */
export function deliveryItems(body: unknown): unknown[] {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return [value];
    }
  }
  if (Array.isArray(value)) return value;
  const wrapped = asObject(value)?.['events'];
  if (Array.isArray(wrapped)) return wrapped;
  return [value];
}

export function readEnvelope(item: unknown): Envelope {
  const o = asObject(item);
  if (!o) return { ok: false, id: '', reason: 'not an event: expected a JSON object' };
  const id = asString(attribute(o, 'id')) ?? '';
  const eventType = asString(attribute(o, 'eventType'));
  const ceVersion = attribute(o, 'specversion', 'spec_version', 'cloudEventsVersion');
  const ceType = asString(o['type']);
  const schema = eventType
    ? 'eventgrid'
    : ceType && (ceVersion !== undefined || 'source' in o)
      ? 'cloudevents'
      : undefined;
  if (!schema)
    return { ok: false, id, reason: 'neither an Event Grid event (eventType) nor a CloudEvent (type, source)' };
  if (!id) return { ok: false, id, reason: 'event has no id' };
  let data = attribute(o, 'data');
  // Some producers put the data in as a JSON string.
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      // left as is: the parser reports what is missing
    }
  }
  const time = asString(attribute(o, schema === 'eventgrid' ? 'eventTime' : 'time'));
  return {
    ok: true,
    event: {
      schema,
      id,
      type: (schema === 'eventgrid' ? eventType : ceType)!,
      subject: asString(attribute(o, 'subject')) ?? '',
      source: asString(attribute(o, schema === 'eventgrid' ? 'topic' : 'source')) ?? asString(o['topic']) ?? '',
      ...(time ? { time } : {}),
      data: asObject(data) ?? {},
    },
  };
}
