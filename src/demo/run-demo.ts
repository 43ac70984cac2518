import { BalancedAgent } from '../agent/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { Resolver } from '../resolver/index.ts';
import { DemoCluster, type Member } from './cluster.ts';
import type { Display } from './live-display.ts';
import { LoadLoop } from './load-loop.ts';
import { runScenario, type ScenarioResult } from './scenario.ts';
import { buildSummary, type DemoSummary } from './summary.ts';
import { renderFrame } from './table.ts';
import { drainText, windowShares, type DemoView, type InstanceView } from './view.ts';

export interface DemoOptions {
  /** @default 3 */
  instances?: number;
  /** @default 100 */
  rps?: number;
  /** About how long the run takes (s); never shorter than its steps need. @default 30 */
  duration?: number;
  /** Record TTL (s). @default 2 */
  ttl?: number;
  display: Display;
  signal: AbortSignal;
}

const SHARE_WINDOW_MS = 2000;
const FRAME_MS = 250;

function check(name: string, value: number, min: number, max: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${value}`);
  }
  return value;
}

/**
 * The whole demo: cluster up, resolver and agent on the client side, steady
 * load, the scenario, the summary. Everything it starts is stopped before
 * it returns, on success, failure or abort.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const count = check('--instances', options.instances ?? 3, 2, 9, true);
  const rps = check('--rps', options.rps ?? 100, 1, 5000, false);
  const duration = check('--duration', options.duration ?? 30, 1, 3600, false);
  const ttl = check('--ttl', options.ttl ?? 2, 1, 60, true);
  const { display, signal } = options;
  const startedAt = Date.now();
  const event = (text: string): void => display.event(Date.now() - startedAt, text);
  const cluster = new DemoCluster({ instances: count, ttl });
  const result: ScenarioResult = { updates: [], crash: undefined };
  let resolver: Resolver | undefined;
  let agent: BalancedAgent | undefined;
  let load: LoadLoop | undefined;
  let frames: NodeJS.Timeout | undefined;
  let interrupted = false;
  let failure: string | undefined;
  let stats;
  try {
    watchSidecars(cluster, event);
    await cluster.start();
    event(`registry in memory; DNS server on ${cluster.nameserver} for ${cluster.zone}; ${count} instances of ${cluster.domain}: ${cluster.members.map((m) => `${m.name} :${m.process.port} pid ${m.process.pid ?? '?'}`).join(', ')}`);
    resolver = new Resolver({ domain: cluster.domain, nameservers: [cluster.nameserver], timeoutMs: 500, retryMs: 200, maxRetryMs: 1000 });
    const res = resolver;
    agent = new BalancedAgent({ source: resolver, baseEjectionTime: 2000, maxEjectionTime: 10_000, connectTimeout: 2000, claimTimeout: 5000 });
    const ag = agent;
    const rotationPort = (name: string): number => cluster.member(name).process.port;
    const inRotation = (name: string): boolean => res.backends().some((b) => b.port === rotationPort(name));
    const backendOf = (name: string) => ag.stats().backends.find((b) => b.port === rotationPort(name));
    // The agent forgets a backend's counters when it leaves rotation: keep a running total per instance.
    const errorTotals = new Map<string, { base: number; last: number }>();
    const errorsOf = (name: string): number => {
      const t = errorTotals.get(name) ?? { base: 0, last: 0 };
      errorTotals.set(name, t);
      const cur = backendOf(name)?.errors ?? 0;
      if (cur < t.last) t.base += t.last;
      t.last = cur;
      return t.base + t.last;
    };
    let errorsSeen = 0;
    load = new LoadLoop({ dispatcher: agent, rps, timeoutMs: 10_000 });
    const ld = load;
    load.on('failure', (f) => { if (++errorsSeen <= 10) event(`REQUEST FAILED ${f.id}: ${f.code} ${f.message}`); });
    resolver.on('added', (b) => event(`client: ${b.name}:${b.port} added to rotation`));
    resolver.on('removed', (b) => event(`client: ${b.name}:${b.port} removed from rotation`));
    load.start();
    event(`client: BalancedAgent over the Resolver (${cluster.nameserver}), ${rps} GET/s`);

    let step = 'starting';
    const history: { at: number; counts: Record<string, number> }[] = [];
    const draw = (): void => {
      const now = Date.now();
      const stats = ld.stats();
      history.push({ at: now, counts: stats.byInstance });
      while (history.length > 1 && history[0]!.at < now - SHARE_WINDOW_MS) history.shift();
      const shares = windowShares(history[0]!.counts, stats.byInstance);
      const view: DemoView = {
        now, startedAt, step, rps, sent: stats.sent, ok: stats.ok, failed: stats.failed, inFlight: stats.inFlight,
        instances: cluster.members.map((m) => instanceView(m, {
          inRotation: inRotation(m.name), served: stats.byInstance[m.name] ?? 0, share: shares[m.name] ?? 0,
          inFlight: backendOf(m.name)?.inFlight ?? 0, errors: errorsOf(m.name),
        })),
      };
      display.frame(renderFrame(view, display.width));
    };
    frames = setInterval(draw, FRAME_MS);
    draw();
    await runScenario({
      cluster, signal, endsAt: startedAt + duration * 1000,
      inRotation,
      retries: () => ag.stats().requests.retries,
      event,
      step: (text) => { step = text; draw(); },
    }, result);
    draw();
  } catch (err) {
    if (signal.aborted) {
      interrupted = true;
      event('interrupted: stopping everything');
    } else {
      // A step that never completed (an instance that never came back, say): report it, stop, exit 1.
      failure = (err as Error).message;
      event(`STOPPED: ${failure}`);
    }
  } finally {
    clearInterval(frames);
    stats = await load?.stop(3000);
    await agent?.close().catch(() => undefined);
    resolver?.stop();
    await cluster.stop();
    display.close();
  }
  if (!stats) throw new Error(`the demo stopped before its load started${failure ? `: ${failure}` : ''}`);
  return buildSummary({
    load: stats, rps, durationMs: Date.now() - startedAt, interrupted, names: cluster.members.map((m) => m.name), updates: result.updates, crash: result.crash,
    ...(failure ? { error: failure } : {}),
  });
}

function instanceView(m: Member, client: { inRotation: boolean; served: number; share: number; inFlight: number; errors: number }): InstanceView {
  const s = m.status;
  return {
    name: m.name, port: m.process.port, pid: m.process.pid, process: m.state, sidecar: s.state,
    inRotation: client.inRotation, served: client.served, recentShare: client.share,
    inFlight: client.inFlight, errors: client.errors,
    drain: s.state === 'draining' || s.state === 'drained' ? s.drain : undefined,
  };
}

/** One event line per sidecar state change and per drain phase. */
function watchSidecars(cluster: DemoCluster, event: (text: string) => void): void {
  const last = new Map<string, string>();
  cluster.on('status', (m) => {
    const s = m.status;
    // A stop runs a short drain of its own: one line for it is enough.
    const key = s.state === 'stopping' ? s.state : `${s.state}|${s.drain?.phase ?? ''}`;
    if (last.get(m.name) === key) return;
    last.set(m.name, key);
    const drain = s.drain && (s.state === 'draining' || s.state === 'drained') ? `: ${drainText(s.drain, Date.now())}` : '';
    event(`${m.name}: sidecar ${s.state}${drain}`);
  });
}
