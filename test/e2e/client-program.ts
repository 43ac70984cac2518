// The e2e client, in a process of its own: a Resolver over the given
// nameservers, a BalancedAgent over it, and steady GET load. It reports on
// stdout as JSON lines and takes commands on stdin:
//   rps N      change the rate (0: idle; each new rate uses new request ids)
//   stop       stop the load, print {"ev":"done",...}, exit
// Reports: {"ev":"backends","at","ports":[...]} on every resolver change,
//          {"ev":"failure",...} for each failed request,
//          {"ev":"stats","at",...} every --tick-ms (200), {"ev":"done","stats"} at the end.
// It exits when stdin closes, so it never outlives its test.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { LoadLoop, type LoadStats } from '../../src/demo/load-loop.ts';
import { Resolver } from '../../src/resolver/resolver.ts';

const { values } = parseArgs({
  options: { domain: { type: 'string' }, nameservers: { type: 'string' }, rps: { type: 'string' }, 'tick-ms': { type: 'string' } },
  strict: true,
});
const nameservers = (values.nameservers ?? '').split(',').filter(Boolean);
const say = (o: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };

const resolver = new Resolver({ domain: values.domain!, nameservers, timeoutMs: 300, tries: 1, retryMs: 200, maxRetryMs: 1000 });
const agent = new BalancedAgent({ source: resolver, connectTimeout: 2000, baseEjectionTime: 2000, maxEjectionTime: 10_000, claimTimeout: 5000 });
resolver.on('updated', (s: { backends: readonly { port: number }[]; stale: boolean }) => say({ ev: 'backends', at: Date.now(), ports: s.backends.map((b) => b.port).sort(), stale: s.stale }));

// Counters of finished loops, plus the running one.
const total: LoadStats = { startedAt: Date.now(), sent: 0, ok: 0, failed: 0, inFlight: 0, byInstance: {}, maxLatencyMs: 0, failures: [] };
let loop: LoadLoop | undefined;
let round = 0;

function add(into: LoadStats, s: LoadStats): void {
  into.sent += s.sent;
  into.ok += s.ok;
  into.failed += s.failed;
  into.maxLatencyMs = Math.max(into.maxLatencyMs, s.maxLatencyMs);
  for (const [k, v] of Object.entries(s.byInstance)) into.byInstance[k] = (into.byInstance[k] ?? 0) + v;
  into.failures.push(...s.failures);
}

function current(): LoadStats {
  const out: LoadStats = { ...total, byInstance: { ...total.byInstance }, failures: [...total.failures] };
  if (loop) {
    const s = loop.stats();
    add(out, s);
    out.inFlight = s.inFlight;
  }
  return out;
}

async function setRate(rps: number): Promise<void> {
  const old = loop;
  loop = undefined;
  if (old) add(total, await old.stop());
  if (rps <= 0) return;
  loop = new LoadLoop({ dispatcher: agent, rps, timeoutMs: 10_000, idPrefix: `c${++round}-` });
  loop.on('failure', (f) => say({ ev: 'failure', ...f }));
  loop.start();
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  await setRate(0);
  say({ ev: 'done', at: Date.now(), stats: total, agent: agent.stats().requests });
  await agent.close();
  resolver.stop();
  process.exit(0);
}

const ticker = setInterval(() => {
  const s = current();
  say({ ev: 'stats', at: Date.now(), sent: s.sent, ok: s.ok, failed: s.failed, inFlight: s.inFlight, byInstance: s.byInstance, retries: agent.stats().requests.retries });
}, Number(values['tick-ms'] ?? '200'));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'rps') void setRate(Number(arg));
  else if (cmd === 'stop') void stop();
}).on('close', () => void stop());

await setRate(Number(values.rps ?? '0'));
say({ ev: 'started', at: Date.now(), pid: process.pid });
