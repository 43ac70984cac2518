import { NO_ANSWER } from './answers.ts';
import { clock } from './format.ts';
import type { InstanceState } from './instance-state.ts';
import type { ServedBy } from './served.ts';
import type { InstanceStatus, StatusReport } from './status-report.ts';
import { paint, renderTable, type Cell, type Color } from './table.ts';

const STATE_COLORS: Record<InstanceState, Color> = {
  registered: 'green', starting: 'yellow', draining: 'yellow', drained: 'dim', unhealthy: 'red', stopped: 'dim', absent: 'red', rejected: 'red',
};

function stateCell(i: InstanceStatus): Cell {
  return { text: i.phase ? `${i.state} (${i.phase})` : i.state, color: STATE_COLORS[i.state] };
}

function servedCell(s: ServedBy | undefined): Cell {
  if (!s) return '-';
  if (s.served === 'yes') return { text: 'yes', color: 'green' };
  if (s.served === 'no') return 'no';
  return { text: s.status === NO_ANSWER ? 'no answer' : s.status, color: 'red' };
}

/** The `herald status` table: one row per instance, sorted by service then instance; one column per nameserver. */
export function renderStatus(report: StatusReport, options: { color: boolean }): string {
  const ns = report.nameservers.map((n) => n.nameserver);
  const header = ['SERVICE', 'INSTANCE', 'ADDRESS', 'PORTS', 'STATE', 'SINCE', 'SESSION', ...ns];
  const rows: Cell[][] = [];
  const services = [...report.services].sort((a, b) => a.domain.localeCompare(b.domain));
  for (const s of services) {
    const instances = [...s.instances].sort((a, b) => a.instance.localeCompare(b.instance));
    for (const i of instances) {
      rows.push([
        s.domain, i.instance, i.address ?? '-', i.ports.length ? i.ports.join(',') : '-', stateCell(i),
        i.since ? clock(Date.parse(i.since)) : '-', i.session,
        ...ns.map((n) => servedCell(i.nameservers.find((x) => x.nameserver === n))),
      ]);
    }
    if (instances.length === 0) rows.push([s.domain, '-', '-', s.port === undefined ? '-' : String(s.port), 'no instances', '-', '-', ...ns.map(() => '-')]);
  }
  let out = rows.length ? renderTable(header, rows, options) : `no services under ${report.domain || 'the registry root'}\n`;
  // What the servers skip, each on a line of its own (the table has no room for why).
  for (const s of services) {
    if (s.recordError) out += paint(`${s.domain}: service record not served: ${s.recordError}`, 'red', options.color) + '\n';
    for (const i of s.instances) if (i.state === 'rejected') out += paint(`${i.name}: ${i.reason}`, 'red', options.color) + '\n';
  }
  for (const n of report.nameservers) {
    if (n.answering === false) out += paint(`nameserver ${n.nameserver} is not answering${n.error ? ` (${n.error})` : ''}`, 'red', options.color) + '\n';
  }
  if (report.nameservers.length === 0) out += 'no nameservers asked (give --nameservers or --bootstrap to see what DNS serves)\n';
  return out;
}
