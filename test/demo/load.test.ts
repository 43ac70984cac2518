import t from 'tap';
import { request } from 'undici';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { InstanceProcess } from '../../src/demo/instance-process.ts';
import { LoadLoop } from '../../src/demo/load-loop.ts';
import { freePort } from '../fixtures/ports.ts';

async function served(p: InstanceProcess): Promise<{ instance: string; served: number; ids: string[] }> {
  const res = await request(`http://127.0.0.1:${p.port}/_served`);
  return (await res.body.json()) as { instance: string; served: number; ids: string[] };
}

t.test('instance processes under the load loop: steady rate, shares counted as the servers saw them, restart and kill -9 fail nothing', async (t) => {
  const a = new InstanceProcess({ name: 'a' });
  const b = new InstanceProcess({ name: 'b' });
  t.teardown(async () => { await a.kill(); await b.kill(); });
  const [pa, pb] = await Promise.all([a.start(), b.start()]);
  t.ok(pa > 0 && pb > 0 && pa !== pb);
  const agent = new BalancedAgent({ backends: [`127.0.0.1:${pa}`, `127.0.0.1:${pb}`], baseEjectionTime: 1000 });
  t.teardown(() => agent.close());

  const load = new LoadLoop({ dispatcher: agent, rps: 200, maxRequests: 300, idPrefix: 'x' });
  const t0 = Date.now();
  load.start();
  const stats = await new Promise<ReturnType<LoadLoop['stats']>>((resolve) => load.once('done', resolve));
  const elapsed = Date.now() - t0;
  t.equal(stats.sent, 300, 'bounded by maxRequests');
  t.equal(stats.ok, 300);
  t.equal(stats.failed, 0);
  t.ok(elapsed >= 1300 && elapsed < 6000, `300 at 200/s take about 1.5 s (${elapsed} ms)`);
  const [sa, sb] = await Promise.all([served(a), served(b)]);
  t.equal(stats.byInstance['a'], sa.served, 'client and server agree on a');
  t.equal(stats.byInstance['b'], sb.served, 'client and server agree on b');
  t.ok(sa.served > 50 && sb.served > 50, `both served a share (${sa.served}/${sb.served})`);
  const ids = [...sa.ids, ...sb.ids];
  t.equal(new Set(ids).size, 300, 'every request served by one and only one instance');

  // Under load: a graceful restart of a, then a kill -9 of b.
  const more = new LoadLoop({ dispatcher: agent, rps: 200, durationMs: 4000, idPrefix: 'y' });
  more.start();
  await new Promise((r) => setTimeout(r, 500));
  const oldPid = a.pid;
  await a.restart();
  t.not(a.pid, oldPid, 'a new process');
  t.equal(a.port, pa, 'on the same port');
  await new Promise((r) => setTimeout(r, 500));
  await b.kill();
  t.notOk(b.running);
  const after = await more.stop();
  t.equal(after.failed, 0, `no request failed across a restart and a kill -9 (${JSON.stringify(after.failures.slice(0, 3))})`);
  t.ok(after.ok > 150, `load went on (${after.ok} ok)`);
});

t.test('failures are counted with their code; stop() waits for requests in flight', async (t) => {
  const dead = await freePort();
  const agent = new BalancedAgent({ backends: [`127.0.0.1:${dead}`], maxAttempts: 1, connectTimeout: 500 });
  t.teardown(() => agent.close());
  const load = new LoadLoop({ dispatcher: agent, rps: 50, maxRequests: 5 });
  const failures: string[] = [];
  load.on('failure', (f) => failures.push(f.code));
  load.start();
  await new Promise((r) => setTimeout(r, 300));
  const stats = await load.stop();
  t.equal(stats.inFlight, 0);
  t.equal(stats.failed, stats.sent);
  t.ok(stats.sent >= 1);
  t.same(new Set(failures), new Set(['HERALD_BACKEND_FAILED']));
  t.match(stats.firstFailure?.message ?? '', /ECONNREFUSED/);
});

t.test('options are checked up front', async (t) => {
  const agent = new BalancedAgent({ backends: ['127.0.0.1:1'] });
  t.teardown(() => agent.close());
  t.throws(() => new LoadLoop({ dispatcher: agent, rps: 0 }), { code: 'HERALD_INVALID_ARGUMENT' });
  t.throws(() => new LoadLoop({ dispatcher: agent, rps: 10, maxInFlight: 0 }), { code: 'HERALD_INVALID_ARGUMENT' });
  t.throws(() => new LoadLoop({ dispatcher: agent, rps: 10, durationMs: -1 }), { code: 'HERALD_INVALID_ARGUMENT' });
});
