import { InvocationContext } from '@azure/functions';
import type { Ticket } from '@reflex/core';
import { describe, expect, it } from 'vitest';
import { configureBot } from '../src/index.js';

function logged() {
  const lines: string[] = [];
  const context = new InvocationContext({
    invocationId: `inv-${Math.random()}`,
    functionName: 'reflexEvents',
    logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
  });
  return { context, lines };
}

const ticket = (key: string) => ({ dedupeKey: key, title: key }) as unknown as Ticket;

describe('ticket lines without a ticket system', () => {
  it('go to the log of the invocation that filed them, also when invocations overlap', async () => {
    const bot = configureBot({ env: { REFLEX_POLICY: 'version: 1' } });
    const a = logged();
    const b = logged();
    const portsA = bot.ports(a.context);
    const portsB = bot.ports(b.context);
    // Interleaved: b files between a's two tickets.
    await Promise.all([
      portsA.tickets.file(ticket('reflex-a1')).then(() => portsA.tickets.file(ticket('reflex-a2'))),
      portsB.tickets.file(ticket('reflex-b1')),
    ]);
    const keys = (lines: string[]) => lines.map((l) => JSON.parse(l) as { kind: string; dedupeKey: string });
    expect(keys(a.lines)).toEqual([
      expect.objectContaining({ kind: 'reflex.ticket', dedupeKey: 'reflex-a1' }),
      expect.objectContaining({ kind: 'reflex.ticket', dedupeKey: 'reflex-a2' }),
    ]);
    expect(keys(b.lines)).toEqual([expect.objectContaining({ kind: 'reflex.ticket', dedupeKey: 'reflex-b1' })]);
  });

  it('a file in the policy stays the instance sink (not swapped for the log)', async () => {
    const bot = configureBot({
      env: { REFLEX_POLICY: 'version: 1\ntickets:\n  jsonl:\n    path: /dev/null\n' },
    });
    const a = logged();
    const result = await bot.ports(a.context).tickets.file(ticket('reflex-f1'));
    expect(result).toMatchObject({ refs: { jsonl: 'reflex-f1' } });
    expect(a.lines).toEqual([]);
  });
});
