/**
 * The Functions app (v4 programming model). Registering here and nowhere else keeps the handlers importable
 * in tests and the CLI without a host.
 */
import { app } from '@azure/functions';
import { reflexEvents, reflexEventsWebhook } from './functions/events.js';
import { reflexManual } from './functions/manual.js';
import { reflexSweep } from './functions/sweep.js';

// Resource write and policy state events from an Event Grid system topic (subscription or resource group).
app.eventGrid('reflexEvents', { handler: reflexEvents });

// The same events for webhook subscriptions; answers the validation handshakes itself.
app.http('reflexEventsWebhook', {
  authLevel: 'function',
  methods: ['POST', 'OPTIONS'],
  route: 'events',
  handler: reflexEventsWebhook,
});

app.http('reflexManual', { authLevel: 'function', methods: ['POST'], route: 'manual', handler: reflexManual });

// Every six hours (NCRONTAB with seconds): catches what events missed.
app.timer('reflexSweep', { schedule: '0 0 */6 * * *', handler: reflexSweep });
