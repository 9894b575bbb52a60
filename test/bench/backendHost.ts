/**
 * A backend in its own process (forked by backend.ts), so that its work never runs on the event loop being measured:
 * either the fault proxy in front of moto (`REFLEX_BENCH_BACKEND=proxy`, upstream in `REFLEX_BENCH_UPSTREAM`) or the
 * ARM emulator (`REFLEX_BENCH_BACKEND=arm`), started with `validate: false` (oav validation is test-time cost, not the
 * bot's). Answers commands over IPC; see backend.ts for the protocol.
 */
import { type ArmEmulator, type FaultProxy, startArmEmulator, startFaultProxy } from '@reflex/sim';

interface Command {
  id: number;
  cmd: string;
  args?: Record<string, unknown>;
}

const kind = process.env.REFLEX_BENCH_BACKEND;
let proxy: FaultProxy | undefined;
let arm: ArmEmulator | undefined;

if (kind === 'proxy') {
  proxy = await startFaultProxy({ upstream: process.env.REFLEX_BENCH_UPSTREAM ?? '' });
} else if (kind === 'arm') {
  arm = await startArmEmulator({
    validate: false,
    lroPolls: 0,
    subscriptionId: process.env.REFLEX_BENCH_SUBSCRIPTION ?? '00000000-0000-0000-0000-000000000000',
  });
} else {
  throw new Error(`REFLEX_BENCH_BACKEND must be proxy or arm, got ${kind}`);
}

let armMark = 0;

async function answer(c: Command): Promise<unknown> {
  const a = c.args ?? {};
  switch (c.cmd) {
    case 'calls':
      if (proxy)
        return proxy
          .calls()
          .map((x) => ({ method: x.method, op: x.operation ?? x.path, status: x.status, fault: x.fault }));
      return arm!
        .calls()
        .slice(armMark)
        .map((x) => ({ method: x.method, op: x.operationId ?? x.path, status: x.status, fault: x.fault }));
    case 'clearCalls':
      if (proxy) proxy.resetStats();
      else armMark = arm!.calls().length;
      return null;
    case 'stats':
      if (proxy) return proxy.stats();
      return {
        requests: arm!.calls().length - armMark,
        faults: arm!
          .calls()
          .slice(armMark)
          .filter((x) => x.fault).length,
      };
    case 'setFaults':
      if (proxy) proxy.setFaults(a as never);
      else arm!.setFaults(a as never);
      return null;
    case 'reset':
      arm!.reset();
      armMark = 0;
      return null;
    case 'seedResourceGroup':
      arm!.seedResourceGroup(String(a.name), String(a.location ?? 'westeurope'));
      return null;
    case 'seedResources': {
      const list = a.resources as { id: string; body: Record<string, unknown>; apiVersion: string }[];
      let failed = 0;
      for (const r of list) if (arm!.seedResource(r.id, r.body, r.apiVersion).status >= 300) failed++;
      return { failed };
    }
    case 'lastEvent':
      return arm!.events().at(-1)?.eventGrid ?? null;
    case 'stop':
      await proxy?.stop();
      await arm?.stop();
      setImmediate(() => process.exit(0));
      return null;
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

process.on('message', (m: Command) => {
  answer(m).then(
    (result) => process.send?.({ id: m.id, result }),
    (err: unknown) => process.send?.({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
// The parent is gone: nothing else to serve.
process.on('disconnect', () => {
  void Promise.allSettled([proxy?.stop(), arm?.stop()]).then(() => process.exit(0));
});

process.send?.({
  id: 0,
  result: proxy
    ? { endpoint: proxy.endpoint }
    : { endpoint: arm!.endpoint, ca: arm!.ca, subscriptionId: arm!.subscriptionId },
});
