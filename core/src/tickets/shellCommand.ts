import { quote } from 'shell-quote';

/**
 * The one place a command line is rendered for a human to paste into bash. Every argument may hold attacker text
 * (bucket names, policy values, tags, reasons), so each is quoted on its own: the shell must hand the program
 * exactly `argv`, and run nothing else.
 *
 * An argument of only the characters no shell treats specially (Python's `shlex.quote` set) is written as it is,
 * so ARNs and flags stay readable; shell-quote quotes every other argument. An argument holding a control
 * character (newline, CR, ESC, ...) is written as an ANSI-C string (`$'...'`, bash/zsh/ksh) instead: a raw newline
 * would make the command several lines, and an interactive bash expands history (`^a^b`, `!x`) at the start of
 * each pasted line, even inside quotes; a CR or an escape sequence in pasted text acts on the terminal. A NUL
 * cannot be passed in any argv: bash ends the argument there.
 */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

function shellWord(arg: string): string {
  if (PLAIN.test(arg)) return arg;
  if (!CONTROL.test(arg)) return quote([arg]);
  let out = "$'";
  for (const ch of arg) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}
