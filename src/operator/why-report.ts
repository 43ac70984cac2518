import { domainToPath, serviceAddressTtl } from '../registry/index.ts';
import { intentPath, statusPath } from '../drain/index.ts';
import { questionKey, type NameserverReply, type Question } from './answers.ts';
import { findService, type ServiceInfo } from './services.ts';
import { instanceStatus, statusReport, type InstanceStatus, type NameserverState } from './status-report.ts';
import { verdict } from './verdict.ts';

export interface Znode {
  path: string;
  /** `persistent`, `ephemeral` or `ephemeral, session 0x…` */
  kind: string;
  data: string | null;
}

export interface TtlLine {
  answer: string;
  ttl: number;
  from: string;
}

export interface AnswerSet {
  question: Question;
  replies: NameserverReply[];
  /** Answering nameservers gave different rcodes or record sets. */
  disagree: boolean;
}

export interface WhyReport {
  name: string;
  /** `service`, `instance` of a service, or `unknown` (not in the registry). */
  kind: 'service' | 'instance' | 'unknown';
  service?: string;
  /** What a client asks. */
  questions: Question[];
  znodes: Znode[];
  ttls: TtlLine[];
  answers: AnswerSet[];
  nameservers: NameserverState[];
  instances: InstanceStatus[];
  verdict: string;
}

/** The questions a client asks about `name`: the SRV set and the A of a service; an instance's A. */
export function whyQuestions(services: readonly ServiceInfo[], name: string): Question[] {
  const found = findService(services, name);
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!found) return [{ name: n, type: /^_[^.]+\._[^.]+\./.test(n) ? 'SRV' : 'A' }];
  const s = found.service;
  if (found.instance) return [...(s.srvName ? [{ name: s.srvName, type: 'SRV' as const }] : []), { name: found.instance.name, type: 'A' }];
  return s.srvName ? [{ name: s.srvName, type: 'SRV' }, { name: s.domain, type: 'A' }] : s.instances.map((i) => ({ name: i.name, type: 'A' as const }));
}

const canonical = (r: NameserverReply): string => `${r.status}|${r.answers.map((a) => `${a.type} ${a.data}`).sort().join(',')}`;

function answerSets(questions: readonly Question[], answers: ReadonlyMap<string, readonly NameserverReply[]>): AnswerSet[] {
  return questions.map((question) => {
    const replies = [...(answers.get(questionKey(question)) ?? [])];
    const seen = new Set(replies.filter((r) => r.answered).map(canonical));
    return { question, replies, disagree: seen.size > 1 };
  });
}

function znodes(service: ServiceInfo, only: string | undefined, raw: ReadonlyMap<string, string | null>): Znode[] {
  const out: Znode[] = [{ path: service.path, kind: 'persistent', data: raw.get(service.path) ?? null }];
  for (const i of service.instances) {
    if (only !== undefined && i.instance !== only) continue;
    if (i.node) out.push({ path: i.node.path, kind: i.node.ephemeral ? `ephemeral${i.node.session ? `, session ${i.node.session}` : ''}` : 'persistent', data: i.node.data });
    const sp = statusPath(service.domain, i.instance);
    if (raw.has(sp)) out.push({ path: sp, kind: 'persistent', data: raw.get(sp) ?? null });
    const ip = intentPath(service.domain, i.instance);
    if (raw.has(ip)) out.push({ path: ip, kind: 'persistent', data: raw.get(ip) ?? null });
  }
  return out;
}

function ttlLines(service: ServiceInfo, only: string | undefined): TtlLine[] {
  const out: TtlLine[] = [];
  if (service.srvName && service.srvTtl) out.push({ answer: `SRV ${service.srvName}`, ttl: service.srvTtl.ttl, from: service.srvTtl.from });
  for (const i of service.instances) {
    if (only !== undefined && i.instance !== only) continue;
    if (i.aTtl) out.push({ answer: `A ${i.name}`, ttl: i.aTtl.ttl, from: i.aTtl.from });
    if (only === undefined && i.targetTtl) out.push({ answer: `A ${i.name} (SRV additional)`, ttl: i.targetTtl.ttl, from: i.targetTtl.from });
    if (only === undefined && service.record && i.record?.kind === 'host') {
      out.push({ answer: `A ${service.domain} → ${i.instance}`, ttl: serviceAddressTtl(i.record, service.record), from: 'min(SRV TTL, target TTL)' });
    }
  }
  return out;
}

/**
 * Pure: what a client asking for `name` gets and why, from the registry's
 * services (with their raw znode data by path) and every nameserver's replies.
 */
export function whyReport(name: string, services: readonly ServiceInfo[], raw: ReadonlyMap<string, string | null>,
  nameservers: readonly string[], answers: ReadonlyMap<string, readonly NameserverReply[]>, now: number): WhyReport {
  const n = name.toLowerCase().replace(/\.$/, '');
  const questions = whyQuestions(services, n);
  const sets = answerSets(questions, answers);
  const disagree = sets.some((s) => s.disagree);
  const found = findService(services, n);
  const nsStates = statusReport('', [], nameservers, answers, now).nameservers;
  if (!found) {
    const base = { name: n, kind: 'unknown' as const, questions, znodes: [], ttls: [], answers: sets, nameservers: nsStates, instances: [] };
    return { ...base, verdict: `${n}: not in the registry (no service or instance at ${domainToPath(n)}); binder-compatible servers answer REFUSED` };
  }
  const { service, instance } = found;
  const only = instance?.instance;
  const instances = service.instances.filter((i) => only === undefined || i.instance === only).map((i) => instanceStatus(service, i, answers));
  const shownName = instance ? instance.name : service.domain;
  const report: WhyReport = {
    name: n,
    kind: instance ? 'instance' : 'service',
    service: service.domain,
    questions,
    znodes: znodes(service, only, raw),
    ttls: ttlLines(service, only),
    answers: sets,
    nameservers: nsStates,
    instances,
    verdict: verdict(shownName, instances, nsStates, now, disagree),
  };
  return report;
}
