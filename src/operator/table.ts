/** A cell: plain text, or text with a colour used only on a terminal. */
export type Cell = string | { text: string; color: Color };
export type Color = 'green' | 'yellow' | 'red' | 'dim' | 'bold';

const CODES: Record<Color, string> = { green: '32', yellow: '33', red: '31', dim: '2', bold: '1' };

const textOf = (c: Cell): string => (typeof c === 'string' ? c : c.text);

export function paint(text: string, color: Color, on: boolean): string {
  return on ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

/**
 * Renders rows under a header, columns aligned on the text's width (colour
 * codes never count), two spaces apart — one when two would not fit
 * `options.width` — no trailing blanks. Rows are shown in the order given:
 * callers sort them.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[], options: { color: boolean; width?: number }): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => textOf(r[i] ?? '').length)));
  const fits = options.width === undefined || widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) <= options.width;
  const gap = fits ? '  ' : ' ';
  const line = (cells: readonly Cell[], head: boolean): string => cells
    .map((c, i) => {
      const text = textOf(c);
      const pad = i === cells.length - 1 ? '' : ' '.repeat((widths[i] ?? 0) - text.length);
      const color = head ? 'bold' : typeof c === 'string' ? undefined : c.color;
      return (color ? paint(text, color, options.color) : text) + pad;
    })
    .join(gap)
    .trimEnd();
  return [line(header, true), ...rows.map((r) => line(r, false))].join('\n') + '\n';
}
