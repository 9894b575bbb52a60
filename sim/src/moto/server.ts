import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freeLoopbackPort } from './free-port.js';
import { motoMissingMessage, motoVenvDir, planMoto, provisionMoto, venvPython } from './provision.js';

const INSTALL_HINT = 'pip install "moto[server]"';

/** python3 or moto (with its server extras) is not installed: nothing to start. */
export class MotoUnavailableError extends Error {
  override readonly name = 'MotoUnavailableError';
  constructor(
    readonly reason: string,
    readonly python: string,
    message?: string,
  ) {
    super(message ?? `moto server is not available (${reason}). Install it with: ${INSTALL_HINT} (python: ${python})`);
  }
}

/** moto is installed but the server did not come up (timeout, crash). */
export class MotoStartError extends Error {
  override readonly name = 'MotoStartError';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}\n--- moto output (tail) ---\n${output}` : message);
  }
}

export interface MotoOptions {
  /**
   * The Python interpreter, used as it is. Default: `$REFLEX_PYTHON`, else the project's `.reflex/moto` venv if it
   * exists, else `python3`; when that one cannot run moto, moto is provisioned into the venv once per process.
   */
  python?: string;
  /** Where provisioning reports progress, a line at a time (default: stderr). */
  progress?: (line: string) => void;
  /** Port to bind; default a free loopback port. */
  port?: number;
  /** How long to wait for the server to answer. Default 20 000 ms. */
  startTimeoutMs?: number;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /**
   * Keep werkzeug's line per request in `output()`. Default false: each line costs moto time per call and the
   * starting process time to read it (benchmarks measure that process); errors and tracebacks are kept anyway.
   */
  requestLog?: boolean;
}

export interface MotoServer {
  /** `http://127.0.0.1:PORT` — give it to `awsClientConfig()`. */
  readonly endpoint: string;
  readonly port: number;
  /** The server process id (for diagnostics). */
  readonly pid: number;
  /** Forget every resource in every service (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Stop the server and wait until the process is gone. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines moto printed (tracebacks; the request log too with `requestLog`). */
  output(): string;
}

export type MotoCheck =
  | { available: true; python: string; version: string }
  | { available: false; python: string; reason: string; hint: string };

/**
 * Runs `moto.server`'s own `main` (exactly what `python3 -m moto.server ARGS` runs), plus a watchdog thread that
 * exits the process when its stdin reaches EOF — i.e. when the Node process that started it is gone, however it died —
 * and, unless asked for, no line per request (werkzeug logs those at INFO).
 */
const LAUNCHER = [
  'import os, sys, threading',
  'def _watch():',
  '    try:',
  '        while sys.stdin.buffer.read(65536):',
  '            pass',
  '    except Exception:',
  '        pass',
  '    os._exit(0)',
  'threading.Thread(target=_watch, daemon=True).start()',
  'import logging',
  "if os.environ.get('REFLEX_MOTO_REQUEST_LOG') != '1':",
  "    logging.getLogger('werkzeug').setLevel(logging.WARNING)",
  'from moto.server import main',
  'main(sys.argv[1:])',
].join('\n');

const CHECK = 'import moto, moto.server, flask, flask_cors; print(moto.__version__)';

function pythonOf(opts?: { python?: string }): string {
  if (opts?.python) return opts.python;
  if (process.env['REFLEX_PYTHON']) return process.env['REFLEX_PYTHON'];
  const venv = venvPython(motoVenvDir());
  return existsSync(venv) ? venv : 'python3';
}

function missingModule(text: string): string | undefined {
  const match = /No module named '?([\w.]+)'?/.exec(text);
  return match?.[1];
}

/** Whether moto's server can be imported by the Python interpreter (for CI checks and clear messages). */
export function checkMoto(opts?: { python?: string }): MotoCheck {
  const python = pythonOf(opts);
  const run = spawnSync(python, ['-c', CHECK], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? `${python} not found` : `${python} failed: ${run.error.message}`;
    return { available: false, python, reason, hint: INSTALL_HINT };
  }
  if (run.status !== 0) {
    const module = missingModule(run.stderr);
    const reason = module ? `python module '${module}' is missing` : `import failed: ${run.stderr.trim().slice(-500)}`;
    return { available: false, python, reason, hint: INSTALL_HINT };
  }
  return { available: true, python, version: run.stdout.trim() };
}

// Every live server, killed synchronously if this process exits without stopping them.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // the whole process group (spawned detached), in case python3 is a wrapper
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

