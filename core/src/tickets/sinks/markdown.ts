/**
 * GitHub-flavoured Markdown for text an attacker may have written (names, tags, policy values, actors). Such text
 * goes into code, never into prose: GitHub renders code literally, with no HTML, no links or autolinks, no
 * @mentions and no #references. Delimiters are chosen longer than any backtick run in the text (CommonMark), so the
 * text cannot close them, and the text itself is never altered.
 */

const longestRun = (s: string, ch: string): number => {
  let best = 0;
  let run = 0;
  for (const c of s) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
};

/**
 * An inline code span. Line breaks become spaces (a span may not end its line, and a table row must not); `|` is
 * escaped for table cells, where GFM splits cells before it reads code spans. The padding spaces are stripped
 * again by the renderer.
 */
export function codeSpan(text: string, opts: { inTable?: boolean } = {}): string {
  let s = text.replace(/\r\n|[\r\n]/g, ' ');
  if (opts.inTable) s = s.replace(/\|/g, '\\|');
  const tick = '`'.repeat(longestRun(s, '`') + 1);
  return `${tick} ${s} ${tick}`;
}

/** A fenced code block whose fence no line of the text can close. */
export function codeFence(text: string, language: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

/** U+2060 WORD JOINER: invisible, and not a character GitHub's mention, reference or autolink patterns accept. */
const JOIN = '\u2060';

/**
 * Prose that shows exactly as written: one line; every character Markdown, GitHub math or HTML could read as
 * syntax backslash-escaped (CommonMark: any ASCII punctuation may be), list markers only where they count; and an
 * invisible joiner around `@`, after `#` and `GH`, in `://` and `www.`, which GitHub links after parsing
 * (@mentions, #references, autolinks) whatever the escaping.
 */
export function mdText(text: string): string {
  return (
    text
      .replace(/\r\n|[\r\n]/g, ' ')
      .replace(/[\\`*_{}[\]()<>!|~&=$]/g, '\\$&')
      // A list marker or thematic break only counts at the start of a line.
      .replace(/^(\s*)([-+])/, '$1\\$2')
      .replace(/^(\s*\d+)([.)])/, '$1\\$2')
      .replace(/#/g, `\\#${JOIN}`)
      .replace(/\b(gh)-/gi, `$1${JOIN}-`)
      // Before the @ for e-mail autolinks, after it for mentions.
      .replace(/@/g, `${JOIN}@${JOIN}`)
      .replace(/:\/\//g, `:${JOIN}//`)
      .replace(/www\./gi, (m) => `${m.slice(0, 3)}${JOIN}.`)
  );
}
