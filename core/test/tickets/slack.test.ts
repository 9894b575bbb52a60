import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackBlock, SlackWebhookTicketSink, slackMessage } from '../../src/index.js';
import { blockKitProblems, fakeSlack, fastRetry, sampleTicket } from './fakeVendors.js';

let slack: ReturnType<typeof fakeSlack>;
let clock: number;
const make = (settings: Partial<ConstructorParameters<typeof SlackWebhookTicketSink>[0]> = {}) =>
  new SlackWebhookTicketSink(
    { webhookUrl: `${slack.server.url}${slack.hookPath}`, now: () => clock, ...settings },
    { retry: fastRetry().retry },
  );

beforeEach(async () => {
  clock = Date.parse('2026-11-24T12:00:00Z');
  slack = fakeSlack();
  await slack.server.start();
});
afterEach(async () => {
  expect(slack.server.problems).toEqual([]);
  await slack.server.close();
});

describe('Slack incoming webhook sink', () => {
  it('posts a Block Kit message: header, fields, a section per step with the CLI in a code block, context', async () => {
    const ticket = sampleTicket();
    const { ref } = await make().file(ticket);

    expect(ref).toBe(`slack:${ticket.dedupeKey}`);
    expect(slack.messages).toHaveLength(1);
    const msg = slack.messages[0] as { text: string; blocks: SlackBlock[] };
    expect(blockKitProblems(msg)).toEqual([]);
    expect(msg.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'section', 'context']);
    const fields = (msg.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toEqual([
      '*Resource*\n`arn:aws:s3:::acme-public-logs`',
      '*Rule*\npublicStorage',
      '*Severity*\nhigh',
      '*Actor*\narn:aws:iam::123456789012:user/alice',
    ]);
    const step = (msg.blocks[3] as { text: { text: string } }).text.text;
    expect(step).toMatch(
      /^\*1\. Turn on Block Public Access for the bucket\*\n```aws s3api put-public-access-block --bucket acme-public-logs .*```$/,
    );
    const request = slack.server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toMatch(/^application\/json/);
  });

  it('escapes mrkdwn control characters and stays within Block Kit limits for huge tickets', () => {
    const ticket = sampleTicket();
    const steps = Array.from({ length: 80 }, (_, i) => ({
      ...ticket.steps[0]!,
      summary: `step <${i}> & more`,
      cli: 'x'.repeat(5000),
    }));
    const msg = slackMessage({
      ...ticket,
      title: 'T'.repeat(400),
      steps,
      finding: { ...ticket.finding, evidence: ['<!channel> & co'] },
    });
    expect(blockKitProblems(msg)).toEqual([]);
    expect(JSON.stringify(msg)).not.toContain('<!channel>');
    expect(JSON.stringify(msg)).toContain('&lt;!channel&gt; &amp; co');
  });

  it('does not re-post a recurrence within the quiet window, then posts again after it', async () => {
    const sink = make({ quietMinutes: 60 });
    const ticket = sampleTicket();
    await sink.file(ticket);
    clock += 10 * 60_000;
    await sink.file(ticket);
    expect(slack.messages).toHaveLength(1);
    clock += 60 * 60_000;
    await sink.file(ticket);
    expect(slack.messages).toHaveLength(2);
  });

  it('resolve posts a short message only for what this process posted', async () => {
    const sink = make();
    const ticket = sampleTicket();
    expect(await sink.resolve(ticket.dedupeKey, 'fixed')).toBeNull();
    expect(slack.server.requests).toHaveLength(0);

    await sink.file(ticket);
    const resolved = await sink.resolve(
      ticket.dedupeKey,
      'Fixed by Reflex: Turn on Block Public Access for the bucket',
    );
    expect(resolved).toEqual({ ref: `slack:${ticket.dedupeKey}` });
    expect(slack.messages).toHaveLength(2);
    const text = JSON.stringify(slack.messages[1]);
    expect(text).toContain('Resolved');
    expect(text).toContain('Fixed by Reflex: Turn on Block Public Access for the bucket');
    // Resolved once: a second resolve does nothing.
    expect(await sink.resolve(ticket.dedupeKey, 'fixed')).toBeNull();
    expect(slack.messages).toHaveLength(2);
  });

  it('resolve: never posts nothing', async () => {
    const sink = make({ resolve: 'never' });
    const ticket = sampleTicket();
    await sink.file(ticket);
    expect(await sink.resolve(ticket.dedupeKey, 'fixed')).toBeNull();
    expect(slack.messages).toHaveLength(1);
  });
});
