/** Reading untrusted event JSON without `any`: every accessor answers undefined for the wrong shape. */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function obj(value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** XML-derived JSON has one element as an object and several as an array: always a list. */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

/** EC2 CloudTrail lists come as `{ items: [...] }` (console, SDK) or as plain arrays. */
export function items(value: unknown): unknown[] {
  const o = obj(value);
  if (o && 'items' in o) return list(o.items);
  if (o && Object.keys(o).length === 0) return [];
  return list(value);
}

/**
 * A scalar as text: strings, finite numbers and booleans; undefined for anything else. `String(x)` on parsed JSON
 * can throw (`{"toString": 1}` has no callable toString), so event values are never converted any other way.
 */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  return undefined;
}
