/**
 * Runs printed command lines in one bash, as a responder pasting them into a terminal would (history expansion
 * on), with `aws`, `az` and `reflex` replaced by stubs that record their arguments. Returns, per line, the calls
 * the stubs received, each as its argv: exact for any argument (NUL-separated, and no argv can hold a NUL).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Markers between the stubs' outputs: a line starts, a call ends. No generated argument equals them. */
const LINE = '@@reflex-line-7c1f@@';
const END = '@@reflex-end-7c1f@@';
/** Shell functions, not scripts: no process per command, so tens of thousands of lines run in seconds. */
const STUBS = ['aws', 'az', 'reflex'].map((program) => `${program}() { printf '%s\\0' ${program} "$@" ${END}; }`);

export function pasteIntoBash(lines: readonly string[], dir: string): string[][][] {
  const script = ['set -o history', 'set -H', ...STUBS, ...lines.flatMap((l) => [`printf '%s\\0' ${LINE}`, l]), ''];
  // From a file: bash reads a pipe a byte at a time, a file in blocks (history expansion works in both).
  const file = join(dir, 'paste.sh');
  writeFileSync(file, script.join('\n'));
  const out = execFileSync('bash', ['--norc', '--noprofile', file], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LC_ALL: 'C.UTF-8' },
    cwd: dir,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString('utf8');
  const records: string[][][] = [];
  let call: string[] = [];
  for (const token of out.split('\0').slice(0, -1)) {
    if (token === LINE) records.push([]);
    else if (token === END) {
      records.at(-1)?.push(call);
      call = [];
    } else call.push(token);
  }
  return records;
}
