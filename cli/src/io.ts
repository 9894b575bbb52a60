/** Where the CLI writes: stdout and stderr in bin.ts, strings in tests. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

// The CLI's own style codes (bold, dim, four colours and their resets: style.ts), the only escapes it writes.
const OWN_STYLE = /^\[(?:1|2|22|31|32|33|36|39)m/;

/**
 * Every control character but tab, newline and the CLI's own style codes, and the bidirectional overrides that
 * reorder what a reader sees ("Trojan Source"). Names, tags, rule names and reasons come from the cloud, written by
 * whoever can write there: a terminal must not run their escape sequences (retitle, move the cursor, hide text, a
 * carriage return over a line).
 */
function unsafe(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 0x1b) return !OWN_STYLE.test(text.slice(i + 1, i + 5));
  if (c === 0x09 || c === 0x0a) return false;
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/** Text safe for a terminal: what is unsafe is shown as a `\uXXXX` escape (valid inside JSON strings too). */
export function terminalSafe(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    out += unsafe(text, i) ? `\\u${text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}` : text[i];
  }
  return out;
}

/** stdout and stderr, through `terminalSafe`. */
export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(terminalSafe(t)),
    err: (t) => process.stderr.write(terminalSafe(t)),
  };
}
