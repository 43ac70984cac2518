import t from 'tap';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNetstatTable, parseNetstatBsd, parseNetstatIllumos } from '../../src/sidecar/netstat.ts';
import { countEstablished } from '../../src/sidecar/proc-net-tcp.ts';
import { tcpTable } from '../../src/sidecar/tcp-table.ts';
import { createInFlightProbe, describeInFlight } from '../../src/sidecar/in-flight.ts';
import { InFlightUnavailableError } from '../../src/sidecar/errors.ts';
import { waitFor } from '../fixtures/wait.ts';

const fixture = (name: string) => readFile(new URL(`./netstat/${name}.txt`, import.meta.url), 'utf8');

t.test('illumos netstat -an -P tcp: both sections, states, IPv6 with the If column', async (t) => {
  const text = await fixture('illumos');
  t.ok(isNetstatTable(text, 'illumos'));
  const sockets = parseNetstatIllumos(text);
  t.equal(sockets.length, 12, 'every TCP row, IDLE and LISTEN included');
  t.same(sockets[0], { localAddress: '', localPort: 0, remoteAddress: '', remotePort: 0, state: 7 });
  t.same(sockets[5], { localAddress: '10.99.99.40', localPort: 8080, remoteAddress: '10.99.99.10', remotePort: 40961, state: 1 });
  t.same(sockets[10], { localAddress: '::1', localPort: 8080, remoteAddress: '::1', remotePort: 61000, state: 1 });
  // Served on 8080: two IPv4 and one IPv6 established; not the LISTEN, TIME_WAIT, or our own outgoing 51234 → 8080.
  t.equal(countEstablished(sockets, [8080]), 3);
  t.equal(countEstablished(sockets, [2021]), 1, 'CLOSE_WAIT is not work in flight');
  t.equal(countEstablished(sockets, [8080, 22, 2021]), 5);
});

t.test('illumos: other protocols\' sections (netstat -an without -P) are skipped', async (t) => {
  const text = `\nUDP: IPv4\n   Local Address        Remote Address      State\n-------------------- -------------------- ----------\n      *.8080                              Idle\n${await fixture('illumos')}\nSCTP:\n        Local Address                   Remote Address          Swind  Send-Q Rwind  Recv-Q StrsI/O  State\n------------------------------- ------------------------------- ------ ------ ------ ------ ------- -----------\n10.99.99.40.8080 10.99.99.9.1 0 0 0 0 1/1 ESTABLISHED\n`;
  t.equal(countEstablished(parseNetstatIllumos(text), [8080]), 3);
});

t.test('FreeBSD netstat -an -p tcp', async (t) => {
  const text = await fixture('freebsd');
  t.ok(isNetstatTable(text, 'bsd'));
  const sockets = parseNetstatBsd(text);
  t.equal(sockets.length, 10);
  t.same(sockets[3], { localAddress: 'fd00::40', localPort: 2021, remoteAddress: 'fd00::12', remotePort: 45000, state: 1 });
  t.same(sockets[6], { localAddress: '', localPort: 8080, remoteAddress: '', remotePort: 0, state: 10 });
  t.equal(countEstablished(sockets, [8080]), 3);
  t.equal(countEstablished(sockets, [2021]), 1);
});

t.test('macOS netstat -an -p tcp: tcp46, shortened IPv6 addresses, trailing blanks', async (t) => {
  const text = await fixture('macos');
  t.ok(isNetstatTable(text, 'bsd'));
  const sockets = parseNetstatBsd(text);
  t.equal(sockets.length, 9);
  t.equal(sockets[3]?.localPort, 8080);
  t.equal(sockets[3]?.localAddress, 'fe80::21e:52ff:f');
  t.equal(countEstablished(sockets, [8080]), 3, 'not FIN_WAIT_2, not LISTEN, not the outgoing 52342 → 8080');
  t.equal(countEstablished(sockets, [443]), 0, 'a connection out to port 443 is not served here');
});

t.test("a table in the other family's layout is not read as empty", async (t) => {
  t.notOk(isNetstatTable(await fixture('freebsd'), 'illumos'));
  t.notOk(isNetstatTable(await fixture('illumos'), 'bsd'));
});

t.test('the table per platform: Linux reads /proc, counts real sockets', async (t) => {
  const table = tcpTable('linux');
  t.equal(table.method, '/proc/net/tcp and /proc/net/tcp6');
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '::', r));
  const port = (server.address() as AddressInfo).port;
  const clients = [connect(port, '127.0.0.1'), connect(port, '::1')];
  t.teardown(() => { for (const c of clients) c.destroy(); server.close(); });
  await waitFor('2 connections', async () => countEstablished(await table.read(), [port]) === 2, 3000);
  t.equal(describeInFlight({ kind: 'connections', ports: [port] }, () => table), `established connections on ports ${port} from /proc/net/tcp and /proc/net/tcp6`);
});

t.test('illumos and the BSDs run netstat with their flags and parse its output', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'herald-netstat-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // A stand-in that prints the recorded output of the platform it is asked about (real netstat there is not runnable here).
  const replay = async (name: string, flags: string) => {
    const path = join(dir, `netstat-${name}`);
    await writeFile(path, `#!/bin/sh\n[ "$*" = "${flags}" ] || { echo "netstat: bad flags $*" >&2; exit 1; }\ncat ${JSON.stringify(new URL(`./netstat/${name}.txt`, import.meta.url).pathname)}\n`);
    await chmod(path, 0o755);
    return path;
  };
  const illumos = tcpTable('sunos', { netstat: await replay('illumos', '-an -P tcp') });
  t.match(illumos.method, /netstat-illumos -an -P tcp$/);
  t.equal(await createInFlightProbe({ kind: 'connections', ports: [8080] }, 1000, () => illumos)(), 3);
  for (const platform of ['freebsd', 'darwin', 'openbsd', 'netbsd']) {
    const bsd = tcpTable(platform, { netstat: await replay(platform === 'darwin' ? 'macos' : 'freebsd', '-an -p tcp') });
    t.equal(countEstablished(await bsd.read(), [8080]), 3, platform);
  }
});

t.test('where connections cannot be counted: a typed error naming drain.inFlight', async (t) => {
  t.throws(() => tcpTable('win32'), { code: 'HERALD_SIDECAR_IN_FLIGHT_UNAVAILABLE', message: /on win32.*drain\.inFlight.*"http".*"command"/ });
  t.throws(() => describeInFlight({ kind: 'connections', ports: [80] }, () => tcpTable('aix')), InFlightUnavailableError);
  const probe = createInFlightProbe({ kind: 'connections', ports: [80] }, 1000, () => tcpTable('win32'));
  await t.rejects(probe(), { code: 'HERALD_SIDECAR_IN_FLIGHT_UNAVAILABLE' });
  const missing = tcpTable('sunos', { netstat: '/nonexistent/netstat' });
  await t.rejects(missing.read(), { code: 'HERALD_SIDECAR_IN_FLIGHT_UNAVAILABLE', message: /\/nonexistent\/netstat -an -P tcp: .*ENOENT.*drain\.inFlight/ });
  const garbled = tcpTable('freebsd', { netstat: '/bin/echo' });
  await t.rejects(garbled.read(), { code: 'HERALD_SIDECAR_IN_FLIGHT_UNAVAILABLE', message: /output not understood/ });
  t.equal(describeInFlight({ kind: 'http', url: 'http://127.0.0.1:9/x', field: 'active' }), 'GET http://127.0.0.1:9/x (field active)');
});