class Tail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max = 80) {}
  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  text(): string {
    return [...this.lines, this.partial].filter((l) => l.length > 0).join('\n');
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

type Attempt = { server: MotoServer } | { portInUse: true };

async function launch(python: string, port: number, opts: MotoOptions): Promise<Attempt> {
  const endpoint = `http://127.0.0.1:${port}`;
  const tail = new Tail();
  let spawnError: NodeJS.ErrnoException | undefined;
  const child = spawn(python, ['-c', LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, PYTHONUNBUFFERED: '1', REFLEX_MOTO_REQUEST_LOG: opts.requestLog ? '1' : '0', ...opts.env },
  });
  child.on('error', (err) => {
    spawnError = err;
  });
  child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stdin?.on('error', () => {}); // EPIPE when the server dies first
  live.add(child);
  child.once('exit', () => live.delete(child));
  installExitHook();

  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  let up = false;
  while (!up) {
    if (spawnError) {
      live.delete(child);
      if (spawnError.code === 'ENOENT') throw new MotoUnavailableError(`${python} not found`, python);
      throw new MotoStartError(`could not run ${python}: ${spawnError.message}`, tail.text());
    }
    if (exited(child)) {
      const output = tail.text();
      const module = missingModule(output);
      if (module) throw new MotoUnavailableError(`python module '${module}' is missing`, python);
      if (/address already in use/i.test(output)) return { portInUse: true };
      throw new MotoStartError(`moto server exited (code ${child.exitCode}, signal ${child.signalCode})`, output);
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      await waitForExit(child, 2_000);
      throw new MotoStartError(
        `moto server did not answer on ${endpoint} within ${opts.startTimeoutMs ?? 20_000} ms`,
        tail.text(),
      );
    }
    up = await answers(endpoint);
    if (!up) await sleep(50);
  }

  // A forgotten stop() must not keep the event loop alive; the exit hook and the stdin watchdog clean up.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();

  let stopping: Promise<void> | undefined;
  const server: MotoServer = {
    endpoint,
    port,
    pid: child.pid!,
    output: () => tail.text(),
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status} ${body.slice(0, 200)}`);
    },
    stop() {
      stopping ??= (async () => {
        child.stdin?.end(); // the watchdog exits at once on EOF
        if (!(await waitForExit(child, 1_000))) killGroup(child, 'SIGTERM');
        if (!(await waitForExit(child, 3_000))) {
          killGroup(child, 'SIGKILL');
          await waitForExit(child, 3_000);
        }
        live.delete(child);
      })();
      return stopping;
    },
  };
  return { server };
}

/**
 * Start moto's server mode (`python3 -m moto.server -H 127.0.0.1 -p PORT`) on a free loopback port and wait until
 * it answers. Throws `MotoUnavailableError` if python3 or moto is missing, `MotoStartError` if it does not come up.
 * The server dies with this process (exit hook, and a stdin watchdog for hard kills); call `stop()` when done.
 */
export async function startMoto(opts: MotoOptions = {}): Promise<MotoServer> {
  try {
    return await startWith(pythonOf(opts), opts);
  } catch (err) {
    if (!(err instanceof MotoUnavailableError) || opts.python !== undefined) throw err;
    return startWith(await ensureMoto(err, opts.progress), opts);
  }
}

/**
 * The interpreter that runs moto: the default one (see `MotoOptions.python`) when it can, else the project venv,
 * provisioned once. Throws MotoUnavailableError with the two-line message. For test setup and CI checks.
 */
export async function resolveMotoPython(progress?: (line: string) => void): Promise<string> {
  const python = pythonOf();
  const check = checkMoto({ python });
  if (check.available) return python;
  return ensureMoto(new MotoUnavailableError(check.reason, python), progress);
}

let provisioning: Promise<string> | undefined;

/**
 * The interpreter that can run moto when the default one cannot: the project venv, provisioned once per process.
 * Throws MotoUnavailableError whose message is two lines: what is missing, and how to install it.
 */
export function ensureMoto(
  failure: MotoUnavailableError,
  progress: (line: string) => void = (line) => process.stderr.write(`  [moto] ${line}\n`),
): Promise<string> {
  provisioning ??= (async () => {
    const venv = motoVenvDir();
    const venvHasMoto = existsSync(venvPython(venv)) && checkMoto({ python: venvPython(venv) }).available;
    const plan = planMoto({
      python: failure.python,
      explicit: false,
      missing: /not found/.test(failure.reason) ? 'python' : 'module',
      venv,
      venvHasMoto,
      alreadyTried: false,
    });
    if (plan.action === 'use') return plan.python;
    const unavailable = (why: string) =>
      new MotoUnavailableError(
        why,
        failure.python,
        motoMissingMessage(failure.python === venvPython(venv) ? 'python3' : failure.python, why),
      );
    if (plan.action === 'give-up') throw unavailable(`${failure.reason}; ${plan.reason}`);
    progress(`${failure.python} cannot run moto (${failure.reason}): provisioning it once into ${venv}`);
    const result = await provisionMoto(plan.base, plan.venv, progress);
    if (result.ok && checkMoto({ python: result.python }).available) return result.python;
    const last = result.detail.split('\n').filter(Boolean).pop() ?? 'no output';
    throw unavailable(`${failure.reason}, and installing it into ${venv} failed (${last.slice(0, 200)})`);
  })();
  return provisioning;
}

async function startWith(python: string, opts: MotoOptions): Promise<MotoServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = opts.port ?? (await freeLoopbackPort());
    const result = await launch(python, port, opts);
    if ('server' in result) return result.server;
    if (opts.port !== undefined) throw new MotoStartError(`port ${opts.port} is already in use`, '');
  }
  throw new MotoStartError('could not find a free port for moto after 5 attempts', '');
}
