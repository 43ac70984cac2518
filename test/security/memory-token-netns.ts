// Run inside a fresh network namespace (see memory-token.test.ts): a
// memory registry on a non-loopback address (10.77.0.1, a veth), reached
// without the token, with a wrong one, and by a sidecar holding it. Prints
// one JSON line of findings on stdout.
import { connect } from 'node:net';
import { createServer } from 'node:http';
import { dig } from '../server/helpers.ts';
import { waitFor } from '../fixtures/wait.ts';
import { herald, heraldRun, sidecarDir, startSidecar } from '../sidecar/processes.ts';
import { credsDir } from './creds.ts';

const ADDRESS = '10.77.0.1';
const out: Record<string, unknown> = {};
const creds = await credsDir();
const token = await creds.make('registry');
const d = await sidecarDir();
const procs: { stop(s?: NodeJS.Signals): Promise<unknown> }[] = [];

/** Connects, writes `lines`, and reports what came back and whether the server closed the connection within 2 s. */
function probe(port: number, lines: string[]): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, ADDRESS);
    let reply = '';
    const timer = setTimeout(() => { socket.destroy(); resolve({ reply, closed: false }); }, 2000);
    socket.on('connect', () => { for (const l of lines) socket.write(l + '\n'); });
    socket.on('data', (b) => { reply += b.toString(); });
    socket.on('error', () => {});
    socket.on('close', () => { clearTimeout(timer); resolve({ reply, closed: true }); });
  });
}

try {
  const open = await heraldRun(['serve', '--registry', 'memory', '--registry-listen', `${ADDRESS}:0`, '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0']);
  out['openExit'] = open.code;
  out['openStderr'] = open.stderr.split('\n')[0];

  const serve = herald(['serve', '--registry', 'memory', '--registry-listen', `${ADDRESS}:0`, '--registry-token', token.path,
    '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0', '--threads', '1']);
  procs.push(serve);
  await waitFor('serve', () => /listening 127\.0\.0\.1:(\d+)/.test(serve.stdout), 20_000, 20);
  const registryPort = Number(/registry memory:\/\/[^:]+:(\d+)/.exec(serve.stdout)![1]);
  const dnsPort = Number(/listening 127\.0\.0\.1:(\d+)/.exec(serve.stdout)![1]);
  out['registryUrl'] = /registry (\S+)/.exec(serve.stdout)![1];

  const write = JSON.stringify({ id: 1, op: 'putPersistent', path: '/us/joyent/coal/evil', data: '{"type":"host","host":{"address":"10.6.6.6"}}' });
  out['noToken'] = await probe(registryPort, [write, write]);
  out['wrongToken'] = await probe(registryPort, [JSON.stringify({ id: 0, op: 'hello', token: 'registry:guess' }), write]);
  out['evilServed'] = (await dig(dnsPort, ['A', 'evil.coal.joyent.us'])).answer;

  const app = createServer((req, res) => res.end('ok'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const appPort = (app.address() as { port: number }).port;
  const config = await d.write({
    registration: { domain: 'web.coal.joyent.us', type: 'load_balancer', ttl: 1, ports: [appPort], service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: appPort, ttl: 1 } } },
    adminIp: '127.0.0.1', instance: 'web-1',
  });
  const sidecar = await startSidecar(['--config', config, '--zk', `memory://${ADDRESS}:${registryPort}`, '--zk-auth', token.path, '--admin-socket', 'none']);
  procs.push(sidecar);
  await waitFor('web-1 served', async () => (await dig(dnsPort, ['A', 'web-1.web.coal.joyent.us'])).answer.length > 0, 15_000);
  out['registered'] = (await dig(dnsPort, ['A', 'web-1.web.coal.joyent.us'])).answer;
  out['logs'] = serve.stdout + serve.stderr + sidecar.stdout + sidecar.stderr;
  out['password'] = token.password;
  app.close();
} catch (err) {
  out['error'] = String((err as Error).stack);
} finally {
  for (const p of procs) await p.stop();
  await d.cleanup();
  await creds.cleanup();
}
process.stdout.write(JSON.stringify(out) + '\n');
