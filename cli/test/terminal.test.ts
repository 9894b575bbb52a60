import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../src/io.js';
import { createStyle, renderTable } from '../src/style.js';

const ESC = '\u001b';
const ROOT = join(import.meta.dirname, '../..');

describe('what the CLI writes cannot drive the terminal', () => {
  it.each([
    ['a window title (OSC)', `${ESC}]0;pwned\u0007`],
    ['clear screen and cursor moves (CSI)', `${ESC}[2J${ESC}[1;1H`],
    ['concealed text (SGR 8)', `${ESC}[8mhidden`],
    ['a carriage return over the line', 'ok\rcompliant'],
    ['a C1 control', '\u009b31m'],
    ['a bidirectional override', 'rm -rf /\u202e'],
  ])('%s is shown escaped, never sent raw', (_what, text) => {
    const safe = terminalSafe(`name=${text}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    expect(safe).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(safe).toMatch(/\\u00(1B|0D|9B|07)|\\u202E/);
  });

  it("keeps tab, newline and the CLI's own colours", () => {
    const style = createStyle(true);
    const text = `${style.red('failed')}\t${style.bold('x')}\n`;
    expect(terminalSafe(text)).toBe(text);
  });

  it('a newline in a table cell cannot forge a row', () => {
    const table = renderTable(['resource', 'reason'], [['b', 'fixed\nevil  compliant']]);
    expect(table.split('\n')).toHaveLength(2);
    expect(table).toContain('fixed\\nevil');
  });

  it('reflex validate shows an attacker-written policy key escaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-term-'));
    const file = join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({ version: 1, rules: { [`x${ESC}]0;pwned\u0007${ESC}[2J`]: { mode: 'enforce' } } }),
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/src/bin.ts'), 'validate', file], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status).toBe(2);
    const all = r.stdout + r.stderr;
    expect(all).not.toContain(ESC);
    expect(all).not.toContain('\u0007');
    expect(all).toContain('\\u001B]0;pwned\\u0007\\u001B[2J');
  });
});
