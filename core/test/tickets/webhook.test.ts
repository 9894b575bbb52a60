import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookTicketSink } from '../../src/index.js';
import { fakeWebhookReceiver, fastRetry, sampleTicket } from './fakeVendors.js';

const SECRET = 'whsec_reflex_test';
let hook: ReturnType<typeof fakeWebhookReceiver>;
const make = (resolve?: 'filed' | 'always' | 'never', secret = SECRET) =>
  new WebhookTicketSink(
    { url: `${hook.server.url}/hooks/reflex`, secret, ...(resolve ? { resolve } : {}) },
    { retry: fastRetry().retry },
  );

beforeEach(async () => {
  hook = fakeWebhookReceiver(SECRET);
  await hook.server.start();
});
afterEach(async () => {
  expect(hook.server.problems).toEqual([]);
  await hook.server.close();
});

describe('generic webhook sink', () => {
  it('POSTs { kind, ticket } signed with HMAC-SHA256 over "<timestamp>.<raw body>"', async () => {
    const ticket = sampleTicket();
    const { ref } = await make().file(ticket);

    expect(ref).toBe('WH-1');
    expect(hook.deliveries).toHaveLength(1);
    expect(hook.deliveries[0]!.kind).toBe('reflex.ticket');
    expect(hook.deliveries[0]!.idempotencyKey).toBe(ticket.dedupeKey);
    expect(hook.deliveries[0]!.body).toEqual({ kind: 'reflex.ticket', ticket: JSON.parse(JSON.stringify(ticket)) });

    // The documented scheme, recomputed here by hand.
    const req = hook.server.requests[0]!;
    const ts = req.headers['x-reflex-timestamp'] as string;
    const mac = createHmac('sha256', SECRET).update(`${ts}.${req.raw}`).digest('hex');
    expect(req.headers['x-reflex-signature']).toBe(`sha256=${mac}`);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('a wrong secret is rejected by the receiver and reported as a 401 without retries', async () => {
    await expect(make('filed', 'not-the-secret').file(sampleTicket())).rejects.toThrow(
      /^webhook: POST reflex.ticket failed: HTTP 401 Unauthorized: .*bad signature.* \(not retried\)$/,
    );
    expect(hook.server.requests).toHaveLength(1);
    expect(hook.deliveries).toHaveLength(0);
  });

  it('resolve (filed): only for keys this process sent, with its own idempotency key', async () => {
    const sink = make();
    const ticket = sampleTicket();
    expect(await sink.resolve(ticket.dedupeKey, 'fixed')).toBeNull();
    expect(hook.server.requests).toHaveLength(0);

    await sink.file(ticket);
    expect(await sink.resolve(ticket.dedupeKey, 'Fixed by Reflex: done')).toEqual({ ref: 'WH-2' });
    const resolved = hook.deliveries[1]!;
    expect(resolved.kind).toBe('reflex.ticket.resolved');
    expect(resolved.idempotencyKey).toBe(`${ticket.dedupeKey}:resolved`);
    expect(resolved.body.ticket).toMatchObject({ dedupeKey: ticket.dedupeKey, note: 'Fixed by Reflex: done' });
    expect(await sink.resolve(ticket.dedupeKey, 'again')).toBeNull();
  });

  it('resolve (always) sends even for keys it never sent; (never) sends nothing', async () => {
    const key = sampleTicket().dedupeKey;
    expect(await make('always').resolve(key, 'fixed')).toEqual({ ref: 'WH-1' });
    expect(await make('never').resolve(key, 'fixed')).toBeNull();
    expect(hook.deliveries).toHaveLength(1);
  });

  it('re-signs each retry with a fresh timestamp over the same body', async () => {
    hook.server.failNext(503, 1);
    let now = Date.now();
    const sink = new WebhookTicketSink(
      { url: `${hook.server.url}/hooks/reflex`, secret: SECRET, now: () => (now += 2000) },
      { retry: fastRetry().retry },
    );
    await sink.file(sampleTicket());
    const [first, second] = hook.server.requests;
    expect(first!.raw).toBe(second!.raw);
    expect(first!.headers['x-reflex-timestamp']).not.toBe(second!.headers['x-reflex-timestamp']);
    expect(hook.deliveries).toHaveLength(1);
  });
});
