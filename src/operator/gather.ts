import type { Store } from '../registry/index.ts';
import { askAll } from './answers.ts';
import { questionsFor } from './served.ts';
import { collectServices, findService } from './services.ts';
import { statusReport, type StatusReport } from './status-report.ts';
import { readRegistryView, type RegistryView } from './view.ts';
import { whyQuestions, whyReport, type WhyReport } from './why-report.ts';

export interface GatherOptions {
  /** A registry session; the caller opens and closes it. */
  store: Store;
  /** `ip:port` keys of the nameservers to ask (none: registry only). */
  nameservers: readonly string[];
  /** Per-query timeout. @default 1000 */
  timeoutMs?: number;
  /** How long to wait for the registry session. @default 5000 */
  connectTimeoutMs?: number;
}

/** Reads the registry under `domain` ('' for all) and asks every nameserver about each service. */
export async function gatherStatus(domain: string, o: GatherOptions): Promise<StatusReport> {
  const view = await readRegistryView(o.store, domain, o.connectTimeoutMs ?? 5000);
  const services = collectServices(view);
  const answers = await askAll(services.flatMap(questionsFor), o.nameservers, o.timeoutMs ?? 1000);
  return statusReport(view.domain, services, o.nameservers, answers, Date.now());
}

function rawData(view: RegistryView): Map<string, string | null> {
  const raw = new Map<string, string | null>();
  for (const tree of [view.dns, view.status, view.drain]) for (const [path, node] of tree) raw.set(path, node.data);
  return raw;
}

const parent = (name: string): string => name.slice(name.indexOf('.') + 1);

/** Reads what the registry holds about `name` (a service, its SRV name, or an instance) and asks every nameserver. */
export async function gatherWhy(name: string, o: GatherOptions): Promise<WhyReport> {
  const n = name.toLowerCase().replace(/\.$/, '');
  const bare = n.replace(/^_[^.]+\._[^.]+\./, '');
  const connect = o.connectTimeoutMs ?? 5000;
  // The name is a service (read its subtree) or an instance (read its service's).
  let view = await readRegistryView(o.store, bare, connect);
  let services = collectServices(view);
  if (!findService(services, n) && bare.includes('.')) {
    view = await readRegistryView(o.store, parent(bare), connect);
    services = collectServices(view).filter((s) => s.domain === parent(bare));
  }
  const answers = await askAll(whyQuestions(services, n), o.nameservers, o.timeoutMs ?? 1000);
  return whyReport(n, services, rawData(view), o.nameservers, answers, Date.now());
}
