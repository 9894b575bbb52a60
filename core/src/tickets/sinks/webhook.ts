import { createHmac } from 'node:crypto';
import type { TicketSink } from '../sinks.js';
import type { Ticket } from '../ticket.js';
import { HttpClient, type HttpOptions } from './http.js';

export interface WebhookSettings {
  url: string;
  /** The HMAC-SHA256 key. */
  secret: string;
  /**
   * `filed`: a resolution is sent only for keys this process sent (cheap: no request otherwise); `always`: for every
   * fixed or compliant finding (the receiver sorts it out; noisy on sweeps); `never`.
   */
  resolve?: 'filed' | 'always' | 'never';
  credentialsHint?: string;
  now?: () => number;
}

export type WebhookPayload =
  | { kind: 'reflex.ticket'; ticket: Ticket }
  | { kind: 'reflex.ticket.resolved'; ticket: { dedupeKey: string; note: string; resolvedAt: string } };

/**
 * The signature scheme: `X-Reflex-Timestamp` is Unix seconds; `X-Reflex-Signature` is
 * `sha256=` + hex(HMAC-SHA256(secret, timestamp + "." + raw body)). A receiver recomputes it over the raw bytes,
 * compares in constant time, and rejects timestamps more than a few minutes old (replays).
 */
export function signWebhook(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
}

/**
 * A generic webhook: POSTs `{ kind, ticket }` as JSON, signed (see `signWebhook`), with `Idempotency-Key` = dedupe key
 * (`<key>:resolved` for a resolution) so a receiver can keep one ticket per key. A recurrence is sent again with the
 * same key; the receiver decides. Each retry is re-signed with a fresh timestamp.
 */
export class WebhookTicketSink implements TicketSink {
  private readonly http: HttpClient;
  private readonly sent = new Set<string>();
  private readonly now: () => number;

  constructor(
    private readonly settings: WebhookSettings,
    options: HttpOptions = {},
  ) {
    this.http = new HttpClient('webhook', options, settings.credentialsHint);
    this.now = settings.now ?? Date.now;
  }

  private async post(payload: WebhookPayload, idempotencyKey: string): Promise<string | undefined> {
    const res = await this.http.send({
      method: 'POST',
      url: this.settings.url,
      body: JSON.stringify(payload),
      what: `POST ${payload.kind}`,
      headers: { 'idempotency-key': idempotencyKey, 'x-reflex-event': payload.kind },
      headersPerAttempt: (raw) => {
        const timestamp = Math.floor(this.now() / 1000).toString();
        return {
          'x-reflex-timestamp': timestamp,
          'x-reflex-signature': signWebhook(this.settings.secret, timestamp, raw ?? ''),
        };
      },
    });
    const ref = (res.json as { ref?: unknown } | undefined)?.ref;
    return typeof ref === 'string' && ref ? ref : undefined;
  }

  async file(ticket: Ticket): Promise<{ ref?: string }> {
    const ref = await this.post({ kind: 'reflex.ticket', ticket }, ticket.dedupeKey);
    this.sent.add(ticket.dedupeKey);
    return { ref: ref ?? `webhook:${ticket.dedupeKey}` };
  }

  async resolve(dedupeKey: string, note: string): Promise<{ ref?: string } | null> {
    const mode = this.settings.resolve ?? 'filed';
    if (mode === 'never' || (mode === 'filed' && !this.sent.has(dedupeKey))) return null;
    const resolvedAt = new Date(this.now()).toISOString();
    const ref = await this.post(
      { kind: 'reflex.ticket.resolved', ticket: { dedupeKey, note, resolvedAt } },
      `${dedupeKey}:resolved`,
    );
    this.sent.delete(dedupeKey);
    return { ref: ref ?? `webhook:${dedupeKey}` };
  }
}
