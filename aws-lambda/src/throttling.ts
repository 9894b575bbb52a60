/**
 * Which SDK clients were throttled lately. A client's retry quota (the SDK's standard strategy: 500 tokens, 5 per
 * throttled retry, paid back on success) is held by every call waiting out its backoff, so under sustained
 * throttling many calls in flight at once drain it and later calls fail without a retry. Readers that fan out
 * (a bucket's seven facets) send fewer calls at once while their client has been throttled recently.
 */
import { isThrottling } from './errors.js';

/** How long one throttled answer keeps a client "under pressure". */
const PRESSURE_MS = 20_000;
const lastThrottled = new WeakMap<object, number>();

/** The SDK's `middlewareStack.add`, as far as it is used here (its overloads do not narrow to one step). */
interface Stack {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
    options: { step: 'finalizeRequest'; priority: 'low'; name: string },
  ): void;
}

/**
 * Notes each throttled attempt of the client's calls (the middleware sits inside the retry middleware, so it sees
 * every attempt, not only the last).
 */
export function watchThrottling(client: { middlewareStack: object }): void {
  (client.middlewareStack as Stack).add(
    (next) => (args) =>
      next(args).catch((err: unknown) => {
        if (isThrottling(err)) lastThrottled.set(client, Date.now());
        throw err;
      }),
    { step: 'finalizeRequest', priority: 'low', name: 'reflexThrottlingWatch' },
  );
}

/** Was this client throttled in the last few seconds? */
export function underPressure(client: object): boolean {
  const at = lastThrottled.get(client);
  return at !== undefined && Date.now() - at < PRESSURE_MS;
}
