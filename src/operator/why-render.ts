import { NO_ANSWER } from './answers.ts';
import { clock, duration } from './format.ts';
import type { InstanceStatus } from './status-report.ts';
import { paint, renderTable } from './table.ts';
import type { WhyReport } from './why-report.ts';
import { describeProgress } from '../drain/index.ts';

const indent = (text: string): string => text.replace(/^(?=.)/gm, '  ');

function instanceLines(i: InstanceStatus, now: number): string {
  const parts = [`${i.instance}  ${i.state}${i.phase ? ` (${i.phase})` : ''}${i.since ? ` since ${clock(Date.parse(i.since))}` : ''}`];
  if (i.reason) parts.push(`reason: ${i.reason}`);
  if (i.healthy !== undefined && i.sidecar) parts.push(`health: ${i.healthy ? 'passing' : 'failing'} (sidecar pid ${i.sidecar.pid}, status of ${clock(Date.parse(i.sidecar.updatedAt))})`);
  else parts.push('health: no sidecar status');
  if (i.lastCheck) parts.push(`last check: ${i.lastCheck.ok ? 'ok' : 'failed'} at ${clock(Date.parse(i.lastCheck.at))}${i.lastCheck.detail ? `: ${i.lastCheck.detail}` : ''}`);
  if (i.drain) {
    parts.push(`drain: ${describeProgress(i.drain, now)}`);
    if (i.drain.phase !== 'drained' && i.drain.phase !== 'deadline') parts.push(`deadline in ${duration(i.drain.deadlineAt - now)}`);
  }
  if (i.nameservers.length) parts.push(`served by ${i.nameservers.filter((n) => n.served === 'yes').length} of ${i.nameservers.length} nameservers`);
  return parts.join('\n    ');
}

/** `herald why` as text: registry, TTLs, answers per nameserver, instances, and the verdict as the last line. */
export function renderWhy(r: WhyReport, now: number, options: { color: boolean }): string {
  const out: string[] = [];
  const asks = r.questions.map((q) => `${q.type} ${q.name}`).join(', ');
  out.push(`${paint(r.name, 'bold', options.color)}: ${r.kind === 'unknown' ? 'not in the registry' : r.kind === 'service' ? 'a service' : `an instance of ${r.service}`}; clients ask ${asks}`);
  if (r.znodes.length) {
    out.push('', 'Registry');
    for (const z of r.znodes) out.push(`  ${z.path}  [${z.kind}]`, `    ${z.data ?? '(no data)'}`);
  }
  if (r.ttls.length) {
    out.push('', 'TTLs (binder precedence)');
    out.push(indent(renderTable(['ANSWER', 'TTL', 'FROM'], r.ttls.map((t) => [t.answer, `${t.ttl} s`, t.from]), options)).trimEnd());
  }
  out.push('', 'Answers');
  if (r.nameservers.length === 0) out.push('  no nameservers asked (give --nameservers or --bootstrap)');
  for (const set of r.answers) {
    if (r.nameservers.length === 0) break;
    out.push(`  ${set.question.type} ${set.question.name}${set.disagree ? `  ${paint('nameservers DISAGREE', 'red', options.color)}` : ''}`);
    for (const reply of set.replies) {
      const status = reply.status === NO_ANSWER ? paint(`${NO_ANSWER}${reply.error ? ` (${reply.error})` : ''}`, 'red', options.color) : reply.status;
      const records = reply.answers.map((a) => `${a.ttl} ${a.type} ${a.data}`).sort();
      out.push(`    ${reply.nameserver}  ${status}${records.length ? '' : reply.answered ? '  (no records)' : ''}`);
      for (const rec of records) out.push(`      ${rec}`);
    }
  }
  if (r.instances.length) {
    out.push('', 'Instances');
    for (const i of [...r.instances].sort((a, b) => a.instance.localeCompare(b.instance))) out.push(`  ${instanceLines(i, now)}`);
  }
  out.push('', r.verdict);
  return out.join('\n') + '\n';
}
