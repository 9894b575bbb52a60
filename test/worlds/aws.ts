/**
 * What the AWS e2e world (test/e2e/aws/world.ts) and the bench world (test/bench/awsWorld.ts) share: moto's account,
 * the bot's role, untimed clients straight to moto, and fixture events rewritten for moto. Each world keeps what
 * differs: e2e puts an in-process fault proxy in front and logs calls; the bench forks its proxy into another process
 * and times its clients, so nothing here sits on the bench's measured path.
 */
import { readFileSync } from 'node:fs';
import { type AwsClients, createAwsClients } from '@reflex/aws';
import { MOTO_ACCOUNT_ID, MOTO_CREDENTIALS, MOTO_REGION } from '@reflex/sim';

export { MOTO_ACCOUNT_ID, MOTO_REGION };
export const BOT_ROLE = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/reflex-bot`;
const FIXTURES = new URL('../fixtures/events/aws/', import.meta.url);

/** Clients for arranging and asserting, straight to moto: absent resources are errors, not empty answers. */
export function directClients(endpoint: string): AwsClients {
  return createAwsClients(MOTO_REGION, { endpoint, credentials: { ...MOTO_CREDENTIALS }, absentAnswers: false });
}

/**
 * A fixture event, unchanged on disk, with ids rewritten in memory to point at moto's account and resources.
 * `replace` maps fixture values (bucket names, group ids) to the moto ones.
 */
export function fixture(name: string, replace: Record<string, string> = {}): Record<string, unknown> {
  let text = readFileSync(new URL(name, FIXTURES), 'utf8');
  // Documentation samples and constructed fixtures use 111122223333; "000000000" (9 digits) is what anonymised
  // third-party captures carry, should one be added again.
  const all: Record<string, string> = {
    '111122223333': MOTO_ACCOUNT_ID,
    '"000000000"': `"${MOTO_ACCOUNT_ID}"`,
    ...replace,
  };
  for (const [from, to] of Object.entries(all)) text = text.split(from).join(to);
  const event = JSON.parse(text) as Record<string, unknown>;
  event.id = `${String(event.id)}-${Math.random().toString(36).slice(2, 10)}`;
  return event;
}
