import type { TicketSink } from '../sinks.js';
import type { Ticket } from '../ticket.js';
import { HttpClient, type HttpOptions } from './http.js';
import { truncate } from './render.js';

export interface SlackSettings {
  /** The incoming webhook URL (a secret: it is the only credential). */
  webhookUrl: string;
  /**
   * Slack cannot look a message up or close it. `filed`: resolve posts a short "resolved" reply only for keys this
   * process posted (a warm function instance); `never`: resolve does nothing.
   */
  resolve?: 'filed' | 'never';
  /** A recurrence of a key this process already posted within this window is not posted again (0: always post). */
  quietMinutes?: number;
  credentialsHint?: string;
  now?: () => number;
}

/** U+2060 WORD JOINER: invisible, and breaks what a client might still link (`@name`, `http://`, `www.`). */
const JOIN = '\u2060';
/**
 * Text from the resource or the event, for mrkdwn: `&`, `<`, `>` escaped as Slack asks (no `<!channel>`, `<@U..>`
 * or `<url|label>` from an attacker), then links and mentions defused. Every mrkdwn object is also `verbatim`, so
 * Slack does not auto-link URLs, channel names or mentions in it.
 */
const esc = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, `${JOIN}@${JOIN}`)
    // No code block opened from inside: adjacent backticks split.
    .replace(/`(?=`)/g, `\`${JOIN}`)
    .replace(/:\/\//g, `:${JOIN}//`)
    .replace(/www\./gi, (m) => `${m.slice(0, 3)}${JOIN}.`);
/**
 * A code block. Slack ends one at the next three backticks, so runs of backticks in the text are split by invisible
 * joiners: the characters stay (a pasted command keeps its quoting), the block cannot be closed from inside.
 */
const fence = (s: string) =>
  `\`\`\`${s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`(?=`)/g, `\`${JOIN}`)}\`\`\``;
const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text, verbatim: true });
const MAX_STEPS = 40;

type MrkdwnText = { type: 'mrkdwn'; text: string; verbatim?: boolean };

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji?: boolean } }
  | { type: 'section'; text?: MrkdwnText; fields?: MrkdwnText[] }
  | { type: 'context'; elements: MrkdwnText[] }
  | { type: 'divider' };

/** The Block Kit message for a ticket. */
export function slackMessage(t: Ticket): { text: string; blocks: SlackBlock[] } {
  const field = (label: string, value: string) => mrkdwn(truncate(`*${label}*\n${value}`, 2000));
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(t.title, 150), emoji: false } },
    {
      type: 'section',
      fields: [
        field('Resource', `\`${esc(t.resource.id)}\``),
        field('Rule', esc(t.rule)),
        field('Severity', esc(t.severity)),
        field('Actor', esc(t.trigger.actor ?? 'unknown')),
      ],
    },
    {
      type: 'section',
      text: mrkdwn(
        truncate(
          [
            `*${esc(t.finding.title)}*`,
            ...t.finding.evidence.map((e) => `• ${esc(e)}`),
            `_Not fixed automatically:_ ${esc(t.reason)}`,
          ].join('\n'),
          3000,
        ),
      ),
    },
  ];
  const steps = t.steps.slice(0, MAX_STEPS);
  steps.forEach((s, i) => {
    blocks.push({
      type: 'section',
      text: mrkdwn(truncate(`*${i + 1}. ${esc(s.summary)}*\n${fence(s.cli)}`, 3000)),
    });
  });
  blocks.push({
    type: 'section',
    text: mrkdwn(truncate(`*Apply:* ${fence(t.howToApply)}\n*Exempt:* ${fence(t.howToExempt)}`, 3000)),
  });
  const more = t.steps.length > steps.length ? ` · ${t.steps.length - steps.length} more steps not shown` : '';
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        truncate(
          `Reflex · ${esc(t.trigger.source)} event \`${esc(t.trigger.eventId)}\` · ${esc(t.createdAt)} · key \`${t.dedupeKey}\`${more}`,
          3000,
        ),
      ),
    ],
  });
  // The notification text is mrkdwn too.
  return { text: truncate(esc(`${t.title}: ${t.resource.id}`), 3000), blocks };
}

/**
 * Slack incoming webhook. A notification channel, not a tracker: it cannot find, comment on or close a message.
 * Every new key is posted; a recurrence this process already posted within `quietMinutes` is not re-posted; `resolve`
 * posts a short "resolved" message only for keys this process posted (see `SlackSettings.resolve`).
 */
export class SlackWebhookTicketSink implements TicketSink {
  private readonly http: HttpClient;
  /** dedupe key → when this process last posted it. */
  private readonly posted = new Map<string, { at: number; title: string; resource: string }>();
  private readonly now: () => number;

  constructor(
    private readonly settings: SlackSettings,
    options: HttpOptions = {},
  ) {
    this.http = new HttpClient('slack', options, settings.credentialsHint);
    this.now = settings.now ?? Date.now;
  }

  private async post(body: unknown): Promise<void> {
    await this.http.send({ method: 'POST', url: this.settings.webhookUrl, body, what: 'POST incoming webhook' });
  }

  async file(t: Ticket): Promise<{ ref?: string }> {
    const quietMs = (this.settings.quietMinutes ?? 60) * 60_000;
    const last = this.posted.get(t.dedupeKey);
    if (last && this.now() - last.at < quietMs) return { ref: `slack:${t.dedupeKey}` };
    await this.post(slackMessage(t));
    this.posted.set(t.dedupeKey, { at: this.now(), title: t.title, resource: t.resource.id });
    return { ref: `slack:${t.dedupeKey}` };
  }

  async resolve(dedupeKey: string, note: string): Promise<{ ref?: string } | null> {
    if ((this.settings.resolve ?? 'filed') === 'never') return null;
    const posted = this.posted.get(dedupeKey);
    if (!posted) return null;
    const line = `:white_check_mark: Resolved: ${esc(posted.title)} (\`${esc(posted.resource)}\`)`;
    await this.post({
      text: truncate(esc(`Resolved: ${posted.title}: ${note}`), 3000),
      blocks: [
        { type: 'section', text: mrkdwn(truncate(`${line}\n${esc(note)}`, 3000)) },
        { type: 'context', elements: [mrkdwn(`Reflex · key \`${dedupeKey}\``)] },
      ] satisfies SlackBlock[],
    });
    this.posted.delete(dedupeKey);
    return { ref: `slack:${dedupeKey}` };
  }
}
