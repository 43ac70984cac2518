import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Bind } from '../fixtures/bind.ts';

const bind = await Bind.start([{ origin: 'stop.test', records: `
_svc._tcp.svc 1 IN SRV 0 10 2021 a.svc
a.svc 1 IN A 10.4.0.1
` }]);
t.teardown(() => bind.stop());

t.test('stop() leaves nothing running: the process exits by itself', async (t) => {
  const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  // Runs a resolver through a few TTL-1 refreshes, stops it, and does nothing else.
  const script = `
    import { Resolver } from ${JSON.stringify(index)};
    const r = new Resolver({ domain: 'svc.stop.test', service: '_svc._tcp', nameservers: [${JSON.stringify(bind.nameserver)}], addressTypes: ['A', 'AAAA'] });
    r.on('updated', (s) => console.log('updated', s.backends.length));
    r.start();
    setTimeout(() => { r.stop(); console.log('stopped'); }, 1500);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let stoppedAt = 0;
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (!stoppedAt && out.includes('stopped')) stoppedAt = performance.now();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
  clearTimeout(killer);
  t.equal(signal, null, 'not killed');
  t.equal(code, 0);
  t.match(out, /updated 1\n[\s\S]*stopped\n$/);
  const after = performance.now() - stoppedAt;
  t.ok(stoppedAt > 0 && after < 1500, `exited ${after.toFixed(0)} ms after stop() (a leaked TTL-1 timer or socket would keep it alive)`);
});
