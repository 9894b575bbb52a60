import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A call as the backend logged it (the fault proxy's or the ARM emulator's call log). */
export interface BackendCall {
  method: string;
  /** The API operation (proxy) or ARM operationId / path (emulator). */
  op: string;
  status: number;
  fault?: string;
}

export interface Backend {
  endpoint: string;
  ca?: string;
  pid: number;
  send<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  calls(): Promise<BackendCall[]>;
  clearCalls(): Promise<void>;
  stop(): Promise<void>;
}

const HOST = fileURLToPath(new URL('./backendHost.ts', import.meta.url));

/** Forks backendHost.ts (fault proxy or ARM emulator) and waits for its endpoint. */
export async function startBackend(kind: 'proxy' | 'arm', env: Record<string, string> = {}): Promise<Backend> {
  const child: ChildProcess = fork(HOST, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env, REFLEX_BENCH_BACKEND: kind },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const ready = new Promise<{ endpoint: string; ca?: string }>((resolve, reject) => {
    pending.set(0, { resolve: resolve as (v: unknown) => void, reject });
  });
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  child.on('exit', (code) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`bench backend (${kind}) exited with ${code}`));
    pending.clear();
  });
  const info = await ready;
  const send = <T>(cmd: string, args?: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`bench backend (${kind}) is not running`));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, cmd, args });
    });
  return {
    endpoint: info.endpoint,
    ...(info.ca ? { ca: info.ca } : {}),
    pid: child.pid ?? 0,
    send,
    calls: () => send<BackendCall[]>('calls'),
    clearCalls: () => send<void>('clearCalls'),
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await Promise.race([send('stop'), gone]);
      } catch {
        // already exiting
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
