// A/B of the agent against its base commit, same process, interleaved rounds.
import { fork } from 'node:child_process';
import { Pool, type Dispatcher } from 'undici';
import { BalancedAgent as NewAgent } from '/work/wt/issue-17-agent/src/agent/balanced-agent.ts';
import { BalancedAgent as BaseAgent } from '/tmp/base/src/agent/balanced-agent.ts';
const child = fork('/work/wt/issue-17-agent/bench/agent-throughput.ts', ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ports = await new Promise<number[]>((r) => child.once('message', (m: { ports: number[] }) => r(m.ports)));
const targets = ports.map((p) => `127.0.0.1:${p}`);
const clients: Array<[string, Dispatcher]> = [['new', new NewAgent({ backends: targets })], ['base', new BaseAgent({ backends: targets })], ['pool', new Pool(`http://${targets[1]}`)]];
async function run(d: Dispatcher, ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 200));
  let stop = false; let n = 0;
  const w = async (): Promise<void> => { while (!stop) { const res = await d.request({ origin: 'http://service.test', path: '/', method: 'GET' }); await res.body.dump(); n++; } };
  const ws = Array.from({ length: 64 }, w);
  await new Promise((r) => setTimeout(r, 300));
  n = 0; const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, ms));
  const c = process.cpuUsage(c0); const done = n; stop = true; await Promise.all(ws);
  return done / ((c.user + c.system) / 1e6);
}
for (const [, d] of clients) await run(d, 500);
const rounds = Number(process.argv[2] ?? 10);
const res: Record<string, number[]> = { new: [], base: [], pool: [] };
for (let r = 0; r < rounds; r++) for (let k = 0; k < 3; k++) { const [name, d] = clients[(k + r) % 3]!; res[name]!.push(await run(d, 1000)); }
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: string, b: string): string => { const xs = res[a]!.map((x, i) => x / res[b]![i]!); return `${med(xs).toFixed(2)}× (per round ${xs.map((x) => x.toFixed(2)).join(' ')})`; };
console.log(`medians req/CPU-s: new ${Math.round(med(res.new!))} base ${Math.round(med(res.base!))} pool ${Math.round(med(res.pool!))}`);
console.log(`new/pool ${(med(res.new!) / med(res.pool!)).toFixed(2)}×, base/pool ${(med(res.base!) / med(res.pool!)).toFixed(2)}×, new/base ${(med(res.new!) / med(res.base!)).toFixed(2)}×`);
console.log(`paired new/pool ${ratio('new', 'pool')}`);
console.log(`paired base/pool ${ratio('base', 'pool')}`);
console.log(`paired new/base ${ratio('new', 'base')}`);
for (const [, d] of clients) await d.close();
child.kill();
