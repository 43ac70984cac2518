// Where the demo's progress goes: a table redrawn in place on a terminal,
// one line per event otherwise (logs, CI, pipes), nothing with --json.

export interface Display {
  /** Columns to fit the table into. */
  readonly width: number;
  /** A new frame of the table (ignored when not on a terminal). */
  frame(lines: string[]): void;
  /** Something happened: printed as its own line (above the table on a terminal). */
  event(elapsedMs: number, text: string): void;
  /** Leaves the last frame on screen and stops redrawing. */
  close(): void;
}

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function eventLine(elapsedMs: number, text: string): string {
  return `[${(elapsedMs / 1000).toFixed(1).padStart(6)}s] ${text}`;
}

/** Plain lines, one per event. */
export function lineDisplay(out: Out): Display {
  return {
    width: 120,
    frame: () => {},
    event: (ms, text) => { out.write(`${eventLine(ms, text)}\n`); },
    close: () => {},
  };
}

export function silentDisplay(): Display {
  return { width: 120, frame: () => {}, event: () => {}, close: () => {} };
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const CLEAR_DOWN = '\x1b[J';
const up = (n: number): string => (n > 0 ? `\x1b[${n}F` : '\r');

/**
 * The table redrawn in place: each frame moves the cursor back over the
 * previous one. Events are printed above the table and scroll away, so the
 * history stays readable after the run.
 */
export function ttyDisplay(out: Out): Display {
  let drawn = 0;
  let last: string[] = [];
  let closed = false;
  const width = (): number => Math.max(40, (out.columns ?? 120) - 1);
  const fit = (l: string): string => {
    const w = width();
    return l.length > w ? l.slice(0, w - 1) + '…' : l;
  };
  const draw = (lines: string[]): void => {
    const cut = lines.map(fit);
    out.write(up(drawn) + CLEAR_DOWN + cut.map((l) => `${l}\n`).join(''));
    drawn = cut.length;
  };
  out.write(HIDE_CURSOR);
  return {
    get width() { return width(); },
    frame: (lines) => {
      if (closed) return;
      last = lines;
      draw(lines);
    },
    event: (ms, text) => {
      if (closed) return;
      out.write(up(drawn) + CLEAR_DOWN + `${fit(eventLine(ms, text))}\n`);
      drawn = 0;
      draw(last);
    },
    close: () => {
      if (closed) return;
      closed = true;
      out.write(SHOW_CURSOR);
    },
  };
}
