/**
 * Malformed events made from real ones: one field of a published sample deleted or replaced by any JSON value.
 * Closer to what goes wrong in practice (a field missing, a string where an object was) than random JSON alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Every path in the document, the root included. */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  const children: [string | number, Json][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : value && typeof value === 'object'
      ? Object.entries(value)
      : [];
  for (const [k, v] of children) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

/** A copy of `doc` with the value at `path` replaced (or deleted when `replacement` is undefined). */
function mutate(doc: Json, path: Path, replacement: Json | undefined): Json | undefined {
  if (path.length === 0) return replacement;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (replacement !== undefined) parent[last] = replacement;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return copy;
}

/** Keys parsed JSON can carry that shadow what JavaScript calls on a value: `String({"toString": 1})` throws. */
export const POISON_KEYS = ['toString', 'valueOf', '__proto__', 'constructor', 'toJSON', 'hasOwnProperty', 'length'];

/** JSON whose objects own such keys, as JSON.parse makes them (an own `__proto__`, not a prototype). */
export function poisonJson(): fc.Arbitrary<Json> {
  const leaf = fc.oneof(
    fc.constantFrom<Json>(1, 'x', null, true, [], {}),
    fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>,
  );
  const poisoned = fc
    .tuple(
      fc.uniqueArray(fc.constantFrom(...POISON_KEYS), { minLength: 1, maxLength: 3 }),
      fc.array(leaf, { minLength: 3, maxLength: 3 }),
    )
    .map(
      ([keys, values]) =>
        JSON.parse(`{${keys.map((k, i) => `${JSON.stringify(k)}:${JSON.stringify(values[i])}`).join(',')}}`) as Json,
    );
  // Also where parsers look inside: a list of them, an `items` list of them.
  return fc.oneof(
    poisoned,
    poisoned.map((p) => [p]),
    poisoned.map((p) => ({ items: [p] })),
  );
}

export interface Mutant {
  sample: string;
  path: string;
  event: unknown;
}

/** One of `samples` (name → parsed JSON) with one value deleted or replaced. */
export function mutantOf(samples: Record<string, unknown>): fc.Arbitrary<Mutant> {
  const names = Object.keys(samples);
  return fc
    .record({
      sample: fc.constantFrom(...names),
      at: fc.nat(),
      replacement: fc.option(fc.oneof({ arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 4 }, poisonJson()), {
        nil: undefined,
      }),
    })
    .map(({ sample, at, replacement }) => {
      const doc = samples[sample] as Json;
      const paths = pathsOf(doc);
      const path = paths[at % paths.length]!;
      return {
        sample,
        path: path.join('.') || '(root)',
        event: mutate(doc, path, replacement as Json | undefined),
      };
    });
}

/**
 * The published Azure samples (test/fixtures/events/azure) with their placeholders pointed at one storage account,
 * and a policy event's definition at a built-in Reflex maps: unbroken, they name that account.
 */
export function azureSamples(at: {
  subscription: string;
  resourceGroup: string;
  account: string;
}): Record<string, unknown> {
  const dir = new URL('./fixtures/events/azure/', import.meta.url);
  const real: [string, string][] = [
    ['{subscription-id}', at.subscription],
    ['<subscription-id>', at.subscription],
    ['<SubscriptionID>', at.subscription],
    ['{resource-group}', at.resourceGroup],
    ['<ResourceGroup>', at.resourceGroup],
    ['{storage-name}', at.account],
    ['<ResourceName>', at.account],
    ['<ProviderNamespace>', 'Microsoft.Storage'],
    ['<ResourceType>', 'storageAccounts'],
    ['<policy-definition-scope>/', '/'],
    // "Storage account public access should be disallowed".
    ['<policy-definition-name>', '4fa4b6c0-31ca-4c0d-b10d-24b96f62a751'],
  ];
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const text = real.reduce((t, [from, to]) => t.replaceAll(from, to), readFileSync(new URL(f, dir), 'utf8'));
        return [f, JSON.parse(text) as unknown];
      }),
  );
}
