import { NO_ANSWER } from './answers.ts';
import { clock, duration } from './format.ts';
import type { NameserverState, InstanceStatus } from './status-report.ts';

/** One clause on an instance that is not plainly registered and served. */
export function instanceClause(i: InstanceStatus, now: number): string | undefined {
  const d = i.drain;
  const since = i.since ? ` since ${clock(Date.parse(i.since))}` : '';
  // Only a nameserver that answered without it says anything; a silent one is reported once, below.
  const notServedBy = i.nameservers.filter((n) => n.served !== 'yes' && n.status !== NO_ANSWER)
    .map((n) => (n.served === 'no' ? n.nameserver : `${n.nameserver} (${n.status})`));
  switch (i.state) {
    case 'registered':
      if (notServedBy.length === 0) return undefined;
      return `${i.instance} registered but not served by ${notServedBy.join(', ')}`;
    case 'draining': {
      if (i.phase === 'requested') return `${i.instance} drain requested${since}, not yet taken up by its sidecar`;
      let left = '';
      if (d && i.phase === 'ttl' && d.ttlEndsAt !== undefined) left = `, ${duration(d.ttlEndsAt - now)} left`;
      else if (d) left = `, deadline in ${duration(d.deadlineAt - now)}`;
      const still = i.nameservers.filter((n) => n.served === 'yes').map((n) => n.nameserver);
      return `${i.instance} draining${since} (phase: ${i.phase ?? '?'}${left})${still.length ? `, still served by ${still.join(', ')}` : ''}`;
    }
    case 'drained':
      return `${i.instance} drained${since}${i.phase === 'deadline' ? ` (deadline hit: ${d?.unmet ?? '?'} unmet)` : ''}`;
    case 'unhealthy':
      return `${i.instance} unhealthy${since}`;
    case 'starting':
      return `${i.instance} starting${since}${i.reason ? ` (${i.reason})` : ''}`;
    case 'stopped':
      return `${i.instance} stopped${since}`;
    case 'absent':
      return `${i.instance} absent${i.reason ? ` (${i.reason})` : ''}`;
    case 'rejected':
      return `${i.instance} rejected (${i.reason ?? 'not served'})`;
  }
}

/**
 * Pure: the one-line verdict `herald why` ends with, e.g.
 * `moray.coal.joyent.us: 2 of 3 instances served; m3 draining since 12:01:03 (phase: ttl, 41 s left)`.
 * "Served" means every nameserver that answered serves it (with no
 * nameserver asked: its host node exists).
 */
export function verdict(name: string, instances: readonly InstanceStatus[], nameservers: readonly NameserverState[], now: number, disagree: boolean): string {
  const asked = nameservers.length > 0;
  const served = instances.filter((i) => (asked ? i.served : i.session !== 'none' && i.state === 'registered')).length;
  const clauses = instances.map((i) => instanceClause(i, now)).filter((c): c is string => c !== undefined);
  const silent = nameservers.filter((n) => n.answering === false).map((n) => n.nameserver);
  if (asked && silent.length === nameservers.length) clauses.push('no nameserver answered');
  else if (silent.length) clauses.push(`not answering: ${silent.join(', ')}`);
  if (disagree) clauses.push('nameservers disagree');
  const head = `${served} of ${instances.length} instance${instances.length === 1 ? '' : 's'} ${asked ? 'served' : 'registered (no nameserver asked)'}`;
  return `${name}: ${[head, ...clauses].join('; ')}`;
}
