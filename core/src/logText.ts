/**
 * The one bound on text Reflex logs or reports. Every string that reaches a log line, an outcome's reason or an
 * error message can come from an attacker (a 1 MB resource name, a 450 KB reason, an SDK error echoing either):
 * past this many characters it is cut, saying how much was left out.
 */
export const MAX_LOGGED_CHARS = 2048;

export function bounded(text: string, max = MAX_LOGGED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** A copy of a log entry with every string in it bounded (objects and arrays walked; cycles left as they are). */
export function boundedDeep<T>(value: T, max = MAX_LOGGED_CHARS, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return bounded(value, max) as T;
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => boundedDeep(v, max, seen)) as T;
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[bounded(k, max)] = boundedDeep(v, max, seen);
  return out as T;
}
