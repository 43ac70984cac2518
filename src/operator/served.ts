import { NO_ANSWER, questionKey, type NameserverReply, type Question } from './answers.ts';
import type { InstanceInfo, ServiceInfo } from './services.ts';

/**
 * Whether one nameserver serves an instance right now: `yes`, `no`, or
 * `unknown` (it did not answer, or answered REFUSED/SERVFAIL to a name it
 * should hold: a nameserver still loading says so).
 */
export type Served = 'yes' | 'no' | 'unknown';

export interface ServedBy {
  nameserver: string;
  served: Served;
  /** The rcode, or `NO ANSWER`. */
  status: string;
}

/** The question whose answer shows whether instances are served: the SRV set, else each instance's A. */
export function questionsFor(service: ServiceInfo): Question[] {
  if (service.srvName) return [{ name: service.srvName, type: 'SRV' }];
  return service.instances.map((i) => ({ name: i.name, type: 'A' as const }));
}

function questionOf(service: ServiceInfo, instance: InstanceInfo): Question {
  return service.srvName ? { name: service.srvName, type: 'SRV' } : { name: instance.name, type: 'A' };
}

export function judge(service: ServiceInfo, instance: InstanceInfo, reply: NameserverReply): ServedBy {
  const base = { nameserver: reply.nameserver, status: reply.status };
  if (!reply.answered) return { ...base, served: 'unknown' };
  if (service.srvName) {
    if (reply.status !== 'NOERROR') return { ...base, served: 'unknown' };
    const target = `${instance.name}.`;
    return { ...base, served: reply.answers.some((a) => a.type === 'SRV' && a.data.endsWith(` ${target}`)) ? 'yes' : 'no' };
  }
  // An instance's own name: binder answers REFUSED for a name it does not hold.
  if (reply.status === 'NOERROR') return { ...base, served: reply.answers.some((a) => a.type === 'A' || a.type === 'AAAA') ? 'yes' : 'no' };
  if (reply.status === 'NXDOMAIN' || reply.status === 'REFUSED') return { ...base, served: 'no' };
  return { ...base, served: 'unknown' };
}

/** Pure: for each nameserver asked, whether it serves the instance. */
export function servedBy(service: ServiceInfo, instance: InstanceInfo, answers: ReadonlyMap<string, readonly NameserverReply[]>): ServedBy[] {
  const replies = answers.get(questionKey(questionOf(service, instance))) ?? [];
  return replies.map((r) => judge(service, instance, r));
}

/** Served when every nameserver that answered serves it and at least one did. */
export function isServed(list: readonly ServedBy[]): boolean {
  const answered = list.filter((s) => s.status !== NO_ANSWER);
  return answered.length > 0 && answered.every((s) => s.served === 'yes');
}
