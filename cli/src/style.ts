/** Colour for people: only on a terminal, never when NO_COLOR is set or output is piped or JSON. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (text: string) =>
  on ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export function createStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    cyan: wrap(enabled, 36, 39),
  };
}

/** Colour when writing to a terminal and NO_COLOR is not set (https://no-color.org). */
export function colourWanted(stream: { isTTY?: boolean } = process.stdout, env = process.env): boolean {
  return stream.isTTY === true && !env['NO_COLOR'] && env['TERM'] !== 'dumb';
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Visible width of a string, ignoring colour codes. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Left-aligned columns (right-aligned where `right` says), two spaces apart; colour codes do not break alignment. */
export function renderTable(
  header: string[],
  rows: string[][],
  opts: { right?: number[]; style?: Style } = {},
): string {
  // A cell is one line: a newline or carriage return inside cloud-written text must not forge a row.
  rows = rows.map((r) => r.map((cell) => cell.replace(/\r/g, '\\r').replace(/\n/g, '\\n')));
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - visibleLength(cell)));
        if (opts.right?.includes(i)) return pad + cell;
        return i === cells.length - 1 ? cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  const head = line(header);
  return [opts.style ? opts.style.bold(head) : head, ...rows.map(line)].join('\n');
}

/** Shortens text to `max` visible characters with an ellipsis (plain text only). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}
