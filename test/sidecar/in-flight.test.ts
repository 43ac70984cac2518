import t from 'tap';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { parseProcNetTcp, countEstablished, readTcpSockets } from '../../src/sidecar/proc-net-tcp.ts';
import { createInFlightProbe, parseCount } from '../../src/sidecar/in-flight.ts';
import { waitFor } from '../fixtures/wait.ts';

// Lines in the kernel's own format (captured on x86-64 Linux).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0000000000000000 20 4 30 10 -1
   2: 2863630A:07E5 0A63630A:A001 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   3: 2863630A:C350 0B63630A:07E5 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:1F90 0100007F:D2F2 06 00000000:00000000 03:00000F5B 00000000     0        0 0 3 0000000000000000
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:E1C2 01 00000000:00000000 00:00000000 00000000  1000        0 5 1 0000000000000000 20 4 30 10 -1
   1: 0000FDFD000000000000000001000000:07E5 0000FDFD000000000000000002000000:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 6 1 0000000000000000 20 4 30 10 -1
`;

t.test('parses /proc/net/tcp and tcp6: addresses, ports, states', async (t) => {
  const v4 = parseProcNetTcp(TCP);
  t.equal(v4.length, 5);
  t.same(v4[0], { localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '0.0.0.0', remotePort: 0, state: 0x0a });
  t.same(v4[2], { localAddress: '10.99.99.40', localPort: 2021, remoteAddress: '10.99.99.10', remotePort: 40961, state: 1 });
  const v6 = parseProcNetTcp(TCP6);
  t.same(v6[0], { localAddress: '::1', localPort: 8080, remoteAddress: '::1', remotePort: 57794, state: 1 });
  t.equal(v6[1]?.localAddress, 'fdfd::1');
  t.equal(v6[1]?.remoteAddress, 'fdfd::2');
  // Served ports only: not LISTEN, not TIME_WAIT (06), not our own outgoing connection to 2021.
  t.equal(countEstablished([...v4, ...v6], [8080]), 2);
  t.equal(countEstablished([...v4, ...v6], [2021]), 2);
  t.equal(countEstablished([...v4, ...v6], [2022]), 0);
});

t.test('counts real established connections to a real listener, IPv4 and IPv6', async (t) => {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, '::', r)); // dual-stack: both tables
  const port = (server.address() as AddressInfo).port;
  const probe = createInFlightProbe({ kind: 'connections', ports: [port] }, 1000);
  t.equal(await probe(), 0);
  const clients = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1'), connect(port, '::1')];
  t.teardown(() => { for (const c of clients) c.destroy(); server.close(); });
  await waitFor('3 connections', async () => (await probe()) === 3, 3000);
  t.equal(countEstablished(await readTcpSockets(), [port]), 3);
  clients[0]!.destroy();
  for (const s of accepted) if (s.remotePort === clients[0]!.localPort) s.destroy();
  await waitFor('2 connections', async () => (await probe()) === 2, 3000);
  t.pass('the count follows connections closing');
});

t.test('http and command probes return a count', async (t) => {
  let body = '{"active": 4}';
  const server = createHttpServer((req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inflight`;
  t.equal(await createInFlightProbe({ kind: 'http', url, field: 'active' }, 1000)(), 4);
  body = '7\n';
  t.equal(await createInFlightProbe({ kind: 'http', url }, 1000)(), 7);
  body = 'lots';
  await t.rejects(createInFlightProbe({ kind: 'http', url }, 1000)(), { code: 'HERALD_SIDECAR_PROBE' });
  t.equal(await createInFlightProbe({ kind: 'command', command: 'echo 2' }, 1000)(), 2);
  await t.rejects(createInFlightProbe({ kind: 'command', command: 'exit 1' }, 1000)(), { code: 'HERALD_SIDECAR_PROBE' });
  t.equal(parseCount(' 0 ', 'x'), 0);
  t.throws(() => parseCount('-1', 'x'), { code: 'HERALD_SIDECAR_PROBE' });
});
