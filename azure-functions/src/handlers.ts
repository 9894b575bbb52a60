/** The handlers the app registers, in one module so the entry can import them on first use. */
export { reflexEvents, reflexEventsWebhook } from './functions/events.js';
export { reflexManual } from './functions/manual.js';
export { reflexSweep } from './functions/sweep.js';
