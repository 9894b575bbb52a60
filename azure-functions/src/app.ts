/**
 * The Functions app (v4 programming model). Registering here and nowhere else keeps the handlers importable
 * in tests and the CLI without a host.
 *
 * The handlers (and with them the ARM SDKs, the core engine and the policy parser, ~2 MB minified) are imported
 * on the first invocation, not at module load: the host indexes the functions from a small entry, and each
 * later invocation reuses the loaded module. What the first invocation pays is measured in the README.
 */
import { app, type HttpRequest, type InvocationContext, type Timer } from '@azure/functions';

const handlers = () => import('./handlers.js');

// Resource write and policy state events from an Event Grid system topic (subscription or resource group).
app.eventGrid('reflexEvents', {
  handler: async (event: unknown, context: InvocationContext) => (await handlers()).reflexEvents(event, context),
});

// The same events for webhook subscriptions; answers the validation handshakes itself.
app.http('reflexEventsWebhook', {
  authLevel: 'function',
  methods: ['POST', 'OPTIONS'],
  route: 'events',
  handler: async (request: HttpRequest, context: InvocationContext) =>
    (await handlers()).reflexEventsWebhook(request, context),
});

// Manual remediate / contain / undo / sweep (function key).
app.http('reflexManual', {
  authLevel: 'function',
  methods: ['POST'],
  route: 'manual',
  handler: async (request: HttpRequest, context: InvocationContext) =>
    (await handlers()).reflexManual(request, context),
});

// Every six hours (NCRONTAB with seconds): catches what events missed.
app.timer('reflexSweep', {
  schedule: '0 0 */6 * * *',
  handler: async (timer: Timer, context: InvocationContext) => {
    await (await handlers()).reflexSweep(timer, context);
  },
});
