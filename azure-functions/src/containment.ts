/** What every Azure containment shares: the tag that marks a contained resource, and the note it carries. */

/** Tag set on a contained resource; its value says when, which containment, who and why. */
export const CONTAINED_TAG = 'reflex:contained';

/** Azure tag values hold at most 256 characters. */
const TAG_VALUE_MAX = 256;

/** Who asked for a containment and why; the manual function passes it to the adapter for the request. */
export interface ContainmentNote {
  reason: string;
  actor?: string;
}

/** `2025-01-02T03:04:05.000Z con-abc: INC-42 (alice@example.com)`, cut to what a tag value holds. */
export function containedTagValue(at: Date, stepId: string, note: ContainmentNote | undefined): string {
  const remediationId = stepId.replace(/\.\d+$/, '');
  const why = note ? `${note.reason}${note.actor ? ` (${note.actor})` : ''}` : 'no reason given';
  return `${at.toISOString()} ${remediationId}: ${why}`.slice(0, TAG_VALUE_MAX);
}

/** Tags with the containment tag set, every other tag kept (tag PATCHes replace the whole set). */
export function withContainedTag(tags: Record<string, string> | undefined, value: string): Record<string, string> {
  return { ...(tags ?? {}), [CONTAINED_TAG]: value };
}

/** Tags without the containment tag, or with the value it had before. */
export function withoutContainedTag(
  tags: Record<string, string> | undefined,
  before: string | null | undefined,
): Record<string, string> {
  const out = { ...(tags ?? {}) };
  delete out[CONTAINED_TAG];
  if (typeof before === 'string') out[CONTAINED_TAG] = before;
  return out;
}

/** `a: x (Reflex wrote y)` lines for the fields whose current value is not what a step wrote. */
export function differencesFrom(
  what: string,
  current: Record<string, unknown>,
  wrote: Record<string, unknown>,
): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(wrote)) {
    if (!sameValue(current[key], value)) {
      out.push(`${what}: ${key} is ${show(current[key])} (Reflex wrote ${show(value)})`);
    }
  }
  return out;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(v: unknown): unknown {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, normalize(x)]),
    );
  }
  return v;
}

export function show(v: unknown): string {
  return v === undefined || v === null ? '(not set)' : JSON.stringify(v);
}
