import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The moto line the tests and the demo are written against. */
export const MOTO_REQUIREMENT = 'moto[server]>=5.2,<5.3';

/**
 * The project-local virtual environment moto is provisioned into: `REFLEX_MOTO_VENV`, else `.reflex/moto` at the
 * root of the repository this package sits in (the npm workspace root), else under the working directory.
 */
export function motoVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['REFLEX_MOTO_VENV'];
  if (fromEnv) return fromEnv;
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      if ((JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces)
        return join(dir, '.reflex', 'moto');
    } catch {
      // not a manifest we can read: keep looking
    }
  }
  return join(process.cwd(), '.reflex', 'moto');
}

export const venvPython = (venv: string) => join(venv, 'bin', 'python');

/** What to do when the interpreter in use cannot run moto's server. */
export type MotoPlan =
  | { action: 'use'; python: string }
  | { action: 'provision'; base: string; venv: string }
  | { action: 'give-up'; reason: string };

export interface MotoProbe {
  /** The interpreter that was tried, and whether it was named by the caller (then it is never replaced). */
  python: string;
  explicit: boolean;
  /** Why it could not run moto: no interpreter at all, or the module is missing. */
  missing: 'python' | 'module';
  venv: string;
  /** The venv's interpreter exists and imports moto. */
  venvHasMoto: boolean;
  /** This process already tried to provision (it tries once). */
  alreadyTried: boolean;
}

/**
 * The provisioning decision, kept pure so it can be tested. A caller-named interpreter is used as it is. Otherwise a
 * venv that already has moto is used; else one attempt is made to build it, from the same interpreter (which exists
 * but lacks the module) or, when the interpreter itself is missing, from nothing: then there is no Python to build with.
 */
export function planMoto(probe: MotoProbe): MotoPlan {
  if (probe.explicit) return { action: 'give-up', reason: `${probe.python} cannot run moto (it was named explicitly)` };
  if (probe.venvHasMoto) return { action: 'use', python: venvPython(probe.venv) };
  if (probe.alreadyTried) return { action: 'give-up', reason: `provisioning moto into ${probe.venv} already failed` };
  if (probe.missing === 'python') return { action: 'give-up', reason: `no Python 3 interpreter (${probe.python})` };
  return { action: 'provision', base: probe.python, venv: probe.venv };
}

export interface ProvisionResult {
  ok: boolean;
  python: string;
  /** The last lines pip or venv printed, for the message when it failed. */
  detail: string;
}

function run(cmd: string, args: string[], progress: (line: string) => void): Promise<{ code: number; tail: string }> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PIP_NO_INPUT: '1' } });
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 20) lines.shift();
        progress(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err) => resolve({ code: 127, tail: err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, tail: lines.join('\n') }));
  });
}

/**
 * `python -m venv VENV`, then `VENV/bin/python -m pip install "moto[server]>=5.2,<5.3"`, showing pip's progress line
 * by line. pip is told to retry once and time out in 15 s, so an unreachable package index fails in seconds.
 */
export async function provisionMoto(
  base: string,
  venv: string,
  progress: (line: string) => void = () => {},
): Promise<ProvisionResult> {
  const python = venvPython(venv);
  progress(`creating ${venv} with ${base} -m venv`);
  if (!existsSync(python)) {
    const made = await run(base, ['-m', 'venv', venv], progress);
    if (made.code !== 0) return { ok: false, python, detail: made.tail };
  }
  progress(`installing ${MOTO_REQUIREMENT} into ${venv}`);
  const pip = await run(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', '--timeout', '15', MOTO_REQUIREMENT],
    progress,
  );
  return { ok: pip.code === 0, python, detail: pip.tail };
}

/** The two lines a person reads when the local AWS cannot be had: what is missing, and the command that fixes it. */
export function motoMissingMessage(python: string, why: string): string {
  return [
    `The local AWS (moto's server mode) is not available: ${why}.`,
    `Install it with: ${python} -m pip install "${MOTO_REQUIREMENT}"  (or set REFLEX_PYTHON to a Python 3 that has it)`,
  ].join('\n');
}
