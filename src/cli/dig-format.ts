import { fqdn, rdataText, typeName, type Message, type ResourceRecord } from '../dns/index.ts';

export { fqdn, rdataText };
import type { LookupResult } from '../resolver/index.ts';

/**
 * BIND's column layout (tab stops every 8): move from column `current` to
 * `to`, always at least one blank; tabs when a tab stop lies between.
 */
function indent(current: number, to: number): { text: string; column: number } {
  const target = Math.max(to, current + 1);
  const tabs = Math.floor(target / 8) - Math.floor(current / 8);
  return { text: tabs > 0 ? '\t'.repeat(tabs) + ' '.repeat(target % 8) : ' '.repeat(target - current), column: target };
}

/** Joins fields at columns 24 (TTL), 32 (class), 40 (type) and 48 (data), as dig does. */
function columns(fields: readonly (string | undefined)[]): string {
  const stops = [24, 32, 40, 48];
  let line = fields[0]!;
  let column = line.length;
  for (let i = 1; i < fields.length; i++) {
    const field = fields[i];
    if (field === undefined) continue;
    const pad = indent(column, stops[i - 1]!);
    line += pad.text + field;
    column = pad.column + field.length;
  }
  return line;
}

export function recordLine(r: ResourceRecord): string {
  return columns([fqdn(r.name), String(r.ttl), 'IN', typeName(r.type), rdataText(r)]);
}

export function flagsText(m: Message): string {
  const flags = [['qr', m.qr], ['aa', m.aa], ['tc', m.tc], ['rd', m.rd], ['ra', m.ra], ['ad', m.ad], ['cd', m.cd]] as const;
  return flags.filter(([, on]) => on).map(([f]) => f).join(' ');
}

/** dig's full output: header, flags, sections, and the closing statistics. */
export function fullText(result: LookupResult, commandLine: string, when: Date): string {
  const m = result.message;
  const out: string[] = [''];
  out.push(`; <<>> herald dig <<>> ${commandLine}`);
  out.push(';; Got answer:');
  out.push(`;; ->>HEADER<<- opcode: QUERY, status: ${result.status}, id: ${m.id}`);
  const additional = m.additionals.length + (m.edns ? 1 : 0);
  out.push(`;; flags: ${flagsText(m)}; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, AUTHORITY: ${m.authorities.length}, ADDITIONAL: ${additional}`);
  if (m.rd && !m.ra) out.push(';; WARNING: recursion requested but not available');
  out.push('');
  if (m.edns) {
    out.push(';; OPT PSEUDOSECTION:');
    out.push(`; EDNS: version: ${m.edns.version}, flags:${m.edns.dnssecOk ? ' do' : ''}; udp: ${m.edns.udpSize}`);
  }
  out.push(';; QUESTION SECTION:');
  // The ';' sits outside the columns, as in dig.
  for (const q of m.questions) out.push(';' + columns([fqdn(q.name), undefined, 'IN', typeName(q.type)]));
  const section = (title: string, records: readonly ResourceRecord[]) => {
    if (records.length === 0) return;
    out.push('', `;; ${title} SECTION:`, ...records.map(recordLine));
  };
  section('ANSWER', m.answers);
  section('AUTHORITY', m.authorities);
  section('ADDITIONAL', m.additionals);
  const [host, port] = splitKey(result.nameserver);
  out.push('');
  out.push(`;; Query time: ${Math.round(result.elapsedMs)} msec`);
  out.push(`;; SERVER: ${host}#${port}(${host}) (${result.tcp ? 'TCP' : 'UDP'})`);
  out.push(`;; WHEN: ${when.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1 $3 $2 $5 UTC $4')}`);
  out.push(`;; MSG SIZE  rcvd: ${result.size}`);
  out.push('', '');
  return out.join('\n');
}

function splitKey(key: string): [string, string] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i).replace(/^\[|\]$/g, ''), key.slice(i + 1)];
}

/** A record as JSON: common fields, the presentation form, and the typed fields. */
export function recordJson(r: ResourceRecord): Record<string, unknown> {
  const { name, ttl, type, class: _class, ...fields } = r as ResourceRecord & Record<string, unknown>;
  const rest = 'data' in fields ? {} : fields;
  return { name: fqdn(name), ttl, class: 'IN', type: typeName(type), data: rdataText(r), ...rest };
}

export function resultJson(result: LookupResult): Record<string, unknown> {
  const m = result.message;
  return {
    nameserver: result.nameserver,
    status: result.status,
    rcode: result.rcode,
    id: m.id,
    flags: flagsText(m).split(' ').filter(Boolean),
    question: m.questions.map((q) => ({ name: fqdn(q.name), class: 'IN', type: typeName(q.type) })),
    answer: m.answers.map(recordJson),
    authority: m.authorities.map(recordJson),
    additional: m.additionals.map(recordJson),
    tcp: result.tcp,
    size: result.size,
    elapsedMs: Math.round(result.elapsedMs * 1000) / 1000,
  };
}
