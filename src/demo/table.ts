import { drainText, type DemoView, type InstanceView } from './view.ts';

// The live table, as lines of text. Pure: the caller decides where they go
// (redrawn in place on a terminal, see live-display.ts).

const HEADERS = ['INSTANCE', 'PORT', 'PID', 'PROCESS', 'SIDECAR', 'ROTATION', 'SHARE', 'SERVED', 'IN-FLIGHT', 'ERRORS', 'DRAIN'] as const;

function row(i: InstanceView, now: number): string[] {
  return [
    i.name, String(i.port), i.pid === undefined ? '-' : String(i.pid), i.process, i.sidecar,
    i.inRotation ? 'in' : 'out', `${Math.round(i.recentShare * 100)}%`, String(i.served), String(i.inFlight), String(i.errors),
    drainText(i.drain, now),
  ];
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, k) => (k === cells.length - 1 ? c : c.padEnd(widths[k] ?? 0))).join('  ').trimEnd();
}

/** Lines for one frame: a status line, the instance table, the totals. Each is cut to `width`. */
export function renderTable(view: DemoView, width = 120): string[] {
  const rows = view.instances.map((i) => row(i, view.now));
  const widths = HEADERS.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  const elapsed = ((view.now - view.startedAt) / 1000).toFixed(1);
  const lines = [
    `herald demo  ${elapsed}s  ${view.step}`,
    '',
    pad(HEADERS, widths),
    ...rows.map((r) => pad(r, widths)),
    '',
    `requests ${view.sent} sent  ${view.ok} ok  ${view.failed} failed  ${view.inFlight} in flight  (target ${view.rps}/s)` +
      (view.failed > 0 ? '  <-- FAILURES' : ''),
    'SHARE: answers over the last 2 s.  ERRORS: attempts that failed on that instance and were retried elsewhere.',
  ];
  return lines.map((l) => (l.length > width ? l.slice(0, Math.max(0, width - 1)) + '…' : l));
}
