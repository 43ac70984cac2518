import { renderTable } from '../operator/index.ts';
import { drainText, type DemoView, type InstanceView } from './view.ts';

// The live table, as lines of text. Pure: the caller decides where they go
// (redrawn in place on a terminal, see live-display.ts).

const HEADERS = ['INSTANCE', 'PORT', 'PROCESS', 'SIDECAR', 'ROTATION', 'SHARE', 'SERVED', 'IN-FLIGHT', 'ERRORS', 'DRAIN'] as const;

function row(i: InstanceView, now: number): string[] {
  return [
    i.name, String(i.port), i.pid === undefined || i.process === 'crashed' || i.process === 'down' ? i.process : `${i.process} ${i.pid}`, i.sidecar,
    i.inRotation ? 'in' : 'out', `${Math.round(i.recentShare * 100)}%`, String(i.served), String(i.inFlight), String(i.errors),
    drainText(i.drain, now),
  ];
}

/** Lines for one frame: a status line, the instance table, the totals. Each is cut to `width`. */
export function renderFrame(view: DemoView, width = 120): string[] {
  const rows = view.instances.map((i) => row(i, view.now));
  const elapsed = ((view.now - view.startedAt) / 1000).toFixed(1);
  const lines = [
    `herald demo  ${elapsed}s  ${view.step}`,
    '',
    ...renderTable(HEADERS, rows, { color: false, width }).trimEnd().split('\n'),
    '',
    `requests ${view.sent} sent  ${view.ok} ok  ${view.failed} failed  ${view.inFlight} in flight  (target ${view.rps}/s)` +
      (view.failed > 0 ? '  <-- FAILURES' : ''),
    'SHARE: of the last 2 s of answers. ERRORS: failed attempts there (retried elsewhere).',
  ];
  return lines.map((l) => (l.length > width ? l.slice(0, Math.max(0, width - 1)) + '…' : l));
}
